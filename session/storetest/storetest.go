// Package storetest is the conformance suite for session.Store
// implementations: one table of behaviours that every store (the memory
// store, the Redis store) must show. A store's tests call Run:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			New: func(t *testing.T) session.Store {
//				store, err := session.NewMemoryStore()
//				if err != nil {
//					t.Fatal(err)
//				}
//				return store
//			},
//		})
//	}
//
// The suite drives time itself: it passes its own clock's now to every
// store method and, for stores that also expire records by a clock of their
// own (Redis TTLs), calls Harness.Advance whenever it moves that clock. All
// the times it uses are whole milliseconds, so a store that keeps
// millisecond precision round-trips them exactly.
package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// Harness describes a Store implementation to the suite.
type Harness struct {
	// New returns an empty store for one test. Required. Register any
	// clean-up with t.Cleanup.
	New func(t *testing.T) session.Store
	// Advance is called after the suite moved its clock forward by d, for
	// stores that also expire records by a clock of their own (e.g. a
	// miniredis FastForward). Optional: nil means the store judges expiry
	// only by the times it is given.
	Advance func(t *testing.T, store session.Store, d time.Duration)
}

// start is the suite's clock at the beginning of every case.
func start() time.Time { return time.Date(2030, time.January, 2, 3, 4, 5, 0, time.UTC) }

// The record parameters the suite uses unless a case says otherwise.
const (
	Idle     = 30 * time.Minute
	Lifetime = 12 * time.Hour
)

// Fixture is the state of one case: a fresh store and the suite's clock.
type Fixture struct {
	T     *testing.T
	Store session.Store
	Now   time.Time
	Ctx   context.Context

	h     Harness
	nKeys int
}

// Advance moves the clock forward by d and tells the store's harness.
func (f *Fixture) Advance(d time.Duration) {
	f.T.Helper()
	f.Now = f.Now.Add(d)
	if f.h.Advance != nil {
		f.h.Advance(f.T, f.Store, d)
	}
}

// NewKey returns a key no other case of this run uses, with the shard tag
// of alice@vsphere.local (see NewKeyFor): the user of most cases. A store
// that shards by user (session.Sharder) may rely on every record of one
// user having a key with the user's tag, as the Manager guarantees; the
// limits still hold per user when users share a tag.
func (f *Fixture) NewKey() session.Key {
	return f.NewKeyFor(vapisec.Principal{Name: "alice", Domain: "vsphere.local"})
}

// NewKeyFor returns a key no other case of this run uses, with the shard
// tag of user (the store's session.Sharder.UserTag; the zero tag for a
// store that does not shard).
func (f *Fixture) NewKeyFor(user vapisec.Principal) session.Key {
	f.T.Helper()
	var tag session.Tag
	if sh, ok := f.Store.(session.Sharder); ok {
		var err error
		if tag, err = sh.UserTag(f.Ctx, user); err != nil {
			f.T.Fatalf("UserTag(%v): %v", user, err)
		}
	}
	return f.newKey(tag)
}

// NewKeyLike returns a key no other case of this run uses, with the shard
// tag of parent: for the records derived from parent.
func (f *Fixture) NewKeyLike(parent session.Key) session.Key {
	return f.newKey(parent.Tag())
}

// newKey returns a key no other case of this run uses, with tag.
func (f *Fixture) newKey(tag session.Tag) session.Key {
	f.nKeys++
	k := session.Key(sha256.Sum256(fmt.Appendf(nil, "storetest %s %d", f.T.Name(), f.nKeys)))
	copy(k[:], tag[:])
	return k
}

// Record returns a valid record of user created now.
func (f *Fixture) Record(user string) session.Record {
	return session.Record{
		Identity: session.Identity{
			Principal: vapisec.Principal{Name: user, Domain: "vsphere.local"},
			Groups:    []string{"Users", "Administrators"},
			Scheme:    vapisec.SchemeUserPass,
		},
		Created:      f.Now,
		LastAccessed: f.Now,
		IdleTimeout:  Idle,
		Expiry:       f.Now.Add(Lifetime),
	}
}

// Insert stores a fresh record of user under a new key, without a limit, and
// fails the test on error.
func (f *Fixture) Insert(user string) (session.Key, session.Record) {
	f.T.Helper()
	key, rec := f.NewKey(), f.Record(user)
	if err := f.Store.Insert(f.Ctx, key, rec, session.Limits{}); err != nil {
		f.T.Fatalf("Insert(%s): %v", user, err)
	}
	return key, rec
}

// ExpectAlive touches key and fails the test unless it is alive; it returns
// the record.
func (f *Fixture) ExpectAlive(key session.Key) session.Record {
	f.T.Helper()
	rec, err := f.Store.Touch(f.Ctx, key, f.Now)
	if err != nil {
		f.T.Fatalf("Touch at %v: %v, want alive", f.Now.Sub(start()), err)
	}
	if !rec.LastAccessed.Equal(f.Now) {
		f.T.Fatalf("Touch at %v: LastAccessed = %v, want now", f.Now.Sub(start()), rec.LastAccessed.Sub(start()))
	}
	return rec
}

// ExpectGone touches key and fails the test unless the store reports it
// unknown (ErrUnknownSession, which ErrExpired matches).
func (f *Fixture) ExpectGone(key session.Key) {
	f.T.Helper()
	if _, err := f.Store.Touch(f.Ctx, key, f.Now); !errors.Is(err, session.ErrUnknownSession) {
		f.T.Fatalf("Touch at %v: err = %v, want ErrUnknownSession", f.Now.Sub(start()), err)
	}
}

// Case is one behaviour of the suite.
type Case struct {
	Name string
	Run  func(f *Fixture)
}

// Run runs every case of Cases against the stores h.New makes, each case on
// a fresh store.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("storetest: Harness.New is required")
	}
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			f := &Fixture{T: t, Store: h.New(t), Now: start(), Ctx: t.Context(), h: h}
			c.Run(f)
		})
	}
}

// RunCases runs the cases of Cases with the given names against the stores
// h.New makes, each on a fresh store; it fails the test for a name that is
// not a case.
func RunCases(t *testing.T, h Harness, names ...string) {
	t.Helper()
	if h.New == nil {
		t.Fatal("storetest: Harness.New is required")
	}
	for _, name := range names {
		i := slices.IndexFunc(Cases(), func(c Case) bool { return c.Name == name })
		if i < 0 {
			t.Fatalf("storetest: no case %q", name)
		}
		c := Cases()[i]
		t.Run(c.Name, func(t *testing.T) {
			f := &Fixture{T: t, Store: h.New(t), Now: start(), Ctx: t.Context(), h: h}
			c.Run(f)
		})
	}
}

// Cases returns the behaviours every Store must show.
func Cases() []Case {
	return append([]Case{
		{"ok, insert then touch returns the record", caseRoundTrip},
		{"ok, touch slides LastAccessed", caseTouchSlides},
		{"ok, touch with an earlier time keeps LastAccessed", caseTouchNoRewind},
		{"ok, used every 20 minutes lives until the absolute expiry", caseSlidingUntilExpiry},
		{"nok, touch of an unknown key", caseTouchUnknown},
		{"nok, idle timeout reached (boundary exclusive)", caseIdleExpiry},
		{"nok, absolute expiry reached (boundary exclusive)", caseAbsoluteExpiry},
		{"nok, insert under an existing key", caseInsertExists},
		{"nok, insert of invalid records", caseInsertInvalid},
		{"ok, delete", caseDelete},
		{"ok, per-user limit", casePerUserLimit},
		{"ok, per-user limit ignores dead and deleted sessions", caseLimitIgnoresDead},
		{"ok, per-user limit is per principal, 0 means none", caseLimitPerPrincipal},
		{"ok, list a user's live sessions", caseListUser},
		{"ok, delete a user's sessions", caseDeleteUser},
		{"ok, concurrent inserts never exceed the limit", caseConcurrentLimit},
		{"ok, concurrent touches and deletes", caseConcurrentTouch},
	}, append(derivedCases(), quotaCases()...)...)
}

func equalRecord(t *testing.T, got, want session.Record) {
	t.Helper()
	switch {
	case got.Identity.Principal != want.Identity.Principal,
		!slices.Equal(got.Identity.Groups, want.Identity.Groups),
		got.Identity.Scheme != want.Identity.Scheme,
		!got.Created.Equal(want.Created),
		got.IdleTimeout != want.IdleTimeout,
		!got.Expiry.Equal(want.Expiry),
		got.Kind != want.Kind,
		got.Parent != want.Parent:
		t.Fatalf("record = %+v, want %+v", got, want)
	}
}

func caseRoundTrip(f *Fixture) {
	key, want := f.Insert("alice")
	got := f.ExpectAlive(key)
	equalRecord(f.T, got, want)

	// An identity without groups and with another scheme round-trips too.
	key2, want2 := f.NewKey(), f.Record("bob")
	want2.Identity.Groups = nil
	want2.Identity.Scheme = vapisec.SchemeSAMLHoK
	if err := f.Store.Insert(f.Ctx, key2, want2, session.Limits{}); err != nil {
		f.T.Fatal(err)
	}
	got2 := f.ExpectAlive(key2)
	if len(got2.Identity.Groups) != 0 {
		f.T.Fatalf("groups = %q, want none", got2.Identity.Groups)
	}
	want2.Identity.Groups = got2.Identity.Groups
	equalRecord(f.T, got2, want2)
}

func caseTouchSlides(f *Fixture) {
	key, _ := f.Insert("alice")
	f.Advance(10 * time.Minute)
	f.ExpectAlive(key)
	f.Advance(25 * time.Minute) // 35 min after creation, 25 after the touch
	rec := f.ExpectAlive(key)
	if got := rec.IdleExpiry(); !got.Equal(f.Now.Add(Idle)) {
		f.T.Fatalf("IdleExpiry = %v, want now + idle", got.Sub(start()))
	}
}

func caseTouchNoRewind(f *Fixture) {
	key, _ := f.Insert("alice")
	f.Advance(10 * time.Minute)
	f.ExpectAlive(key)
	rec, err := f.Store.Touch(f.Ctx, key, f.Now.Add(-5*time.Minute))
	if err != nil {
		f.T.Fatal(err)
	}
	if !rec.LastAccessed.Equal(f.Now) {
		f.T.Fatalf("LastAccessed = %v, want %v (not moved back)", rec.LastAccessed.Sub(start()), f.Now.Sub(start()))
	}
}

func caseSlidingUntilExpiry(f *Fixture) {
	key, _ := f.Insert("alice")
	for f.Now.Add(20 * time.Minute).Before(start().Add(Lifetime)) {
		f.Advance(20 * time.Minute)
		f.ExpectAlive(key)
	}
	f.Advance(start().Add(Lifetime).Sub(f.Now) - time.Millisecond)
	f.ExpectAlive(key)
	f.Advance(time.Millisecond)
	f.ExpectGone(key)
}

func caseTouchUnknown(f *Fixture) {
	f.Insert("alice")
	f.ExpectGone(f.NewKey())
	f.ExpectGone(session.Key{})
}

func caseIdleExpiry(f *Fixture) {
	key, _ := f.Insert("alice")
	other, _ := f.Insert("alice")
	f.Advance(Idle - time.Millisecond)
	f.ExpectAlive(other)
	f.Advance(time.Millisecond)
	f.ExpectGone(key)
	f.ExpectGone(key) // deleted, not resurrected
	entries, err := f.Store.ListUser(f.Ctx, vapisec.Principal{Name: "alice", Domain: "vsphere.local"}, f.Now)
	if err != nil {
		f.T.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Key != other {
		f.T.Fatalf("ListUser = %d entries, want only the live one", len(entries))
	}
}

func caseAbsoluteExpiry(f *Fixture) {
	key, rec := f.NewKey(), f.Record("alice")
	rec.Expiry = f.Now.Add(time.Hour)
	rec.IdleTimeout = 2 * time.Hour // idle would allow more: the absolute end wins
	if err := f.Store.Insert(f.Ctx, key, rec, session.Limits{}); err != nil {
		f.T.Fatal(err)
	}
	f.Advance(time.Hour - time.Millisecond)
	got := f.ExpectAlive(key)
	if !got.IdleExpiry().Equal(rec.Expiry) {
		f.T.Fatalf("IdleExpiry = %v, want the absolute expiry", got.IdleExpiry().Sub(start()))
	}
	f.Advance(time.Millisecond)
	f.ExpectGone(key)
}

func caseInsertExists(f *Fixture) {
	key, want := f.Insert("alice")
	dup := f.Record("mallory")
	if err := f.Store.Insert(f.Ctx, key, dup, session.Limits{}); !errors.Is(err, session.ErrExists) {
		f.T.Fatalf("Insert over an existing key: err = %v, want ErrExists", err)
	}
	equalRecord(f.T, f.ExpectAlive(key), want)
}

func caseInsertInvalid(f *Fixture) {
	tests := []struct {
		name  string
		given func(r *session.Record)
	}{
		{"nok, zero principal", func(r *session.Record) { r.Identity.Principal = vapisec.Principal{} }},
		{"nok, zero idle timeout", func(r *session.Record) { r.IdleTimeout = 0 }},
		{"nok, negative idle timeout", func(r *session.Record) { r.IdleTimeout = -time.Second }},
		{"nok, expiry equal to creation", func(r *session.Record) { r.Expiry = r.Created }},
		{"nok, expiry before creation", func(r *session.Record) { r.Expiry = r.Created.Add(-time.Hour) }},
		{"nok, last access before creation", func(r *session.Record) { r.LastAccessed = r.Created.Add(-time.Second) }},
		{"nok, unknown kind", func(r *session.Record) { r.Kind = 200 }},
	}
	for _, tt := range tests {
		key, rec := f.NewKey(), f.Record("alice")
		tt.given(&rec)
		if err := f.Store.Insert(f.Ctx, key, rec, session.Limits{}); !errors.Is(err, session.ErrInvalidRecord) {
			f.T.Fatalf("%s: err = %v, want ErrInvalidRecord", tt.name, err)
		}
		f.ExpectGone(key)
	}
}

func caseDelete(f *Fixture) {
	key, _ := f.Insert("alice")
	other, _ := f.Insert("alice")
	if err := f.Store.Delete(f.Ctx, key); err != nil {
		f.T.Fatal(err)
	}
	f.ExpectGone(key)
	f.ExpectAlive(other)
	if err := f.Store.Delete(f.Ctx, key); !errors.Is(err, session.ErrUnknownSession) {
		f.T.Fatalf("second Delete: err = %v, want ErrUnknownSession", err)
	}
	if err := f.Store.Delete(f.Ctx, f.NewKey()); !errors.Is(err, session.ErrUnknownSession) {
		f.T.Fatalf("Delete of an unknown key: err = %v, want ErrUnknownSession", err)
	}
}

func casePerUserLimit(f *Fixture) {
	const limit = 3
	keys := make([]session.Key, 0, limit)
	for range limit {
		key := f.NewKey()
		if err := f.Store.Insert(f.Ctx, key, f.Record("alice"), session.Limits{Sessions: limit}); err != nil {
			f.T.Fatal(err)
		}
		keys = append(keys, key)
	}
	over := f.NewKey()
	if err := f.Store.Insert(f.Ctx, over, f.Record("alice"), session.Limits{Sessions: limit}); !errors.Is(err, session.ErrSessionLimit) {
		f.T.Fatalf("Insert beyond the limit: err = %v, want ErrSessionLimit", err)
	}
	f.ExpectGone(over) // nothing leaked
	for _, k := range keys {
		f.ExpectAlive(k)
	}
	// Another user is not affected.
	if err := f.Store.Insert(f.Ctx, f.NewKey(), f.Record("bob"), session.Limits{Sessions: limit}); err != nil {
		f.T.Fatal(err)
	}
}

func caseLimitIgnoresDead(f *Fixture) {
	const limit = 2
	old := f.NewKey()
	if err := f.Store.Insert(f.Ctx, old, f.Record("alice"), session.Limits{Sessions: limit}); err != nil {
		f.T.Fatal(err)
	}
	f.Advance(Idle) // old is dead now, not yet touched
	deleted := f.NewKey()
	if err := f.Store.Insert(f.Ctx, deleted, f.Record("alice"), session.Limits{Sessions: limit}); err != nil {
		f.T.Fatalf("Insert with one dead session: %v", err)
	}
	if err := f.Store.Delete(f.Ctx, deleted); err != nil {
		f.T.Fatal(err)
	}
	for range limit {
		if err := f.Store.Insert(f.Ctx, f.NewKey(), f.Record("alice"), session.Limits{Sessions: limit}); err != nil {
			f.T.Fatalf("Insert after a delete: %v", err)
		}
	}
	if err := f.Store.Insert(f.Ctx, f.NewKey(), f.Record("alice"), session.Limits{Sessions: limit}); !errors.Is(err, session.ErrSessionLimit) {
		f.T.Fatalf("err = %v, want ErrSessionLimit", err)
	}
}

func caseLimitPerPrincipal(f *Fixture) {
	rec := f.Record("alice")
	if err := f.Store.Insert(f.Ctx, f.NewKey(), rec, session.Limits{Sessions: 1}); err != nil {
		f.T.Fatal(err)
	}
	otherDomain := f.Record("alice")
	otherDomain.Identity.Principal.Domain = "example.com"
	if err := f.Store.Insert(f.Ctx, f.NewKey(), otherDomain, session.Limits{Sessions: 1}); err != nil {
		f.T.Fatalf("same name, other domain: %v", err)
	}
	for range 5 {
		if err := f.Store.Insert(f.Ctx, f.NewKey(), f.Record("alice"), session.Limits{}); err != nil {
			f.T.Fatalf("limit 0: %v", err)
		}
	}
}

func caseListUser(f *Fixture) {
	alice := vapisec.Principal{Name: "alice", Domain: "vsphere.local"}
	want := map[session.Key]bool{}
	for range 3 {
		k, _ := f.Insert("alice")
		want[k] = true
	}
	f.Insert("bob")
	f.Advance(time.Minute)
	dead, rec := f.NewKey(), f.Record("alice")
	rec.IdleTimeout = time.Minute
	if err := f.Store.Insert(f.Ctx, dead, rec, session.Limits{}); err != nil {
		f.T.Fatal(err)
	}
	f.Advance(time.Minute)

	entries, err := f.Store.ListUser(f.Ctx, alice, f.Now)
	if err != nil {
		f.T.Fatal(err)
	}
	if len(entries) != len(want) {
		f.T.Fatalf("ListUser = %d entries, want %d", len(entries), len(want))
	}
	for _, e := range entries {
		if !want[e.Key] {
			f.T.Fatalf("ListUser returned an unexpected key %v", e.Key)
		}
		if e.Record.Identity.Principal != alice || !e.Record.LastAccessed.Equal(start()) {
			f.T.Fatalf("ListUser record = %+v", e.Record)
		}
	}
	none, err := f.Store.ListUser(f.Ctx, vapisec.Principal{Name: "nobody"}, f.Now)
	if err != nil || len(none) != 0 {
		f.T.Fatalf("ListUser(nobody) = %d, %v; want 0, nil", len(none), err)
	}
}

func caseDeleteUser(f *Fixture) {
	alice := vapisec.Principal{Name: "alice", Domain: "vsphere.local"}
	var keys []session.Key
	for range 3 {
		k, _ := f.Insert("alice")
		keys = append(keys, k)
	}
	bob, _ := f.Insert("bob")
	n, err := f.Store.DeleteUser(f.Ctx, alice, f.Now)
	if err != nil || n != 3 {
		f.T.Fatalf("DeleteUser = %d, %v; want 3, nil", n, err)
	}
	for _, k := range keys {
		f.ExpectGone(k)
	}
	f.ExpectAlive(bob)
	if n, err := f.Store.DeleteUser(f.Ctx, alice, f.Now); err != nil || n != 0 {
		f.T.Fatalf("second DeleteUser = %d, %v; want 0, nil", n, err)
	}
	// The user can log in again, and the limit starts from zero.
	if err := f.Store.Insert(f.Ctx, f.NewKey(), f.Record("alice"), session.Limits{Sessions: 1}); err != nil {
		f.T.Fatal(err)
	}
}

func caseConcurrentLimit(f *Fixture) {
	const limit, workers = 5, 20
	keys := make([]session.Key, workers)
	for i := range keys {
		keys[i] = f.NewKey()
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { errs[i] = f.Store.Insert(f.Ctx, keys[i], f.Record("alice"), session.Limits{Sessions: limit}) })
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
			f.ExpectAlive(keys[i])
		case errors.Is(err, session.ErrSessionLimit):
			f.ExpectGone(keys[i])
		default:
			f.T.Fatalf("Insert: %v", err)
		}
	}
	if ok != limit {
		f.T.Fatalf("%d concurrent inserts succeeded, want exactly %d", ok, limit)
	}
}

func caseConcurrentTouch(f *Fixture) {
	const workers, rounds = 8, 50
	shared, _ := f.Insert("alice")
	doomed := make([]session.Key, workers)
	for i := range doomed {
		doomed[i], _ = f.Insert("bob")
	}
	now := f.Now.Add(time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*2)
	for i := range workers {
		wg.Go(func() {
			for r := range rounds {
				t := now.Add(time.Duration(r) * time.Millisecond)
				if _, err := f.Store.Touch(f.Ctx, shared, t); err != nil {
					errs <- fmt.Errorf("touch(shared): %w", err)
				}
				if r == rounds/2 {
					if err := f.Store.Delete(f.Ctx, doomed[i]); err != nil {
						errs <- fmt.Errorf("delete: %w", err)
					}
				}
				_, err := f.Store.Touch(f.Ctx, doomed[i], t)
				if (r < rounds/2) != (err == nil) {
					errs <- fmt.Errorf("touch(doomed) round %d: %v", r, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.T.Error(err)
	}
	rec, err := f.Store.Touch(f.Ctx, shared, now)
	if err != nil {
		f.T.Fatal(err)
	}
	if want := now.Add((rounds - 1) * time.Millisecond); !rec.LastAccessed.Equal(want) {
		f.T.Fatalf("LastAccessed = %v, want the latest touch %v", rec.LastAccessed.Sub(start()), want.Sub(start()))
	}
}
