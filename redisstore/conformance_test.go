package redisstore_test

import (
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/session/storetest"
)

// newStore returns a Store on client and fails the test on error.
func newStore(t testing.TB, client redis.UniversalClient, opts ...redisstore.Option) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(client, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConformanceMemory runs the conformance suite against the memory store
// next to the Redis backends, so the three always run from one table.
func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			store, err := session.NewMemoryStore()
			if err != nil {
				t.Fatal(err)
			}
			return store
		},
	})
}

// TestConformanceMiniredis runs the suite against miniredis. Its TTLs run
// on a clock the suite moves with FastForward, so records also vanish by
// their TTL, as in a real Redis.
func TestConformanceMiniredis(t *testing.T) {
	servers := map[session.Store]*miniredis.Miniredis{}
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			m := miniredis.RunT(t)
			c := redis.NewClient(&redis.Options{Addr: m.Addr()})
			t.Cleanup(func() { _ = c.Close() })
			s := newStore(t, c)
			servers[s] = m
			return s
		},
		Advance: func(_ *testing.T, s session.Store, d time.Duration) { servers[s].FastForward(d) },
	})
}

// TestConformanceRedis runs the suite against a real redis-server. Its TTLs
// run on real time, which the suite does not move: expiry is decided by the
// time the suite passes (see the package documentation), the TTLs only
// collect garbage, so Advance is not needed.
func TestConformanceRedis(t *testing.T) {
	srv := startRedis(t, false)
	client := srv.Client(t)
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			if err := client.FlushDB(t.Context()).Err(); err != nil {
				t.Fatal(err)
			}
			return newStore(t, client)
		},
	})
}
