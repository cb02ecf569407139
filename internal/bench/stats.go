package bench

import (
	"slices"
	"time"
)

func medianFloat(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

// roundRatios pairs the req/s of subject and base round by round (both were
// measured in the same round, close in time) and returns the median of the
// per-round ratios with the smallest and largest. A median of paired ratios
// is far less sensitive to a machine that speeds up or slows down during a
// run than the ratio of two totals.
func roundRatios(subject, base []float64) (med, lo, hi float64) {
	var rs []float64
	for i := range min(len(subject), len(base)) {
		if base[i] > 0 {
			rs = append(rs, subject[i]/base[i])
		}
	}
	if len(rs) == 0 {
		return 0, 0, 0
	}
	slices.Sort(rs)
	med = rs[len(rs)/2]
	if len(rs)%2 == 0 {
		med = (rs[len(rs)/2-1] + rs[len(rs)/2]) / 2
	}
	return med, rs[0], rs[len(rs)-1]
}

// sideBySide runs base and subject alternately in batches for about d and
// returns the median per-operation time of each, so that a busy machine
// slows both alike. Each function runs batch operations per call.
func sideBySide(d time.Duration, batch int, base, subject func(n int) error) (baseOp, subjectOp time.Duration, err error) {
	// Warm up both.
	if err := base(1); err != nil {
		return 0, 0, err
	}
	if err := subject(1); err != nil {
		return 0, 0, err
	}
	var bs, ss []time.Duration
	end := time.Now().Add(d)
	for len(bs) < 5 || time.Now().Before(end) {
		t0 := time.Now()
		if err := base(batch); err != nil {
			return 0, 0, err
		}
		t1 := time.Now()
		if err := subject(batch); err != nil {
			return 0, 0, err
		}
		t2 := time.Now()
		bs = append(bs, t1.Sub(t0))
		ss = append(ss, t2.Sub(t1))
		if len(bs) > 100000 {
			break
		}
	}
	return median(bs) / time.Duration(batch), median(ss) / time.Duration(batch), nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func costRatio(name string, base, subject time.Duration, bar float64, detail string) RatioResult {
	r := float64(subject) / float64(base)
	return RatioResult{Name: name, Ratio: r, Bar: bar, Pass: r <= bar, Detail: detail, AtMost: true}
}
