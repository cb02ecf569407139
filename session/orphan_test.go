package session_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// TestOrphanedChannelCredentialsDoNotLockTheUserOut is the review's
// reproduction through the Manager: a record bound of 40, 16 channel
// credentials per session, and 31 minutes (past the 30-minute idle timeout)
// between logins. The credentials of an idled-out session used to keep
// counting (their own lifetime is the session's maximum), so the third
// round failed with "too many records" although every earlier session was
// dead; and they are removed, not only ignored.
func TestOrphanedChannelCredentialsDoNotLockTheUserOut(t *testing.T) {
	store := newMemoryStore(t)
	clk := newClock()
	m, err := session.NewManager(store, session.WithClock(clk.Now), session.WithIdleTimeout(30*time.Minute),
		session.WithMaxRecordsPerUser(40))
	if err != nil {
		t.Fatal(err)
	}
	id := session.Identity{Principal: vapisec.Principal{Name: "alice", Domain: "corp"}}
	for round := range 5 {
		s, err := m.Create(t.Context(), id)
		if err != nil {
			t.Fatalf("round %d: login: %v", round, err)
		}
		for i := range session.DefaultMaxChannelCredentialsPerSession {
			if _, err := m.IssueChannelCredential(t.Context(), s.ID, fmt.Sprint("c", i)); err != nil {
				t.Fatalf("round %d: credential %d: %v (every earlier session is dead)", round, i, err)
			}
		}
		clk.Advance(31 * time.Minute)
	}
	// The last login found the previous rounds' credentials orphaned and
	// removed them; only its own session and credentials are left.
	if _, err := m.Create(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	if got, want := store.Len(), 1; got != want {
		t.Fatalf("store holds %d records after the orphans' user logged in again, want %d", got, want)
	}
}
