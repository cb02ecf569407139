package verifier_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"slices"
	"testing"
	"time"

	"github.com/vapisec/vapisec/verifier"
)

// BenchmarkVerifyCold compares a cold verification of samlToken.xml (cache
// disabled) with a bare etree parse + goxmldsig Validate of the same bytes,
// interleaved in one loop so that both see the same machine load. Metrics
// are medians of the per-iteration times (robust against preemption on a
// loaded machine): bare-ns/op, verify-ns/op and cold-ratio (bar: ≤ 1.1).
func BenchmarkVerifyCold(b *testing.B) {
	tok := readFixture(b, "samlToken.xml")
	v := fixtureVerifier(b, verifier.WithCacheSize(0))
	cert := stsFixtureCert(b)
	ctx := context.Background()
	bare := make([]time.Duration, 0, b.N)
	ours := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := bareValidate(tok, cert, fixtureNow); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		bare = append(bare, t1.Sub(t0))
		ours = append(ours, t2.Sub(t1))
	}
	mb, mo := median(bare), median(ours)
	b.ReportMetric(float64(mb.Nanoseconds()), "bare-ns/op")
	b.ReportMetric(float64(mo.Nanoseconds()), "verify-ns/op")
	b.ReportMetric(float64(mo)/float64(mb), "cold-ratio")
}

// BenchmarkVerifyCached compares a cache hit with one SHA-256 of the same
// token bytes, interleaved in batches of 64. Metrics are medians over the
// batches: sha256-ns/op, cached-ns/op and cached-ratio (bar: ≤ 1.2).
func BenchmarkVerifyCached(b *testing.B) {
	tok := readFixture(b, "samlToken.xml")
	v := fixtureVerifier(b)
	ctx := context.Background()
	if _, err := v.Verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	const batch = 64
	var hash, ours []time.Duration
	var sink [32]byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		n := min(batch, b.N-i)
		t0 := time.Now()
		for range n {
			sink = sha256.Sum256(tok)
		}
		t1 := time.Now()
		for range n {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
		t2 := time.Now()
		if n == batch {
			hash = append(hash, t1.Sub(t0))
			ours = append(ours, t2.Sub(t1))
		}
	}
	_ = sink
	if len(hash) == 0 {
		return
	}
	mh, mo := median(hash), median(ours)
	b.ReportMetric(float64(mh.Nanoseconds())/batch, "sha256-ns/op")
	b.ReportMetric(float64(mo.Nanoseconds())/batch, "cached-ns/op")
	b.ReportMetric(float64(mo)/float64(mh), "cached-ratio")
}

// BenchmarkVerify measures Verify alone (allocations per call).
func BenchmarkVerify(b *testing.B) {
	tok := readFixture(b, "samlToken.xml")
	for _, bc := range []struct {
		name string
		size int
	}{{"cold", 0}, {"cached", verifier.DefaultCacheSize}} {
		b.Run(bc.name, func(b *testing.B) {
			v := fixtureVerifier(b, verifier.WithCacheSize(bc.size))
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func stsFixtureCert(b *testing.B) *x509.Certificate {
	certs, err := verifier.LoadCertificatesPEM(readFixture(b, "sts.crt.pem"))
	if err != nil {
		b.Fatal(err)
	}
	return certs[0]
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
