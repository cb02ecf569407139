package redisstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/session"
)

// storeConfigs are the ways a Store can send its per-request commands,
// which the tests below run alike.
var storeConfigs = []struct {
	name string
	opts []redisstore.Option
}{
	{"one round trip per call", []redisstore.Option{redisstore.WithPipelines(0)}},
	{"default pipelines", nil},
	{"two pipelines in flight", []redisstore.Option{redisstore.WithPipelines(2)}},
	{"one pipeline in flight, touch 1/8", []redisstore.Option{redisstore.WithPipelines(1), redisstore.WithTouchFraction(0.125)}},
	{"one round trip per call, touch 1/8", []redisstore.Option{redisstore.WithPipelines(0), redisstore.WithTouchFraction(0.125)}},
}

// sessionRecord is a login session of user, alive for an hour from now.
func sessionRecord(user string, now time.Time) session.Record {
	return session.Record{
		Identity: session.Identity{Principal: vapisec.Principal{Name: user, Domain: "vsphere.local"}, Scheme: vapisec.SchemeUserPass},
		Created:  now, LastAccessed: now, IdleTimeout: time.Hour, Expiry: now.Add(12 * time.Hour),
	}
}

// TestBatchedLookupsNeverCrossSessions: 64 goroutines look up 64 different
// sessions at once, so that their commands share pipelines; each must get
// its own session's record, never a neighbour's (a reply handed to the
// wrong caller would log one user in as another).
func TestBatchedLookupsNeverCrossSessions(t *testing.T) {
	srv := startRedis(t, false)
	client := srv.Client(t)
	for _, cfg := range storeConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			if err := client.FlushDB(t.Context()).Err(); err != nil {
				t.Fatal(err)
			}
			store := newStore(t, client, append(cfg.opts, redisstore.WithTimeout(5*time.Second))...)
			now := time.Now()
			const users, lookups = 64, 100
			keys := make([]session.Key, users)
			for i := range keys {
				keys[i] = session.Key{byte(i), 0xbe, 0xef}
				if err := store.Insert(t.Context(), keys[i], sessionRecord(fmt.Sprintf("user-%d", i), now), session.Limits{}); err != nil {
					t.Fatal(err)
				}
			}
			var wrong, failed atomic.Int64
			var wg sync.WaitGroup
			for i := range users {
				wg.Go(func() {
					want := fmt.Sprintf("user-%d", i)
					for j := range lookups {
						rec, err := store.Touch(t.Context(), keys[i], now.Add(time.Duration(j)*time.Millisecond))
						switch {
						case err != nil:
							failed.Add(1)
						case rec.Identity.Principal.Name != want:
							wrong.Add(1)
						}
					}
				})
			}
			wg.Wait()
			if wrong.Load() != 0 || failed.Load() != 0 {
				t.Fatalf("of %d lookups, %d got another session's record and %d failed", users*lookups, wrong.Load(), failed.Load())
			}
		})
	}
}

// TestHungRedisFailsLookupsWithinDeadline: a redis-server stopped with
// SIGSTOP (its connections stay open, nothing answers) must fail every
// lookup as store unavailable within the store's 50 ms timeout plus a
// margin, however the commands are sent — go-redis's automatic pipelining
// held such a call for the client's read timeout (here a minute) — and
// the store must work again once Redis does.
func TestHungRedisFailsLookupsWithinDeadline(t *testing.T) {
	srv := startRedis(t, false)
	opt, err := redisstore.ParseURL(srv.URL(), time.Minute) // the client's own timeouts: a minute
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	client := newClient(t, opt)
	const callers, bound = 32, time.Second
	for _, cfg := range storeConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			if err := client.FlushDB(t.Context()).Err(); err != nil {
				t.Fatal(err)
			}
			store := newStore(t, client, append(cfg.opts, redisstore.WithTimeout(50*time.Millisecond))...)
			now := time.Now()
			key := session.Key{0x5e, 0x55}
			if err := store.Insert(t.Context(), key, sessionRecord("alice", now), session.Limits{}); err != nil {
				t.Fatal(err)
			}
			if _, err := store.Touch(t.Context(), key, now); err != nil {
				t.Fatal(err)
			}
			srv.Stop()
			errs := make([]error, callers)
			took := make([]time.Duration, callers)
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() {
					start := time.Now()
					_, errs[i] = store.Touch(t.Context(), key, now)
					took[i] = time.Since(start)
				})
			}
			wg.Wait()
			srv.Continue()
			for i := range callers {
				if !errors.Is(errs[i], session.ErrStoreUnavailable) || took[i] >= bound {
					t.Fatalf("lookup %d on a stopped Redis: err = %v after %v; want ErrStoreUnavailable within %v", i, errs[i], took[i], bound)
				}
			}
			// Connections that timed out are dropped; the next calls work.
			deadline := time.Now().Add(5 * time.Second)
			for {
				_, err := store.Touch(t.Context(), key, now)
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("lookup after SIGCONT: %v", err)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// TestHungRedisAnswers503: the same through the middleware, with the
// shipped configuration: a request on a stopped Redis answers 503
// store_unavailable within the default timeout (500 ms) plus a margin.
func TestHungRedisAnswers503(t *testing.T) {
	srv := startRedis(t, false)
	opt, err := redisstore.ParseURL(srv.URL(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	in := newInstance(t, "A", newClient(t, opt))
	id := in.login(t)
	expectStatus(t, "before", in.whoami(t, id), http.StatusOK, "")
	srv.Stop()
	start := time.Now()
	r := in.whoami(t, id)
	took := time.Since(start)
	srv.Continue()
	expectStatus(t, "with Redis stopped", r, http.StatusServiceUnavailable, vapisec.ReasonStoreUnavailable)
	if took >= 2*time.Second {
		t.Fatalf("503 after %v, want within the 500 ms timeout plus a margin", took)
	}
}

// TestLogoutIsFinalUnderConcurrentLookups: while 8 goroutines keep looking
// a session up (through shared pipelines, with the coarse touch too), no
// lookup that starts after Delete (the logout) returned may succeed.
func TestLogoutIsFinalUnderConcurrentLookups(t *testing.T) {
	srv := startRedis(t, false)
	client := srv.Client(t)
	for _, cfg := range storeConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			if err := client.FlushDB(t.Context()).Err(); err != nil {
				t.Fatal(err)
			}
			store := newStore(t, client, cfg.opts...)
			for round := range 10 {
				now := time.Now()
				key := session.Key{byte(round), 0x10, 0x90}
				if err := store.Insert(t.Context(), key, sessionRecord("alice", now), session.Limits{}); err != nil {
					t.Fatal(err)
				}
				var loggedOut atomic.Bool
				var accepted, lookups atomic.Int64
				stop := make(chan struct{})
				var wg sync.WaitGroup
				for range 8 {
					wg.Go(func() {
						for {
							select {
							case <-stop:
								return
							default:
							}
							after := loggedOut.Load()
							_, err := store.Touch(t.Context(), key, time.Now())
							if after {
								lookups.Add(1)
								if err == nil {
									accepted.Add(1)
								}
							}
						}
					})
				}
				time.Sleep(5 * time.Millisecond)
				if err := store.Delete(t.Context(), key); err != nil {
					t.Fatal(err)
				}
				loggedOut.Store(true)
				time.Sleep(5 * time.Millisecond)
				close(stop)
				wg.Wait()
				if accepted.Load() != 0 || lookups.Load() == 0 {
					t.Fatalf("round %d: %d of %d lookups after the logout accepted the session", round, accepted.Load(), lookups.Load())
				}
			}
		})
	}
}

// TestCoarseTouchChecksTheParentChain: with the coarse touch, a derived
// session (a clone) whose parent logged out is refused, although its own
// record is alive and fresh: the HMGET fast path must leave every record
// but a login session to the script, which walks the parent chain.
func TestCoarseTouchChecksTheParentChain(t *testing.T) {
	srv := startRedis(t, false)
	store := newStore(t, srv.Client(t), redisstore.WithTouchFraction(0.125))
	now := time.Now()
	parent, child, ticket := session.Key{1, 1}, session.Key{2, 2}, session.Key{3, 3}
	if err := store.Insert(t.Context(), parent, sessionRecord("alice", now), session.Limits{}); err != nil {
		t.Fatal(err)
	}
	c := sessionRecord("alice", now)
	c.Kind, c.Parent = session.KindChild, parent
	if err := store.Insert(t.Context(), child, c, session.Limits{}); err != nil {
		t.Fatal(err)
	}
	tk := sessionRecord("alice", now)
	tk.Kind, tk.Parent, tk.IdleTimeout = session.KindTicket, parent, time.Minute
	if err := store.Insert(t.Context(), ticket, tk, session.Limits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Touch(t.Context(), child, now.Add(time.Second)); err != nil {
		t.Fatalf("child before the logout: %v", err)
	}
	if _, err := store.Touch(t.Context(), ticket, now.Add(time.Second)); !errors.Is(err, session.ErrUnknownSession) {
		t.Fatalf("a clone ticket used as a session: err = %v, want ErrUnknownSession", err)
	}
	// The parent's record goes away the way a Redis TTL removes it: no
	// cascade runs, only the chain check can refuse the child.
	if err := srv.Client(t).Del(t.Context(), "vapisec:{"+parent.Tag().String()+"}:r:"+parent.String()).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Touch(t.Context(), child, now.Add(2*time.Second)); !errors.Is(err, session.ErrUnknownSession) {
		t.Fatalf("child after its parent vanished: err = %v, want ErrUnknownSession", err)
	}
}

// TestCoarseTouchKeepsIdleTimeoutToTheFraction: with a touch fraction f, a
// session used at random moments must never be alive IdleTimeout or more
// after its last use (never longer than exact), and must always be alive
// less than (1−f)·IdleTimeout after it (never shorter by more than f).
func TestCoarseTouchKeepsIdleTimeoutToTheFraction(t *testing.T) {
	srv := startRedis(t, false)
	const f = 0.125
	store := newStore(t, srv.Client(t), redisstore.WithTouchFraction(f))
	rng := rand.New(rand.NewPCG(1, 2))
	idle := time.Hour
	now := time.Now().Truncate(time.Millisecond)
	var key session.Key
	var lastUse time.Time
	fresh := func(i int) {
		key = session.Key{byte(i), byte(i >> 8), 0xc0}
		rec := sessionRecord("alice", now)
		rec.Expiry = now.Add(10000 * time.Hour) // only the idle timeout ends it
		if err := store.Insert(t.Context(), key, rec, session.Limits{}); err != nil {
			t.Fatal(err)
		}
		lastUse = now
	}
	fresh(0)
	var slid, died int
	for i := range 400 {
		// Mostly uses a few minutes apart (within and beyond the 7.5 min
		// slack), sometimes a pause around the idle timeout.
		step := time.Duration(rng.Int64N(int64(12 * time.Minute)))
		if rng.IntN(8) == 0 {
			step = 45*time.Minute + time.Duration(rng.Int64N(int64(30*time.Minute)))
		}
		now = now.Add(step).Truncate(time.Millisecond)
		rec, err := store.Touch(t.Context(), key, now)
		since := now.Sub(lastUse)
		switch {
		case err == nil && since >= idle:
			t.Fatalf("step %d: alive %v after its last use, idle timeout %v", i, since, idle)
		case err != nil && since < time.Duration((1-f)*float64(idle)):
			t.Fatalf("step %d: refused %v after its last use (%v), want alive below %v", i, since, err, time.Duration((1-f)*float64(idle)))
		case err != nil:
			died++
			fresh(i + 1)
		default:
			if rec.LastAccessed.After(now) || now.Sub(rec.LastAccessed) > time.Duration(f*float64(idle)) {
				t.Fatalf("step %d: LastAccessed %v, now %v", i, rec.LastAccessed, now)
			}
			if rec.LastAccessed.Equal(now) {
				slid++
			}
			lastUse = now
		}
	}
	if slid == 0 || died == 0 {
		t.Fatalf("the walk slid %d times and saw %d sessions idle out: it checks nothing", slid, died)
	}
}

// TestBatchedLookupsAfterScriptFlush: a Redis that forgot the scripts (a
// restart, SCRIPT FLUSH) answers NOSCRIPT to a pipelined EVALSHA; the
// store sends those commands again with EVAL.
func TestBatchedLookupsAfterScriptFlush(t *testing.T) {
	srv := startRedis(t, false)
	c := srv.Client(t)
	store := newStore(t, c)
	now := time.Now()
	key := session.Key{0xf1}
	if err := store.Insert(t.Context(), key, sessionRecord("alice", now), session.Limits{}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := c.ScriptFlush(t.Context()).Err(); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range errs {
			wg.Go(func() { _, errs[i] = store.Touch(t.Context(), key, now) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("lookup %d after SCRIPT FLUSH: %v", i, err)
			}
		}
	}
}

// startClusterNode starts a redis-server in cluster mode that serves every
// slot itself: a real Redis Cluster of one master, enough for a
// redis.ClusterClient to route, pipeline and fail over nothing.
func startClusterNode(t *testing.T) *redisServer {
	srv := startRedis(t, false, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	admin := srv.Client(t)
	if err := admin.Do(t.Context(), "cluster", "addslotsrange", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := admin.ClusterInfo(t.Context()).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return srv
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster state: %q, %v", info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPipelinesOnClusterClient: through a redis.ClusterClient (go-redis's
// cluster pipeline) the batched lookups reach the right callers, and a
// stopped node fails them within the deadline.
func TestPipelinesOnClusterClient(t *testing.T) {
	srv := startClusterNode(t)
	client := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: []string{srv.Addr()}, ContextTimeoutEnabled: true, MaxRedirects: 1,
		DialTimeout: time.Minute, ReadTimeout: time.Minute, WriteTimeout: time.Minute,
	})
	t.Cleanup(func() { _ = client.Close() })
	// A generous timeout while checking the replies (the machine may be
	// busy), 50 ms once the node is stopped.
	store := newStore(t, client, redisstore.WithPipelines(1), redisstore.WithTimeout(5*time.Second))
	hung := newStore(t, client, redisstore.WithPipelines(1), redisstore.WithTimeout(50*time.Millisecond))
	now := time.Now()
	const users = 64
	keys := make([]session.Key, users)
	for i := range keys {
		keys[i] = session.Key{byte(i), 0xc1}
		if err := store.Insert(t.Context(), keys[i], sessionRecord(fmt.Sprintf("user-%d", i), now), session.Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	var wrong, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for i := range users {
		wg.Go(func() {
			for range 50 {
				rec, err := store.Touch(t.Context(), keys[i], now)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				} else if rec.Identity.Principal.Name != fmt.Sprintf("user-%d", i) {
					wrong.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if wrong.Load() != 0 || failed.Load() != 0 {
		t.Fatalf("%d lookups got another session's record, %d failed (%v)", wrong.Load(), failed.Load(), firstErr.Load())
	}
	srv.Stop()
	start := time.Now()
	_, err := hung.Touch(t.Context(), keys[0], now)
	took := time.Since(start)
	srv.Continue()
	if !errors.Is(err, session.ErrStoreUnavailable) || took >= time.Second {
		t.Fatalf("lookup on a stopped cluster node: err = %v after %v; want ErrStoreUnavailable within 1s", err, took)
	}
}

// TestHungRedisCannotGrowTheQueueWithoutBound: while a stopped Redis holds
// the pipeline in flight, the calls queued behind it are bounded (16384):
// the ones beyond fail at once as store unavailable instead of piling up
// memory until their deadlines.
func TestHungRedisCannotGrowTheQueueWithoutBound(t *testing.T) {
	srv := startRedis(t, false)
	opt, err := redisstore.ParseURL(srv.URL(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	store := newStore(t, newClient(t, opt), redisstore.WithPipelines(1), redisstore.WithTimeout(3*time.Second))
	now := time.Now()
	key := session.Key{0x0b}
	if err := store.Insert(t.Context(), key, sessionRecord("alice", now), session.Limits{}); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	defer srv.Continue()
	const callers = 16384 + 512
	var fast atomic.Int64
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			start := time.Now()
			_, err := store.Touch(t.Context(), key, now)
			if errors.Is(err, session.ErrStoreUnavailable) && time.Since(start) < time.Second {
				fast.Add(1)
			}
		})
	}
	wg.Wait()
	if fast.Load() == 0 {
		t.Fatalf("none of %d calls on a stopped Redis was refused at once: the queue has no bound", callers)
	}
}
