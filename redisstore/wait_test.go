package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/internal/redistest"
	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/session"
)

// lossyFailover runs the worst case of an asynchronous failover: the
// replica's link drops (it reconnects only at its next replication cron,
// up to a second later), a login and a logout are answered, the master is
// killed at once and the replica promoted. It returns the Manager on the
// promoted replica, the id logged in and the id logged out just before the
// fault.
func lossyFailover(t *testing.T, opts ...redisstore.Option) (m *session.Manager, loggedIn, loggedOut string) {
	master, replica := redistest.StartReplicated(t)
	ctx := t.Context()
	newManager := func(p *redistest.Proc) *session.Manager {
		opt, err := redisstore.ParseURL("redis://"+p.Addr()+"/0", 0)
		if err != nil {
			t.Fatal(err)
		}
		c := redis.NewClient(opt)
		t.Cleanup(func() { _ = c.Close() })
		m, err := session.NewManager(newStore(t, c, opts...))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := newManager(master)
	alice := session.Identity{Principal: vapisec.Principal{Name: "alice", Domain: "vsphere.local"}}
	old, err := before.Create(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if err := master.Client(t).ClientKillByFilter(ctx, "TYPE", "replica").Err(); err != nil {
		t.Fatal(err)
	}
	s, err := before.Create(ctx, alice)
	if err != nil {
		t.Fatalf("login while the replica reconnects: %v", err)
	}
	if err := before.Delete(ctx, old.ID); err != nil {
		t.Fatalf("logout while the replica reconnects: %v", err)
	}
	master.Kill()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := replica.Client(t).ReplicaOf(cctx, "no", "one").Err(); err != nil {
		t.Fatal(err)
	}
	return newManager(replica), s.ID, old.ID
}

// TestFailoverDoesNotUndoAnsweredLoginsAndLogouts: a master that dies
// before its replica has a write takes the write with it. Without WAIT a
// logout answered just before the fault comes back to life on the
// promoted replica (200 for a logged-out session), and a login answered
// just before is unknown there (a wrong 401 for a live session).
// WithWaitReplicas answers both only once the replica has them.
func TestFailoverDoesNotUndoAnsweredLoginsAndLogouts(t *testing.T) {
	t.Parallel() // mostly waiting for Redis failovers
	after, loggedIn, loggedOut := lossyFailover(t, redisstore.WithWaitReplicas(1, 3*time.Second))
	if _, err := after.Lookup(t.Context(), loggedOut); !errors.Is(err, session.ErrUnknownSession) {
		t.Errorf("logged-out session brought back by the failover: err = %v, want ErrUnknownSession", err)
	}
	if _, err := after.Lookup(t.Context(), loggedIn); err != nil {
		t.Errorf("login lost by the failover: err = %v, want alive", err)
	}
}

// TestWaitWithoutReplicaFailsClosed: with no replica to acknowledge, a
// login fails with ErrNotReplicated (503) instead of handing out an id that
// a failover could lose; Touch does not wait.
func TestWaitWithoutReplicaFailsClosed(t *testing.T) {
	srv := startRedis(t, false)
	key := redisstore.WithShardKey([]byte("a deployment's shard key"))
	plain := newStore(t, srv.Client(t), key)
	waiting := newStore(t, srv.Client(t), key, redisstore.WithWaitReplicas(1, 50*time.Millisecond))
	ctx := t.Context()
	mPlain, err := session.NewManager(plain)
	if err != nil {
		t.Fatal(err)
	}
	s, err := mPlain.Create(ctx, session.Identity{Principal: vapisec.Principal{Name: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(waiting)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Create(ctx, session.Identity{Principal: vapisec.Principal{Name: "alice"}})
	if !errors.Is(err, redisstore.ErrNotReplicated) || !errors.Is(err, session.ErrStoreUnavailable) {
		t.Fatalf("login without a replica: err = %v, want ErrNotReplicated and ErrStoreUnavailable", err)
	}
	if _, err := m.Lookup(ctx, s.ID); err != nil {
		t.Fatalf("Touch waits: %v", err)
	}
}
