package session_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// shardingStore is a real MemoryStore that shards by user like redisstore
// does: UserTagOf under a fixed key, or err.
type shardingStore struct {
	*session.MemoryStore
	key []byte
	err error
}

func (s *shardingStore) UserTag(_ context.Context, user vapisec.Principal) (session.Tag, error) {
	if s.err != nil {
		return session.Tag{}, s.err
	}
	return session.UserTagOf(s.key, user), nil
}

// tagOf returns the tag the store key of sessionID starts with.
func tagOf(t *testing.T, sessionID string) session.Tag {
	t.Helper()
	k, err := session.KeyOf(sessionID)
	if err != nil {
		t.Fatal(err)
	}
	return k.Tag()
}

func TestShardTagsFollowTheUser(t *testing.T) {
	store := &shardingStore{MemoryStore: newMemoryStore(t), key: []byte("deployment key")}
	m := newManager(t, store)
	ctx := t.Context()
	a, err := m.Create(ctx, alice())
	if err != nil {
		t.Fatal(err)
	}
	want := session.UserTagOf(store.key, alice().Principal)
	if got := tagOf(t, a.ID); got != want {
		t.Fatalf("login tag %v, want the store's %v", got, want)
	}
	// Every spelling of the name shares the tag (one quota, one slot).
	upper := alice()
	upper.Principal.Name = "ALICE"
	if got := session.UserTagOf(store.key, upper.Principal); got != want {
		t.Fatalf("ALICE tag %v, want %v", got, want)
	}
	bob := session.Identity{Principal: vapisec.Principal{Name: "bob", Domain: "vsphere.local"}}
	b, err := m.Create(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	if tagOf(t, b.ID) == want {
		t.Fatal("alice and bob share a tag")
	}
	if session.UserTagOf([]byte("another key"), alice().Principal) == want {
		t.Fatal("the tag does not depend on the key")
	}
	// Derived records carry their parent's tag, and still work.
	child, err := m.Derive(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	ticket, err := m.AcquireCloneTicket(ctx, child.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := tagOf(t, ticket[len(session.TicketPrefix):]); got != want {
		t.Fatalf("ticket tag %v, want %v", got, want)
	}
	clone, err := m.CloneSession(ctx, ticket)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := m.IssueChannelCredential(ctx, clone.ID, "broker")
	if err != nil {
		t.Fatal(err)
	}
	for what, id := range map[string]string{"child": child.ID, "clone": clone.ID} {
		if got := tagOf(t, id); got != want {
			t.Fatalf("%s tag %v, want %v", what, got, want)
		}
	}
	if got := session.ChannelKey(cred.User, "broker").Tag(); got != want {
		t.Fatalf("channel credential tag %v, want %v", got, want)
	}
	if _, err := m.VerifyChannelCredential(ctx, cred.User, cred.Password, "broker"); err != nil {
		t.Fatal(err)
	}
	// A store that cannot say the tag fails the login closed.
	store.err = errors.New("down")
	if _, err := m.Create(ctx, alice()); !errors.Is(err, session.ErrStoreUnavailable) {
		t.Fatalf("Create with a failing UserTag: %v, want ErrStoreUnavailable", err)
	}
}

// TestIDOfAnotherUserTagDoesNotResolve: an id whose tag was changed (a
// client moving its id to another user's slot) names no session.
func TestIDOfAnotherUserTagDoesNotResolve(t *testing.T) {
	m := newManager(t, newMemoryStore(t))
	s, err := m.Create(t.Context(), alice())
	if err != nil {
		t.Fatal(err)
	}
	forged := "AAAAAA" + s.ID[6:]
	if forged == s.ID {
		forged = "BBBBBB" + s.ID[6:]
	}
	if _, err := m.Lookup(t.Context(), forged); !errors.Is(err, session.ErrUnknownSession) {
		t.Fatalf("Lookup of the id with another tag: %v, want ErrUnknownSession", err)
	}
	if _, err := m.Lookup(t.Context(), s.ID); err != nil {
		t.Fatal(err)
	}
}

// TestOldFormatIDsDoNotResolve: a session stored before ids carried a tag
// (under the plain SHA-256 of its id) is not found by its id any more: the
// client gets unknown_session and logs in again, nothing else.
func TestOldFormatIDsDoNotResolve(t *testing.T) {
	store := newMemoryStore(t)
	m := newManager(t, store)
	id := "oldFormatIdOfFortyThreeCharactersXXXXXXXXXA"
	if !session.ValidID(id) {
		t.Fatal("test id not of the id form")
	}
	now := time.Now()
	rec := session.Record{Identity: alice(), Created: now, LastAccessed: now, IdleTimeout: time.Hour, Expiry: now.Add(time.Hour)}
	if err := store.Insert(t.Context(), sha256.Sum256([]byte(id)), rec, session.Limits{}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Lookup(t.Context(), id); !errors.Is(err, session.ErrUnknownSession) {
		t.Fatalf("Lookup of an old-format session: %v, want ErrUnknownSession", err)
	}
}
