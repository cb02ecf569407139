package session_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vapisec/vapisec/session"
)

func TestManagerCloneTicket(t *testing.T) {
	tests := []struct {
		name      string
		givenWait time.Duration
		givenEnd  func(t *testing.T, m *session.Manager, parent *session.Session)
		expectErr []error
	}{
		{name: "ok, redeemed within the TTL", givenWait: time.Minute - time.Millisecond},
		{name: "nok, expired ticket", givenWait: time.Minute, expectErr: []error{session.ErrTicketExpired, session.ErrUnknownTicket, session.ErrUnknownSession}},
		{
			name: "nok, ticket of a parent that logged out",
			givenEnd: func(t *testing.T, m *session.Manager, p *session.Session) {
				if err := m.Delete(t.Context(), p.ID); err != nil {
					t.Fatal(err)
				}
			},
			expectErr: []error{session.ErrUnknownTicket, session.ErrUnknownSession},
		},
		{
			name: "nok, ticket of a terminated parent",
			givenEnd: func(t *testing.T, m *session.Manager, p *session.Session) {
				if _, err := m.TerminateUser(t.Context(), p.Principal); err != nil {
					t.Fatal(err)
				}
			},
			expectErr: []error{session.ErrUnknownTicket},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			m := newManager(t, newMemoryStore(t), session.WithClock(clk.Now))
			parent, err := m.Create(t.Context(), alice())
			if err != nil {
				t.Fatal(err)
			}
			ticket, err := m.AcquireCloneTicket(t.Context(), parent.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(ticket, session.TicketPrefix) || session.ValidID(ticket) || !session.ValidTicket(ticket) {
				t.Fatalf("ticket %q has the wrong form", ticket)
			}
			clk.Advance(tt.givenWait)
			if tt.givenEnd != nil {
				tt.givenEnd(t, m, parent)
			}
			child, err := m.CloneSession(t.Context(), ticket)
			expectErrs(t, err, tt.expectErr)
			if err != nil {
				return
			}
			if child.ID == parent.ID || child.Principal != parent.Principal || child.Scheme != parent.Scheme {
				t.Fatalf("child %+v of parent %+v", child, parent)
			}
			if _, err := m.CloneSession(t.Context(), ticket); !errors.Is(err, session.ErrUnknownTicket) {
				t.Fatalf("second redemption: err = %v, want ErrUnknownTicket", err)
			}
		})
	}
}

func TestManagerTicketIsNoSessionID(t *testing.T) {
	m := newManager(t, newMemoryStore(t))
	parent, err := m.Create(t.Context(), alice())
	if err != nil {
		t.Fatal(err)
	}
	ticket, err := m.AcquireCloneTicket(t.Context(), parent.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{ticket, strings.TrimPrefix(ticket, session.TicketPrefix)} {
		if _, err := m.Lookup(t.Context(), id); !errors.Is(err, session.ErrUnknownSession) {
			t.Fatalf("Lookup(ticket form %q…): err = %v, want ErrUnknownSession", id[:6], err)
		}
	}
	if _, err := m.CloneSession(t.Context(), parent.ID); !errors.Is(err, session.ErrUnknownTicket) {
		t.Fatalf("session id as a ticket: err = %v", err)
	}
	if _, err := m.CloneSession(t.Context(), session.TicketPrefix+parent.ID); !errors.Is(err, session.ErrUnknownTicket) {
		t.Fatalf("prefixed session id as a ticket: err = %v", err)
	}
	// The ticket survived all that.
	if _, err := m.CloneSession(t.Context(), ticket); err != nil {
		t.Fatal(err)
	}
}

func TestManagerCloneConcurrent(t *testing.T) {
	const redeemers = 50
	m := newManager(t, newMemoryStore(t))
	parent, err := m.Create(t.Context(), alice())
	if err != nil {
		t.Fatal(err)
	}
	ticket, err := m.AcquireCloneTicket(t.Context(), parent.ID)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, redeemers)
	for i := range redeemers {
		wg.Go(func() { _, errs[i] = m.CloneSession(t.Context(), ticket) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else if !errors.Is(err, session.ErrUnknownTicket) {
			t.Fatal(err)
		}
	}
	if won != 1 {
		t.Fatalf("%d redeemers won, want exactly 1", won)
	}
	if got, _ := m.Sessions(t.Context(), parent.Principal); len(got) != 2 {
		t.Fatalf("%d sessions, want parent and one child", len(got))
	}
}

func TestManagerCascade(t *testing.T) {
	tests := []struct {
		name     string
		givenEnd func(t *testing.T, m *session.Manager, clk *clock, root *session.Session)
	}{
		{"ok, parent logout", func(t *testing.T, m *session.Manager, _ *clock, root *session.Session) {
			if err := m.Delete(t.Context(), root.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"ok, parent idle expiry", func(t *testing.T, m *session.Manager, clk *clock, _ *session.Session) {
			clk.Advance(session.DefaultIdleTimeout)
		}},
		{"ok, admin termination of the parent", func(t *testing.T, m *session.Manager, _ *clock, root *session.Session) {
			infos, err := m.Sessions(t.Context(), root.Principal)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range infos {
				if in.Kind == session.KindSession {
					if err := m.Terminate(t.Context(), in.Key); err != nil {
						t.Fatal(err)
					}
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			m := newManager(t, newMemoryStore(t), session.WithClock(clk.Now))
			root, err := m.Create(t.Context(), alice())
			if err != nil {
				t.Fatal(err)
			}
			ticket, err := m.AcquireCloneTicket(t.Context(), root.ID)
			if err != nil {
				t.Fatal(err)
			}
			child, err := m.CloneSession(t.Context(), ticket)
			if err != nil {
				t.Fatal(err)
			}
			grandchild, err := m.Derive(t.Context(), child.ID)
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(time.Minute)
			if _, err := m.Lookup(t.Context(), grandchild.ID); err != nil {
				t.Fatal(err)
			}
			tt.givenEnd(t, m, clk, root)
			for _, id := range []string{grandchild.ID, child.ID} {
				if _, err := m.Lookup(t.Context(), id); !errors.Is(err, session.ErrUnknownSession) {
					t.Fatalf("Lookup of a descendant: err = %v, want ErrUnknownSession", err)
				}
			}
		})
	}
}

func TestManagerDepth(t *testing.T) {
	m := newManager(t, newMemoryStore(t))
	s, err := m.Create(t.Context(), alice())
	if err != nil {
		t.Fatal(err)
	}
	for range session.MaxDepth {
		if s, err = m.Derive(t.Context(), s.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Derive(t.Context(), s.ID); !errors.Is(err, session.ErrDepthExceeded) {
		t.Fatalf("Derive beyond MaxDepth: err = %v", err)
	}
	if _, err := m.AcquireCloneTicket(t.Context(), s.ID); !errors.Is(err, session.ErrDepthExceeded) {
		t.Fatalf("AcquireCloneTicket beyond MaxDepth: err = %v", err)
	}
}

func TestManagerCloneLimit(t *testing.T) {
	m := newManager(t, newMemoryStore(t), session.WithMaxSessionsPerUser(1))
	parent, err := m.Create(t.Context(), alice())
	if err != nil {
		t.Fatal(err)
	}
	ticket, err := m.AcquireCloneTicket(t.Context(), parent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.CloneSession(t.Context(), ticket); !errors.Is(err, session.ErrSessionLimit) {
		t.Fatalf("clone beyond the cap: err = %v, want ErrSessionLimit", err)
	}
	if got, _ := m.Sessions(t.Context(), parent.Principal); len(got) != 1 {
		t.Fatalf("%d sessions, want 1: nothing leaked", len(got))
	}
}

func TestManagerChannelCredential(t *testing.T) {
	m := newManager(t, newMemoryStore(t))
	s, err := m.Create(t.Context(), alice())
	if err != nil {
		t.Fatal(err)
	}
	other, err := m.Create(t.Context(), alice())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := m.IssueChannelCredential(t.Context(), s.ID, "broker")
	if err != nil {
		t.Fatal(err)
	}
	otherCred, err := m.IssueChannelCredential(t.Context(), other.ID, "broker")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		givenUser    string
		givenCred    string
		givenChannel string
		expectErr    []error
	}{
		{name: "ok, its channel", givenUser: cred.User, givenCred: cred.Password, givenChannel: "broker"},
		{name: "nok, another channel", givenUser: cred.User, givenCred: cred.Password, givenChannel: "metrics", expectErr: []error{session.ErrUnknownChannelCredential}},
		{name: "nok, another credential's user", givenUser: otherCred.User, givenCred: cred.Password, givenChannel: "broker", expectErr: []error{session.ErrUnknownChannelCredential, session.ErrUnknownSession}},
		{name: "nok, session id as user", givenUser: s.ID, givenCred: cred.Password, givenChannel: "broker", expectErr: []error{session.ErrUnknownChannelCredential}},
		{name: "nok, wrong secret", givenUser: cred.User, givenCred: session.ChannelCredentialPrefix + other.ID, givenChannel: "broker", expectErr: []error{session.ErrUnknownChannelCredential}},
		{name: "nok, session id as credential", givenUser: cred.User, givenCred: s.ID, givenChannel: "broker", expectErr: []error{session.ErrUnknownChannelCredential}},
		{name: "nok, malformed user", givenUser: "x", givenCred: cred.Password, givenChannel: "broker", expectErr: []error{session.ErrUnknownChannelCredential}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := m.VerifyChannelCredential(t.Context(), tt.givenUser, tt.givenCred, tt.givenChannel)
			expectErrs(t, err, tt.expectErr)
			if err == nil && id.Principal != s.Principal {
				t.Fatalf("identity %+v", id)
			}
		})
	}
	if _, err := m.IssueChannelCredential(t.Context(), s.ID, "bad channel"); !errors.Is(err, session.ErrInvalidChannel) {
		t.Fatalf("bad channel: err = %v", err)
	}
	// Issuing again mints a further credential with a user name of its own.
	cred2, err := m.IssueChannelCredential(t.Context(), s.ID, "broker")
	if err != nil {
		t.Fatal(err)
	}
	if cred2.User == cred.User || cred2.Password == cred.Password {
		t.Fatalf("second credential %+v repeats the first %+v", cred2, cred)
	}
	if err := m.Delete(t.Context(), s.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []session.ChannelCredential{cred, cred2} {
		if _, err := m.VerifyChannelCredential(t.Context(), c.User, c.Password, "broker"); !errors.Is(err, session.ErrUnknownChannelCredential) {
			t.Fatalf("after logout: err = %v, want revoked", err)
		}
	}
}
