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

// memoryHarness is the memory store, run next to the Redis backends so the
// three always run from one table.
func memoryHarness() storetest.Harness {
	return storetest.Harness{
		New: func(t *testing.T) session.Store {
			store, err := session.NewMemoryStore()
			if err != nil {
				t.Fatal(err)
			}
			return store
		},
	}
}

// miniredisHarness is the Store on miniredis. Its TTLs run on a clock the
// suite moves with FastForward, so records also vanish by their TTL, as in
// a real Redis.
func miniredisHarness() storetest.Harness {
	servers := map[session.Store]*miniredis.Miniredis{}
	return storetest.Harness{
		New: func(t *testing.T) session.Store {
			m := miniredis.RunT(t)
			c := redis.NewClient(&redis.Options{Addr: m.Addr()})
			t.Cleanup(func() { _ = c.Close() })
			s := newStore(t, c)
			servers[s] = m
			return s
		},
		Advance: func(_ *testing.T, s session.Store, d time.Duration) { servers[s].FastForward(d) },
	}
}

// redisHarness is the Store on a real redis-server started for t. Its TTLs
// run on real time, which the suite does not move: expiry is decided by the
// time the suite passes (see the package documentation), the TTLs only
// collect garbage, so Advance is not needed.
// opts configure the stores it makes.
func redisHarness(t *testing.T, opts ...redisstore.Option) storetest.Harness {
	srv := startRedis(t, false)
	client := srv.Client(t)
	return storetest.Harness{
		New: func(t *testing.T) session.Store {
			if err := client.FlushDB(t.Context()).Err(); err != nil {
				t.Fatal(err)
			}
			return newStore(t, client, opts...)
		},
	}
}

func TestConformanceMemory(t *testing.T)    { storetest.Run(t, memoryHarness()) }
func TestConformanceMiniredis(t *testing.T) { storetest.Run(t, miniredisHarness()) }
func TestConformanceRedis(t *testing.T)     { storetest.Run(t, redisHarness(t)) }

// TestConformanceRedisWithoutPipelines: the store that sends every command
// on its own round trip keeps the same contract as the pipelined default.
func TestConformanceRedisWithoutPipelines(t *testing.T) {
	storetest.Run(t, redisHarness(t, redisstore.WithPipelines(0)))
}

// runEverywhere runs the named conformance cases against the memory store,
// miniredis and a real redis-server.
func runEverywhere(t *testing.T, names ...string) {
	t.Run("memory", func(t *testing.T) { storetest.RunCases(t, memoryHarness(), names...) })
	t.Run("miniredis", func(t *testing.T) { storetest.RunCases(t, miniredisHarness(), names...) })
	t.Run("redis-server", func(t *testing.T) { storetest.RunCases(t, redisHarness(t), names...) })
}

// TestUserNameSpellingsShareOneQuota: with a case-insensitive directory,
// alice, Alice, aLice… are one account; they must share one session cap and
// one record bound, or one account fills the store (8,192 casings of
// "administrator" × 1,000 records), and the administrator's list and
// terminate must find every spelling.
func TestUserNameSpellingsShareOneQuota(t *testing.T) {
	runEverywhere(t, storetest.SpellingsCase)
}

// TestOrphanedRecordsDoNotCountAgainstTheUser: channel credentials (and
// derived sessions) of a session that idled out, left behind because a
// Redis key expiring cascades nothing, must not keep counting against the
// user's record bound: 16 credentials per session, a bound of 40 and 31
// minutes between logins used to refuse the third round.
func TestOrphanedRecordsDoNotCountAgainstTheUser(t *testing.T) {
	runEverywhere(t, storetest.OrphansCase)
}
