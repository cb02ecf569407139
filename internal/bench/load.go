package bench

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// loadResult accumulates what the load generator saw for one scenario.
type loadResult struct {
	requests  int
	errors    int
	elapsed   time.Duration
	latencies []time.Duration
	// rounds holds the req/s of each measured round, cpuRounds the CPU
	// time this process spent per request in it (µs; client, server and
	// runtime together), when the platform reports it.
	rounds, cpuRounds []float64
	// allocBytes and allocs are what the process allocated while the
	// rounds ran (client and server together).
	allocBytes, allocs uint64
	// floorRounds holds, per round, the CPU time of one operation of the
	// scenario's floor (µs), when it has one; floorErr the first error of
	// the floor operation.
	floorRounds []float64
	floorErr    error
}

// drive sends requests to base from concurrency workers for d (at most
// limit requests) and adds what it saw to res. A request counts as an error
// unless it answers 200.
func drive(ctx context.Context, client *http.Client, base string, newRequest func(string, int) (*http.Request, error), concurrency int, d time.Duration, limit int, res *loadResult) {
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next int
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1024)
			errs := 0
			for ctx.Err() == nil && time.Now().Before(deadline) {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= limit {
					break
				}
				req, err := newRequest(base, i)
				if err != nil {
					errs++
					continue
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					errs++
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.requests += len(lat)
			res.errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed += time.Since(start)
}

func percentileMS(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return float64(s[i].Microseconds()) / 1000
}
