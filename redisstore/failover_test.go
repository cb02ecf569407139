package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/internal/redistest"
	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/session/storetest"
	"github.com/vapisec/vapisec/verifier"
)

// fleetUsers is how many users the failover tests log in.
const fleetUsers = 60

// fleetPassword is every fleet user's password.
const fleetPassword = "secret"

// fleetUser returns the name of fleet user i.
func fleetUser(i int) string { return fmt.Sprintf("user%02d@vsphere.local", i) }

// newFleetInstance starts an instance like newInstance whose users are the
// fleetUsers users, on a client of rawURL (redisstore.NewUniversalClient)
// and a store with opts.
func newFleetInstance(t testing.TB, name, rawURL string, opts ...redisstore.Option) *instance {
	t.Helper()
	client, err := redisstore.NewUniversalClient(rawURL, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	manager, err := session.NewManager(newStore(t, client, opts...))
	if err != nil {
		t.Fatal(err)
	}
	pass := make(map[string]string, fleetUsers)
	for i := range fleetUsers {
		pass[fleetUser(i)] = fleetPassword
	}
	return serveInstance(t, name, manager, pass)
}

// loginAs logs user in and returns the reply's status and session id.
func (in *instance) loginAs(t testing.TB, user string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, in.srv.URL+"/api/session", nil)
	req.SetBasicAuth(user, fleetPassword)
	req.Header.Set("vmware-use-header-authn", "true")
	resp, err := in.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var id string
	if resp.StatusCode == http.StatusCreated {
		if err := json.NewDecoder(resp.Body).Decode(&id); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, id
}

// logout ends the session id and returns the status.
func (in *instance) logout(t testing.TB, id string) int {
	t.Helper()
	return in.do(t, http.MethodDelete, "/api/session", map[string]string{"vmware-api-session-id": id}).status
}

// fleet is the sessions of a failover test: live ones and logged-out ones.
type fleet struct {
	live, gone []string
}

// settle logs every fleet user in (alternating instances) and logs out
// every third session, each expecting success.
func settle(t *testing.T, ins []*instance) fleet {
	t.Helper()
	var f fleet
	for i := range fleetUsers {
		in := ins[i%len(ins)]
		status, id := in.loginAs(t, fleetUser(i))
		if status != http.StatusCreated {
			t.Fatalf("login of %s on %s: %d", fleetUser(i), in.name, status)
		}
		if i%3 == 2 {
			if st := ins[(i+1)%len(ins)].logout(t, id); st != http.StatusNoContent {
				t.Fatalf("logout of %s: %d", fleetUser(i), st)
			}
			f.gone = append(f.gone, id)
		} else {
			f.live = append(f.live, id)
		}
	}
	return f
}

// probe asks every instance about every session once and fails the test
// on a wrong answer: a live session answers 200 or 503 (the store is
// failing over: fail closed), never 401; a logged-out one 401 or 503,
// never 200. It returns how many answers were 503.
func (f fleet) probe(t *testing.T, ins []*instance, when string) (unavailable int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	var wrong []string
	check := func(in *instance, id string, live bool) {
		r := in.whoami(t, id)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.status == http.StatusServiceUnavailable:
			unavailable++
		case live && r.status != http.StatusOK:
			wrong = append(wrong, fmt.Sprintf("live session %.8s… on %s: %d %s", id, in.name, r.status, r.body))
		case !live && r.status != http.StatusUnauthorized:
			wrong = append(wrong, fmt.Sprintf("logged-out session %.8s… on %s: %d %s", id, in.name, r.status, r.body))
		}
	}
	for _, in := range ins {
		for _, id := range f.live {
			wg.Go(func() { check(in, id, true) })
		}
		for _, id := range f.gone {
			wg.Go(func() { check(in, id, false) })
		}
	}
	wg.Wait()
	if len(wrong) > 0 {
		t.Fatalf("%s: %d wrong answers, first %s", when, len(wrong), wrong[0])
	}
	return unavailable
}

// throughFailover probes the fleet until done reports nil (the deployment
// recovered), then until every answer is right and none is 503; it fails
// the test if that takes longer than timeout. It returns the probe rounds
// and the 503 answers seen.
func (f fleet) throughFailover(t *testing.T, ins []*instance, timeout time.Duration, done func() error) (rounds, unavailable int) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	recovered := false
	for {
		rounds++
		n := f.probe(t, ins, fmt.Sprintf("probe round %d", rounds))
		unavailable += n
		if !recovered {
			recovered = done() == nil
		} else if n == 0 {
			return rounds, unavailable
		}
		if time.Now().After(deadline) {
			t.Fatalf("not recovered within %v (recovered = %v, %d answers 503 in the last round; %v)", timeout, recovered, n, done())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// boolInt is 1 for true.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// recordKey is the Redis key of the record of session id (the layout of
// redisstore.WithPrefix with the default prefix).
func recordKey(t testing.TB, id string) string {
	t.Helper()
	k, err := session.KeyOf(id)
	if err != nil {
		t.Fatal(err)
	}
	return "vapisec:{" + k.Tag().String() + "}:r:" + k.String()
}

// TestClusterShardsUsersAndFailsOverClosed runs two instances on a real
// Redis Cluster of 3 masters and 3 replicas: the users' sessions spread
// over the masters (one user's records in one slot), and while a master
// killed with SIGKILL is replaced by its replica every request answers 200
// or 503 — never 401 for a live session, never 200 for a logged-out one —
// and afterwards every session settled before the fault (written with
// WAIT 1: on the replica before the client was answered) is as it was.
func TestClusterShardsUsersAndFailsOverClosed(t *testing.T) {
	t.Parallel() // mostly waiting for Redis failovers
	t0 := time.Now()
	cl := redistest.StartCluster(t, 3, 1)
	t.Logf("cluster up in %v", time.Since(t0).Round(time.Millisecond))
	wait := redisstore.WithWaitReplicas(1, time.Second)
	ins := []*instance{newFleetInstance(t, "A", cl.URL(), wait), newFleetInstance(t, "B", cl.URL(), wait)}
	f := settle(t, ins)

	admin, err := redisstore.NewUniversalClient(cl.URL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	cc := admin.(*redis.ClusterClient)
	ctx := t.Context()
	// Where each session lives: its record exists under the user's tag,
	// and the slots spread over the masters.
	bySlot, byMaster := map[int64]int{}, map[string][]string{}
	for _, id := range append(append([]string(nil), f.live...), f.gone...) {
		key := recordKey(t, id)
		slot, err := cc.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		node, err := cc.MasterForKey(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		bySlot[slot]++
		byMaster[node.Options().Addr] = append(byMaster[node.Options().Addr], id)
	}
	for _, id := range f.live {
		if n, err := cc.Exists(ctx, recordKey(t, id)).Result(); err != nil || n != 1 {
			t.Fatalf("record of a live session not under its user's tag: %d, %v", n, err)
		}
	}
	t.Logf("%d sessions of %d users in %d slots on %d masters", len(f.live)+len(f.gone), fleetUsers, len(bySlot), len(byMaster))
	if len(byMaster) < 2 || len(bySlot) < fleetUsers/2 {
		t.Fatalf("sessions on %d masters in %d slots: not spread by user", len(byMaster), len(bySlot))
	}
	// The administrator's list and terminate find a user's sessions from
	// the user's name (its tag), on whichever master they are.
	store := newStore(t, admin)
	now := time.Now()
	for i := range 6 {
		user := vapisec.Principal{Name: fmt.Sprintf("user%02d", i), Domain: "vsphere.local"}
		entries, err := store.ListUser(ctx, user, now)
		if want := 1 - boolInt(i%3 == 2); err != nil || len(entries) != want {
			t.Fatalf("ListUser(%v) = %d entries, %v; want %d", user, len(entries), err, want)
		}
	}
	victimUser := vapisec.Principal{Name: "USER00", Domain: "vsphere.local"}
	if n, err := store.DeleteUser(ctx, victimUser, now); err != nil || n != 1 {
		t.Fatalf("DeleteUser(%v) = %d, %v; want 1", victimUser, n, err)
	}
	f.gone = append(f.gone, f.live[0]) // user00's session
	f.live = f.live[1:]
	f.probe(t, ins, "before the fault")

	// The replay cache's keys are tagged per subject: every Record is a
	// single-slot script, and the subjects spread over the slots.
	rc, err := redisstore.NewReplayCache(admin)
	if err != nil {
		t.Fatal(err)
	}
	replaySlots := map[int64]bool{}
	for i := range 20 {
		e := verifier.ReplayEntry{TTL: time.Minute, Share: 10, SubjectShare: 10}
		e.Subject[0], e.Owner[0], e.Key[0] = byte(i), byte(i), byte(i)
		if err := rc.Record(ctx, e); err != nil {
			t.Fatalf("replay entry %d on the cluster: %v", i, err)
		}
		if err := rc.Record(ctx, e); !errors.Is(err, verifier.ErrReplayed) {
			t.Fatalf("replay entry %d again: %v, want ErrReplayed", i, err)
		}
		slot, err := cc.ClusterKeySlot(ctx, "vapisec:replay:{"+e.Subject.String()+"}").Result()
		if err != nil {
			t.Fatal(err)
		}
		replaySlots[slot] = true
	}
	if len(replaySlots) < 10 {
		t.Fatalf("20 replay subjects in %d slots", len(replaySlots))
	}

	// Kill the master that holds the most sessions.
	var victim string
	for addr, ids := range byMaster {
		if len(ids) > len(byMaster[victim]) {
			victim = addr
		}
	}
	p := cl.Proc(victim)
	t.Logf("SIGKILL master %s (pid %d, %d sessions)", victim, p.Pid(), len(byMaster[victim]))
	p.Kill()
	start := time.Now()
	rounds, unavailable := f.throughFailover(t, ins, 30*time.Second, func() error { return cl.Healthy(3) })
	t.Logf("recovered in %v: %d probe rounds of %d requests, %d answered 503, none wrong",
		time.Since(start).Round(time.Millisecond), rounds, 2*(len(f.live)+len(f.gone)), unavailable)

	f.afterFailover(t, ins, func() {
		p.Restart(t) // it rejoins as the replica of its successor
		cl.WaitHealthy(30*time.Second, 3)
	})
}

// afterFailover checks the logins after a failover: with WAIT 1 a login of
// a user whose master has no replica left fails closed (503, never a
// session the client could lose), and once restart brought a replica back
// every user logs in and the new sessions work on both instances.
func (f fleet) afterFailover(t *testing.T, ins []*instance, restart func()) {
	t.Helper()
	for i := range 3 {
		if status, _ := ins[i%2].loginAs(t, fleetUser(i)); status != http.StatusCreated && status != http.StatusServiceUnavailable {
			t.Fatalf("login of %s with a master without replica: %d, want 201 or 503", fleetUser(i), status)
		}
	}
	restart()
	start := time.Now()
	redistest.Eventually(t, 20*time.Second, "logins once the replica is back", func() error {
		for i := range fleetUsers {
			status, id := ins[i%2].loginAs(t, fleetUser(i))
			if status != http.StatusCreated {
				return fmt.Errorf("login of %s: %d", fleetUser(i), status)
			}
			if r := ins[(i+1)%2].whoami(t, id); r.status != http.StatusOK {
				return fmt.Errorf("new session of %s: %d", fleetUser(i), r.status)
			}
		}
		return nil
	})
	t.Logf("every user logs in again %v after the restart", time.Since(start).Round(time.Millisecond))
	f.probe(t, ins, "after the failover")
}

// TestSentinelFailsOverClosed: the same with a Sentinel-monitored master
// and its replica (three Sentinels, quorum 2): while the Sentinels promote
// the replica of the killed master every answer is 200 or 503, never a
// wrong 401 or 200, and the sessions settled with WAIT before the fault
// are as they were after it.
func TestSentinelFailsOverClosed(t *testing.T) {
	t.Parallel() // mostly waiting for Redis failovers
	st := redistest.StartSentinel(t)
	wait := redisstore.WithWaitReplicas(1, time.Second)
	ins := []*instance{newFleetInstance(t, "A", st.URL(), wait), newFleetInstance(t, "B", st.URL(), wait)}
	f := settle(t, ins)
	f.probe(t, ins, "before the fault")

	old := st.Master.Addr()
	t.Logf("SIGKILL master %s (pid %d)", old, st.Master.Pid())
	st.Master.Kill()
	start := time.Now()
	rounds, unavailable := f.throughFailover(t, ins, 30*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		addr, err := st.MasterAddr(ctx)
		if err != nil {
			return err
		}
		if addr != st.Replica.Addr() {
			return fmt.Errorf("master still %s", addr)
		}
		return nil
	})
	t.Logf("recovered in %v: %d probe rounds of %d requests, %d answered 503, none wrong",
		time.Since(start).Round(time.Millisecond), rounds, 2*(len(f.live)+len(f.gone)), unavailable)
	f.afterFailover(t, ins, func() {
		// Back as the new master's replica, as the Sentinels would make it
		// (they take some 15 s to).
		st.Master.Restart(t)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := st.Master.Client(t).ReplicaOf(ctx, "127.0.0.1", strconv.Itoa(st.Replica.Port)).Err(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConformanceCluster runs the Store conformance suite on a real Redis
// Cluster (3 masters, no replicas): every script, cascades and quotas
// included, is single-slot, so none fails with CROSSSLOT or "non local
// key". Each case gets a prefix of its own (and so its own shard key).
func TestConformanceCluster(t *testing.T) {
	t.Parallel() // mostly waiting for the cluster to form
	cl := redistest.StartCluster(t, 3, 0)
	client, err := redisstore.NewUniversalClient(cl.URL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	n := 0
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store {
			n++
			return newStore(t, client, redisstore.WithPrefix(fmt.Sprintf("case%d", n)))
		},
	})
}
