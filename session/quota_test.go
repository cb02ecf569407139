package session_test

import (
	"errors"
	"testing"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// TestOneAccountCannotFillTheStore: with the default quotas, one account
// that logs in as often as it may and mints every channel credential and
// clone ticket its sessions may hold ends at DefaultMaxRecordsPerUser
// records, a thousandth of the default memory store, and another user
// still logs in (issue 14 item 1, DESIGN Q22).
func TestOneAccountCannotFillTheStore(t *testing.T) {
	store := newMemoryStore(t)
	m := newManager(t, store)
	ctx := t.Context()
	refused := false
	// Bounded: at most 550 logins, each with at most 16 + 16 mints.
	for range session.DefaultMaxSessionsPerUser {
		s, err := m.Create(ctx, alice())
		if errors.Is(err, session.ErrUserRecordLimit) {
			refused = true
			break
		}
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		for i := range session.DefaultMaxChannelCredentialsPerSession + 1 {
			_, err := m.IssueChannelCredential(ctx, s.ID, "c"+string(rune('a'+i)))
			if errors.Is(err, session.ErrChannelLimit) {
				break
			}
			if errors.Is(err, session.ErrUserRecordLimit) {
				refused = true
				break
			}
			if err != nil {
				t.Fatalf("IssueChannelCredential: %v", err)
			}
		}
		for range session.DefaultMaxCloneTicketsPerSession + 1 {
			_, err := m.AcquireCloneTicket(ctx, s.ID)
			if errors.Is(err, session.ErrTicketLimit) {
				break
			}
			if errors.Is(err, session.ErrUserRecordLimit) {
				refused = true
				break
			}
			if err != nil {
				t.Fatalf("AcquireCloneTicket: %v", err)
			}
		}
		if refused {
			break
		}
	}
	if !refused {
		t.Fatal("the account was never refused with ErrUserRecordLimit")
	}
	if n := store.Len(); n != session.DefaultMaxRecordsPerUser {
		t.Fatalf("one account holds %d records, want exactly DefaultMaxRecordsPerUser = %d", n, session.DefaultMaxRecordsPerUser)
	}
	if session.DefaultMaxEntries/session.DefaultMaxRecordsPerUser < 1000 {
		t.Fatalf("the default memory store holds only %d accounts at their bound", session.DefaultMaxEntries/session.DefaultMaxRecordsPerUser)
	}
	bob := session.Identity{Principal: vapisec.Principal{Name: "bob", Domain: "vsphere.local"}}
	if _, err := m.Create(ctx, bob); err != nil {
		t.Fatalf("another user's login after the flood: %v", err)
	}
	if reason, _ := session.ReasonOf(session.ErrUserRecordLimit); reason != vapisec.ReasonUserRecordLimit {
		t.Fatalf("ReasonOf(ErrUserRecordLimit) = %q", reason)
	}
}

// TestChildSessionQuotaCountsClonesOfClones: a session cannot escape the
// derived-session quota by cloning its clones (issue 14 item 5).
func TestChildSessionQuotaCountsClonesOfClones(t *testing.T) {
	m := newManager(t, newMemoryStore(t), session.WithMaxChildSessions(3))
	ctx := t.Context()
	root, err := m.Create(ctx, alice())
	if err != nil {
		t.Fatal(err)
	}
	from := root.ID
	for i := range 3 {
		child, err := m.Derive(ctx, from)
		if err != nil {
			t.Fatalf("Derive %d: %v", i, err)
		}
		from = child.ID
	}
	if _, err := m.Derive(ctx, from); !errors.Is(err, session.ErrChildLimit) || !errors.Is(err, session.ErrQuotaExceeded) {
		t.Fatalf("fourth derived session, of a clone of a clone: err = %v, want ErrChildLimit", err)
	}
	ticket, err := m.AcquireCloneTicket(ctx, root.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.CloneSession(ctx, ticket); !errors.Is(err, session.ErrChildLimit) {
		t.Fatalf("clone beyond the quota: err = %v, want ErrChildLimit", err)
	}
	// Another login session of the same user has a quota of its own.
	other, err := m.Create(ctx, alice())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Derive(ctx, other.ID); err != nil {
		t.Fatalf("Derive of another login session: %v", err)
	}
}
