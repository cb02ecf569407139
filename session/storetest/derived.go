package storetest

import (
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// Derived returns a valid record of kind derived from parent, created now,
// with parent's identity (a KindChannel record gets a Secret).
func (f *Fixture) Derived(kind session.Kind, parent session.Key, user string) session.Record {
	rec := f.Record(user)
	rec.Kind = kind
	rec.Parent = parent
	if kind == session.KindChannel {
		rec.Secret = sha256.Sum256([]byte(f.T.Name()))
	}
	return rec
}

// InsertDerived stores a record of kind derived from parent under a new
// key and fails the test on error.
func (f *Fixture) InsertDerived(kind session.Kind, parent session.Key) session.Key {
	f.T.Helper()
	key := f.NewKey()
	if err := f.Store.Insert(f.Ctx, key, f.Derived(kind, parent, "alice"), session.Limits{}); err != nil {
		f.T.Fatalf("Insert(kind %d): %v", kind, err)
	}
	return key
}

func derivedCases() []Case {
	return []Case{
		{"ok, a child round-trips with its kind and parent", caseChildRoundTrip},
		{"nok, insert of derived records breaking the kind rules", caseDerivedInvalid},
		{"nok, insert of a child of an unknown or dead parent", caseChildDeadParent},
		{"ok, a child dies with its parent's logout, cascade through two levels", caseCascadeDelete},
		{"ok, a child dies when its parent expires, before any cascade", caseChildParentExpiry},
		{"ok, a child dies when its parent's user is terminated", caseChildDeleteUser},
		{"nok, derivation deeper than MaxDepth", caseDepth},
		{"ok, children count toward the per-user limit, tickets and credentials do not", caseDerivedLimit},
		{"ok, ticket redeemed once, never touched as a session", caseTicket},
		{"nok, expired ticket", caseTicketExpired},
		{"nok, ticket of an ended parent", caseTicketParentEnded},
		{"ok, concurrent redeemers: exactly one wins", caseTicketConcurrent},
		{"ok, get checks kind, expiry and the parent chain", caseGet},
	}
}

func caseChildRoundTrip(f *Fixture) {
	parent, _ := f.Insert("alice")
	key, want := f.NewKey(), f.Derived(session.KindChild, parent, "alice")
	if err := f.Store.Insert(f.Ctx, key, want, session.Limits{}); err != nil {
		f.T.Fatal(err)
	}
	equalRecord(f.T, f.ExpectAlive(key), want)
	entries, err := f.Store.ListUser(f.Ctx, want.Identity.Principal, f.Now)
	if err != nil || len(entries) != 2 {
		f.T.Fatalf("ListUser = %d, %v; want parent and child", len(entries), err)
	}
}

func caseDerivedInvalid(f *Fixture) {
	parent, _ := f.Insert("alice")
	tests := []struct {
		name  string
		given func(r *session.Record)
	}{
		{"nok, session with a parent", func(r *session.Record) { r.Kind = session.KindSession }},
		{"nok, child without a parent", func(r *session.Record) { r.Parent = session.Key{} }},
		{"nok, ticket without a parent", func(r *session.Record) { r.Kind, r.Parent = session.KindTicket, session.Key{} }},
		{"nok, channel credential without a secret", func(r *session.Record) { r.Kind = session.KindChannel }},
		{"nok, child with a secret", func(r *session.Record) { r.Secret = session.Key{1} }},
	}
	for _, tt := range tests {
		key, rec := f.NewKey(), f.Derived(session.KindChild, parent, "alice")
		tt.given(&rec)
		if err := f.Store.Insert(f.Ctx, key, rec, session.Limits{}); !errors.Is(err, session.ErrInvalidRecord) {
			f.T.Fatalf("%s: err = %v, want ErrInvalidRecord", tt.name, err)
		}
		f.ExpectGone(key)
	}
}

func caseChildDeadParent(f *Fixture) {
	for _, kind := range []session.Kind{session.KindChild, session.KindTicket, session.KindChannel} {
		key := f.NewKey()
		if err := f.Store.Insert(f.Ctx, key, f.Derived(kind, f.NewKey(), "alice"), session.Limits{}); !errors.Is(err, session.ErrUnknownSession) {
			f.T.Fatalf("kind %d of an unknown parent: err = %v, want ErrUnknownSession", kind, err)
		}
	}
	parent, _ := f.Insert("alice")
	f.Advance(Idle)
	key := f.NewKey()
	if err := f.Store.Insert(f.Ctx, key, f.Derived(session.KindChild, parent, "alice"), session.Limits{}); !errors.Is(err, session.ErrUnknownSession) {
		f.T.Fatalf("child of a dead parent: err = %v, want ErrUnknownSession", err)
	}
	f.ExpectGone(key)
	// A ticket is no parent.
	root, _ := f.Insert("bob")
	ticket := f.InsertDerived(session.KindTicket, root)
	if err := f.Store.Insert(f.Ctx, f.NewKey(), f.Derived(session.KindChild, ticket, "bob"), session.Limits{}); !errors.Is(err, session.ErrUnknownSession) {
		f.T.Fatalf("child of a ticket: err = %v, want ErrUnknownSession", err)
	}
}

func caseCascadeDelete(f *Fixture) {
	root, _ := f.Insert("alice")
	child := f.InsertDerived(session.KindChild, root)
	grandchild := f.InsertDerived(session.KindChild, child)
	ticket := f.InsertDerived(session.KindTicket, grandchild)
	cred := f.InsertDerived(session.KindChannel, child)
	sibling, _ := f.Insert("alice")
	f.ExpectAlive(grandchild)
	if err := f.Store.Delete(f.Ctx, root); err != nil {
		f.T.Fatal(err)
	}
	f.ExpectGone(child)
	f.ExpectGone(grandchild)
	f.ExpectAlive(sibling)
	if _, err := f.Store.Redeem(f.Ctx, ticket, f.Now); !errors.Is(err, session.ErrUnknownTicket) {
		f.T.Fatalf("Redeem after the root's logout: err = %v, want ErrUnknownTicket", err)
	}
	if _, err := f.Store.Get(f.Ctx, cred, session.KindChannel, f.Now); !errors.Is(err, session.ErrUnknownSession) {
		f.T.Fatalf("Get of a credential after the root's logout: err = %v", err)
	}
	// Logging out of a child leaves its parent alone.
	root2, _ := f.Insert("alice")
	child2 := f.InsertDerived(session.KindChild, root2)
	if err := f.Store.Delete(f.Ctx, child2); err != nil {
		f.T.Fatal(err)
	}
	f.ExpectAlive(root2)
}

func caseChildParentExpiry(f *Fixture) {
	root, _ := f.Insert("alice")
	child := f.InsertDerived(session.KindChild, root)
	grandchild := f.InsertDerived(session.KindChild, child)
	// The grandchild is used all along; nobody touches the root, which
	// idles out. Its children die with it although nothing deleted them.
	f.Advance(Idle / 2)
	f.ExpectAlive(grandchild)
	f.Advance(Idle/2 - time.Millisecond)
	f.ExpectAlive(grandchild)
	f.Advance(time.Millisecond)
	f.ExpectGone(grandchild)
	f.ExpectGone(child)

	// The absolute lifetime of a parent bounds its children too.
	root2, rec := f.NewKey(), f.Record("alice")
	rec.Expiry, rec.IdleTimeout = f.Now.Add(time.Hour), 2*time.Hour
	if err := f.Store.Insert(f.Ctx, root2, rec, session.Limits{}); err != nil {
		f.T.Fatal(err)
	}
	child2, crec := f.NewKey(), f.Derived(session.KindChild, root2, "alice")
	crec.IdleTimeout = 2 * time.Hour
	if err := f.Store.Insert(f.Ctx, child2, crec, session.Limits{}); err != nil {
		f.T.Fatal(err)
	}
	f.Advance(time.Hour - time.Millisecond)
	f.ExpectAlive(root2)
	f.ExpectAlive(child2)
	f.Advance(time.Millisecond)
	f.ExpectGone(child2)
}

func caseChildDeleteUser(f *Fixture) {
	root, _ := f.Insert("alice")
	child := f.InsertDerived(session.KindChild, root)
	ticket := f.InsertDerived(session.KindTicket, child)
	n, err := f.Store.DeleteUser(f.Ctx, vapisec.Principal{Name: "alice", Domain: "vsphere.local"}, f.Now)
	if err != nil || n != 2 {
		f.T.Fatalf("DeleteUser = %d, %v; want 2 sessions", n, err)
	}
	f.ExpectGone(child)
	if _, err := f.Store.Redeem(f.Ctx, ticket, f.Now); !errors.Is(err, session.ErrUnknownTicket) {
		f.T.Fatalf("Redeem after DeleteUser: err = %v, want ErrUnknownTicket", err)
	}
}

func caseDepth(f *Fixture) {
	key, _ := f.Insert("alice")
	for range session.MaxDepth {
		key = f.InsertDerived(session.KindChild, key)
	}
	f.ExpectAlive(key)
	for _, kind := range []session.Kind{session.KindChild, session.KindTicket} {
		if err := f.Store.Insert(f.Ctx, f.NewKey(), f.Derived(kind, key, "alice"), session.Limits{}); !errors.Is(err, session.ErrDepthExceeded) {
			f.T.Fatalf("kind %d at depth %d: err = %v, want ErrDepthExceeded", kind, session.MaxDepth+1, err)
		}
	}
	// A channel credential of the deepest session is fine.
	cred := f.InsertDerived(session.KindChannel, key)
	if _, err := f.Store.Get(f.Ctx, cred, session.KindChannel, f.Now); err != nil {
		f.T.Fatal(err)
	}
}

func caseDerivedLimit(f *Fixture) {
	const limit = 2
	root := f.NewKey()
	if err := f.Store.Insert(f.Ctx, root, f.Record("alice"), session.Limits{Sessions: limit}); err != nil {
		f.T.Fatal(err)
	}
	for _, kind := range []session.Kind{session.KindTicket, session.KindChannel} {
		if err := f.Store.Insert(f.Ctx, f.NewKey(), f.Derived(kind, root, "alice"), session.Limits{Sessions: limit}); err != nil {
			f.T.Fatalf("kind %d: %v", kind, err)
		}
	}
	if err := f.Store.Insert(f.Ctx, f.NewKey(), f.Derived(session.KindChild, root, "alice"), session.Limits{Sessions: limit}); err != nil {
		f.T.Fatal(err)
	}
	over := f.NewKey()
	if err := f.Store.Insert(f.Ctx, over, f.Derived(session.KindChild, root, "alice"), session.Limits{Sessions: limit}); !errors.Is(err, session.ErrSessionLimit) {
		f.T.Fatalf("child beyond the limit: err = %v, want ErrSessionLimit", err)
	}
	f.ExpectGone(over)
}

func caseTicket(f *Fixture) {
	root, _ := f.Insert("alice")
	key, want := f.NewKey(), f.Derived(session.KindTicket, root, "alice")
	want.IdleTimeout, want.Expiry = time.Minute, f.Now.Add(time.Minute)
	if err := f.Store.Insert(f.Ctx, key, want, session.Limits{}); err != nil {
		f.T.Fatal(err)
	}
	f.ExpectGone(key) // a ticket is no session…
	if _, err := f.Store.Get(f.Ctx, key, session.KindChannel, f.Now); !errors.Is(err, session.ErrUnknownSession) {
		f.T.Fatalf("Get of a ticket as a credential: err = %v", err)
	}
	if _, err := f.Store.Redeem(f.Ctx, root, f.Now); !errors.Is(err, session.ErrUnknownTicket) {
		f.T.Fatalf("Redeem of a session: err = %v, want ErrUnknownTicket", err)
	}
	f.ExpectAlive(root) // …and a session is no ticket, and survives the attempt.
	f.Advance(time.Second)
	got, err := f.Store.Redeem(f.Ctx, key, f.Now)
	if err != nil {
		f.T.Fatal(err) // …and touching it as a session did not consume it.
	}
	equalRecord(f.T, got, want)
	if _, err := f.Store.Redeem(f.Ctx, key, f.Now); !errors.Is(err, session.ErrUnknownTicket) {
		f.T.Fatalf("second Redeem: err = %v, want ErrUnknownTicket", err)
	}
}

func caseTicketExpired(f *Fixture) {
	root, _ := f.Insert("alice")
	key, rec := f.NewKey(), f.Derived(session.KindTicket, root, "alice")
	rec.IdleTimeout, rec.Expiry = time.Minute, f.Now.Add(time.Minute)
	if err := f.Store.Insert(f.Ctx, key, rec, session.Limits{}); err != nil {
		f.T.Fatal(err)
	}
	f.Advance(time.Minute)
	f.ExpectAlive(root)
	if _, err := f.Store.Redeem(f.Ctx, key, f.Now); !errors.Is(err, session.ErrUnknownTicket) {
		f.T.Fatalf("Redeem of an expired ticket: err = %v, want ErrUnknownTicket (or ErrTicketExpired)", err)
	}
}

func caseTicketParentEnded(f *Fixture) {
	root, _ := f.Insert("alice")
	ticket := f.InsertDerived(session.KindTicket, root)
	f.Advance(Idle) // the parent idles out; nothing deleted the ticket
	if _, err := f.Store.Redeem(f.Ctx, ticket, f.Now); !errors.Is(err, session.ErrUnknownTicket) {
		f.T.Fatalf("Redeem of the ticket of a dead parent: err = %v, want ErrUnknownTicket", err)
	}
}

func caseTicketConcurrent(f *Fixture) {
	const redeemers = 50
	root, _ := f.Insert("alice")
	ticket := f.InsertDerived(session.KindTicket, root)
	var wg sync.WaitGroup
	errs := make([]error, redeemers)
	for i := range redeemers {
		wg.Go(func() { _, errs[i] = f.Store.Redeem(f.Ctx, ticket, f.Now) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, session.ErrUnknownTicket):
			f.T.Fatalf("Redeem: %v", err)
		}
	}
	if won != 1 {
		f.T.Fatalf("%d of %d concurrent redeemers won, want exactly 1", won, redeemers)
	}
}

func caseGet(f *Fixture) {
	root, _ := f.Insert("alice")
	child := f.InsertDerived(session.KindChild, root)
	cred := f.InsertDerived(session.KindChannel, child)
	rec, err := f.Store.Get(f.Ctx, cred, session.KindChannel, f.Now)
	if err != nil {
		f.T.Fatal(err)
	}
	if rec.Secret != sha256.Sum256([]byte(f.T.Name())) || rec.Parent != child {
		f.T.Fatalf("Get = %+v", rec)
	}
	if _, err := f.Store.Get(f.Ctx, cred, session.KindTicket, f.Now); !errors.Is(err, session.ErrUnknownSession) {
		f.T.Fatalf("Get with the wrong kind: err = %v", err)
	}
	f.ExpectGone(cred) // a credential is no session
	if err := f.Store.Delete(f.Ctx, child); err != nil {
		f.T.Fatal(err)
	}
	if _, err := f.Store.Get(f.Ctx, cred, session.KindChannel, f.Now); !errors.Is(err, session.ErrUnknownSession) {
		f.T.Fatalf("Get after the session's logout: err = %v", err)
	}
	f.ExpectAlive(root)
}
