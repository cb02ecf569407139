package redisstore_test

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec/internal/redistest"
	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/session"
)

// clusterRound runs rounds lookups of every key concurrently on store and
// sorts the outcomes by the master of the key: ok (the caller's own
// record), wrong (another record, or an error other than
// ErrStoreUnavailable), closed (ErrStoreUnavailable), and slowest, the
// longest a failing caller waited.
type clusterOutcome struct {
	ok, wrong, closed int
	slowest           time.Duration
	firstWrong        string
}

func clusterRound(t *testing.T, store *redisstore.Store, keys []session.Key, master []string, rounds int) map[string]*clusterOutcome {
	t.Helper()
	var mu sync.Mutex
	out := map[string]*clusterOutcome{}
	for _, m := range master {
		if out[m] == nil {
			out[m] = &clusterOutcome{}
		}
	}
	now := time.Now()
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			for range rounds {
				start := time.Now()
				rec, err := store.Touch(t.Context(), keys[i], now)
				took := time.Since(start)
				mu.Lock()
				o := out[master[i]]
				switch {
				case err == nil && rec.Identity.Principal.Name == fmt.Sprintf("user-%d", i):
					o.ok++
				case errors.Is(err, session.ErrStoreUnavailable):
					o.closed++
					o.slowest = max(o.slowest, took)
				default:
					o.wrong++
					if o.firstWrong == "" {
						o.firstWrong = fmt.Sprintf("user-%d: %v %v", i, rec.Identity.Principal, err)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// TestHungClusterMasterDoesNotStallOtherMasters: on a real Redis Cluster of
// 3 masters the batched lookups (the shipped pipelines and coarse touch) of
// users on every master reach their own callers; when one master hangs
// (SIGSTOP) and then dies (SIGKILL), its users' lookups fail closed within
// their deadline while every lookup of the users on the other masters keeps
// succeeding: a batch is never held back by the commands of another
// master.
func TestHungClusterMasterDoesNotStallOtherMasters(t *testing.T) {
	t.Parallel() // mostly waiting for the cluster to form
	cl := redistest.StartCluster(t, 3, 0)
	// No replicas: without full coverage the other masters go on serving
	// their slots once the victim is marked failed.
	for _, n := range cl.Nodes {
		if err := n.Client(t).ConfigSet(t.Context(), "cluster-require-full-coverage", "no").Err(); err != nil {
			t.Fatal(err)
		}
	}
	client, err := redisstore.NewUniversalClient(cl.URL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	cc := client.(*redis.ClusterClient)
	const timeout = 500 * time.Millisecond
	store := newStore(t, client, redisstore.WithTouchFraction(0.125), redisstore.WithTimeout(timeout))
	now := time.Now()
	const users = 60
	keys := make([]session.Key, users)
	master := make([]string, users)
	byMaster := map[string]int{}
	for i := range keys {
		keys[i] = session.Key{byte(i), 0xc1, 0x5e, byte(i * 7)}
		if err := store.Insert(t.Context(), keys[i], sessionRecord(fmt.Sprintf("user-%d", i), now), session.Limits{}); err != nil {
			t.Fatal(err)
		}
		node, err := cc.MasterForKey(t.Context(), "vapisec:{"+keys[i].Tag().String()+"}:r:"+keys[i].String())
		if err != nil {
			t.Fatal(err)
		}
		master[i] = node.Options().Addr
		byMaster[master[i]]++
	}
	if len(byMaster) != 3 {
		t.Fatalf("%d users on %d masters, want all 3: %v", users, len(byMaster), byMaster)
	}
	for m, o := range clusterRound(t, store, keys, master, 20) {
		if o.wrong != 0 || o.closed != 0 {
			t.Fatalf("healthy master %s: %d wrong (%s), %d failed", m, o.wrong, o.firstWrong, o.closed)
		}
	}
	var victim string
	for m := range byMaster {
		victim = m
		break
	}
	p := cl.Proc(victim)
	check := func(what string) {
		t.Helper()
		for m, o := range clusterRound(t, store, keys, master, 10) {
			t.Logf("%s: master %s (victim %v): %d ok, %d failed closed (slowest %v), %d wrong",
				what, m, m == victim, o.ok, o.closed, o.slowest.Round(time.Millisecond), o.wrong)
			switch {
			case o.wrong != 0:
				t.Fatalf("%s: %d wrong answers on %s, first %s", what, o.wrong, m, o.firstWrong)
			case m == victim && (o.ok != 0 || o.slowest > timeout+time.Second):
				t.Fatalf("%s: victim's users: %d ok, slowest failure after %v (deadline %v)", what, o.ok, o.slowest, timeout)
			case m != victim && o.closed != 0:
				t.Fatalf("%s: %d lookups of users on the healthy master %s failed (slowest %v)", what, o.closed, m, o.slowest)
			}
		}
	}
	pid := p.Pid()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	check("master hung (SIGSTOP)")
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	p.Kill()
	check("master killed (SIGKILL)")
}
