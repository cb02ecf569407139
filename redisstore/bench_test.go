package redisstore_test

import (
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/session"
)

// BenchmarkSessionMiddleware measures the session middleware over HTTP on
// loopback — a keep-alive client, httptest servers, GET /api/whoami with a
// session id header — with the memory store and with the Redis store, side
// by side in one run, b.N requests each, from 1 client (latency-bound: one
// Redis round trip per request adds a loopback RTT) and from 8 concurrent
// clients (throughput). It reports the time per request of each and their
// throughput ratio (redis/memory; issue 20 bar: ≥ 0.6).
// The Redis store runs on a real redis-server on loopback when one is
// installed, else on miniredis (reported as the metric "miniredis"=1).
func BenchmarkSessionMiddleware(b *testing.B) {
	var client redis.UniversalClient
	usingMini := 0.0
	if _, err := exec.LookPath(redisBinary); err == nil {
		srv := startRedis(b, false)
		opt, err := redisstore.ParseURL(srv.URL(), 0)
		if err != nil {
			b.Fatal(err)
		}
		client = redis.NewClient(opt)
	} else {
		m := miniredis.RunT(b)
		client = redis.NewClient(&redis.Options{Addr: m.Addr()})
		usingMini = 1
	}
	b.Cleanup(func() { _ = client.Close() })

	mem, red := newInstance(b, "memory", nil), newInstance(b, "redis", client)
	memID, redID := mem.login(b), red.login(b)
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

	request := func(in *instance, id string) {
		req, _ := http.NewRequest(http.MethodGet, in.srv.URL+"/api/whoami", nil)
		req.Header.Set("vmware-api-session-id", id)
		resp, err := httpc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: status %d", in.name, resp.StatusCode)
		}
	}
	// Warm up both: connections, the script cache of Redis.
	for range 100 {
		request(mem, memID)
		request(red, redID)
	}
	// measure sends n requests to in from workers goroutines.
	measure := func(in *instance, id string, n, workers int) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < n; i += workers {
					request(in, id)
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	for _, workers := range []int{1, 8} {
		b.Run("clients="+strconv.Itoa(workers), func(b *testing.B) {
			b.ReportAllocs()
			memDur := measure(mem, memID, b.N, workers)
			redDur := measure(red, redID, b.N, workers)
			b.ReportMetric(float64(memDur.Nanoseconds())/float64(b.N), "memory-ns/req")
			b.ReportMetric(float64(redDur.Nanoseconds())/float64(b.N), "redis-ns/req")
			b.ReportMetric(float64(memDur)/float64(redDur), "redis/memory-throughput")
			b.ReportMetric(usingMini, "miniredis")
		})
	}
}

// BenchmarkTouch measures Store.Touch, the per-request operation: one
// EVALSHA round trip.
func BenchmarkTouch(b *testing.B) {
	srv := startRedis(b, false)
	opt, err := redisstore.ParseURL(srv.URL(), 0)
	if err != nil {
		b.Fatal(err)
	}
	client := redis.NewClient(opt)
	b.Cleanup(func() { _ = client.Close() })
	store := newStore(b, client)
	now := time.Now()
	key, rec := session.Key{1}, session.Record{
		Identity: session.Identity{
			Principal: vapisec.Principal{Name: "alice", Domain: "vsphere.local"},
			Groups:    []string{"Users", "Administrators"},
			Scheme:    vapisec.SchemeUserPass,
		},
		Created: now, LastAccessed: now, IdleTimeout: time.Hour, Expiry: now.Add(time.Hour),
	}
	if err := store.Insert(b.Context(), key, rec, session.Limits{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := store.Touch(b.Context(), key, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInsertChannel measures Store.Insert of channel credentials with
// the user's record bound set, for users that hold up to 100 records each
// (a login session and its credentials): every insert counts the user's
// records, checking each credential's parent chain (once per parent).
func BenchmarkInsertChannel(b *testing.B) {
	srv := startRedis(b, false)
	opt, err := redisstore.ParseURL(srv.URL(), 0)
	if err != nil {
		b.Fatal(err)
	}
	client := redis.NewClient(opt)
	b.Cleanup(func() { _ = client.Close() })
	store := newStore(b, client)
	now := time.Now()
	limits := session.Limits{Records: 1000, Sessions: 550}
	rec := session.Record{
		Identity: session.Identity{
			Principal: vapisec.Principal{Name: "alice", Domain: "vsphere.local"},
			Scheme:    vapisec.SchemeUserPass,
		},
		Created: now, LastAccessed: now, IdleTimeout: time.Hour, Expiry: now.Add(time.Hour),
	}
	var root session.Key
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		key := session.Key{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i), 1}
		r := rec
		if i%100 == 0 {
			r.Identity.Principal.Name = "alice" + strconv.Itoa(i/100)
			root = key
		} else {
			r.Kind, r.Parent, r.Secret = session.KindChannel, root, session.Key{1}
		}
		rec.Identity.Principal.Name = r.Identity.Principal.Name
		i++
		if err := store.Insert(b.Context(), key, r, limits); err != nil {
			b.Fatal(err)
		}
	}
}
