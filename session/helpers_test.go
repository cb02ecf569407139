package session_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// clock is a settable clock safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// countingStore wraps a real store and counts the calls that reach it.
type countingStore struct {
	session.Store
	calls atomic.Int64
}

func (s *countingStore) Insert(ctx context.Context, key session.Key, rec session.Record, limits session.Limits) error {
	s.calls.Add(1)
	return s.Store.Insert(ctx, key, rec, limits)
}

func (s *countingStore) Touch(ctx context.Context, key session.Key, now time.Time) (session.Record, error) {
	s.calls.Add(1)
	return s.Store.Touch(ctx, key, now)
}

func (s *countingStore) Delete(ctx context.Context, key session.Key) error {
	s.calls.Add(1)
	return s.Store.Delete(ctx, key)
}

func (s *countingStore) ListUser(ctx context.Context, user vapisec.Principal, now time.Time) ([]session.Entry, error) {
	s.calls.Add(1)
	return s.Store.ListUser(ctx, user, now)
}

func (s *countingStore) DeleteUser(ctx context.Context, user vapisec.Principal, now time.Time) (int, error) {
	s.calls.Add(1)
	return s.Store.DeleteUser(ctx, user, now)
}

// brokenStore wraps a real store and fails every call with err, as a store
// whose backend went away does.
type brokenStore struct {
	session.Store
	err error
}

func (s brokenStore) Insert(context.Context, session.Key, session.Record, session.Limits) error {
	return s.err
}
func (s brokenStore) Touch(context.Context, session.Key, time.Time) (session.Record, error) {
	return session.Record{}, s.err
}
func (s brokenStore) Delete(context.Context, session.Key) error { return s.err }
func (s brokenStore) ListUser(context.Context, vapisec.Principal, time.Time) ([]session.Entry, error) {
	return nil, s.err
}
func (s brokenStore) Redeem(context.Context, session.Key, time.Time) (session.Record, error) {
	return session.Record{}, s.err
}
func (s brokenStore) Get(context.Context, session.Key, session.Kind, time.Time) (session.Record, error) {
	return session.Record{}, s.err
}
func (s brokenStore) DeleteUser(context.Context, vapisec.Principal, time.Time) (int, error) {
	return 0, s.err
}

var errConnRefused = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func alice() session.Identity {
	return session.Identity{
		Principal: vapisec.Principal{Name: "alice", Domain: "vsphere.local"},
		Groups:    []string{"Users"},
		Scheme:    vapisec.SchemeUserPass,
	}
}

func newMemoryStore(t testing.TB, opts ...session.MemoryOption) *session.MemoryStore {
	t.Helper()
	store, err := session.NewMemoryStore(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

func newManager(t testing.TB, store session.Store, opts ...session.ManagerOption) *session.Manager {
	t.Helper()
	m, err := session.NewManager(store, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func expectErrs(t testing.TB, err error, want []error) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	for _, w := range want {
		if !errors.Is(err, w) {
			t.Fatalf("err = %v, want errors.Is %v", err, w)
		}
	}
}
