package session_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

func TestNewManager(t *testing.T) {
	store := newMemoryStore(t)
	tests := []struct {
		name       string
		givenStore session.Store
		givenOpts  []session.ManagerOption
		expectIdle time.Duration
		expectLife time.Duration
		expectErr  []error
	}{
		{name: "ok, defaults", givenStore: store, expectIdle: 30 * time.Minute, expectLife: 12 * time.Hour},
		{
			name:       "ok, options",
			givenStore: store,
			givenOpts:  []session.ManagerOption{session.WithIdleTimeout(time.Minute), session.WithMaxLifetime(time.Hour), session.WithMaxSessionsPerUser(0)},
			expectIdle: time.Minute,
			expectLife: time.Hour,
		},
		{name: "nok, nil store", expectErr: []error{session.ErrConfig}},
		{name: "nok, zero idle timeout", givenStore: store, givenOpts: []session.ManagerOption{session.WithIdleTimeout(0)}, expectErr: []error{session.ErrConfig}},
		{name: "nok, negative lifetime", givenStore: store, givenOpts: []session.ManagerOption{session.WithMaxLifetime(-time.Hour)}, expectErr: []error{session.ErrConfig}},
		{name: "nok, negative cap", givenStore: store, givenOpts: []session.ManagerOption{session.WithMaxSessionsPerUser(-1)}, expectErr: []error{session.ErrConfig}},
		{name: "ok, quotas", givenStore: store, givenOpts: []session.ManagerOption{session.WithMaxChannelCredentialsPerSession(1), session.WithMaxCloneTicketsPerSession(1), session.WithMaxChildSessions(1), session.WithMaxRecordsPerUser(1)}, expectIdle: 30 * time.Minute, expectLife: 12 * time.Hour},
		{name: "nok, zero channel credentials per session", givenStore: store, givenOpts: []session.ManagerOption{session.WithMaxChannelCredentialsPerSession(0)}, expectErr: []error{session.ErrConfig}},
		{name: "nok, negative clone tickets per session", givenStore: store, givenOpts: []session.ManagerOption{session.WithMaxCloneTicketsPerSession(-1)}, expectErr: []error{session.ErrConfig}},
		{name: "nok, zero child sessions", givenStore: store, givenOpts: []session.ManagerOption{session.WithMaxChildSessions(0)}, expectErr: []error{session.ErrConfig}},
		{name: "nok, zero records per user", givenStore: store, givenOpts: []session.ManagerOption{session.WithMaxRecordsPerUser(0)}, expectErr: []error{session.ErrConfig}},
		{name: "nok, nil clock", givenStore: store, givenOpts: []session.ManagerOption{session.WithClock(nil)}, expectErr: []error{session.ErrConfig}},
		{name: "nok, nil random", givenStore: store, givenOpts: []session.ManagerOption{session.WithRandom(nil)}, expectErr: []error{session.ErrConfig}},
		{name: "nok, zero clone ticket TTL", givenStore: store, givenOpts: []session.ManagerOption{session.WithCloneTicketTTL(0)}, expectErr: []error{session.ErrConfig}},
		{name: "nok, nil option", givenStore: store, givenOpts: []session.ManagerOption{nil}, expectErr: []error{session.ErrConfig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := session.NewManager(tt.givenStore, tt.givenOpts...)
			expectErrs(t, err, tt.expectErr)
			if err != nil {
				if m != nil {
					t.Fatal("a Manager returned with an error")
				}
				return
			}
			if m.IdleTimeout() != tt.expectIdle || m.MaxLifetime() != tt.expectLife {
				t.Fatalf("IdleTimeout, MaxLifetime = %v, %v; want %v, %v", m.IdleTimeout(), m.MaxLifetime(), tt.expectIdle, tt.expectLife)
			}
		})
	}
}

func TestManagerLifecycle(t *testing.T) {
	tests := []struct {
		name             string
		givenIdentity    session.Identity
		whenDeletes      int
		expectCreateErr  []error
		expectLookupErr  []error
		expectLastDelete []error
	}{
		{name: "ok, create then lookup", givenIdentity: alice()},
		{
			name:          "ok, no groups, SAML login",
			givenIdentity: session.Identity{Principal: vapisec.Principal{Name: "bob"}, Scheme: vapisec.SchemeSAMLHoK},
		},
		{name: "nok, lookup after logout", givenIdentity: alice(), whenDeletes: 1, expectLookupErr: []error{session.ErrUnknownSession}},
		{
			name: "nok, logout twice", givenIdentity: alice(), whenDeletes: 2,
			expectLookupErr: []error{session.ErrUnknownSession}, expectLastDelete: []error{session.ErrUnknownSession},
		},
		{
			name:            "nok, create without principal",
			givenIdentity:   session.Identity{Groups: []string{"Users"}, Scheme: vapisec.SchemeUserPass},
			expectCreateErr: []error{session.ErrInvalidIdentity},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			store := newMemoryStore(t)
			m := newManager(t, store, session.WithClock(clk.Now))
			ctx := t.Context()

			created, err := m.Create(ctx, tt.givenIdentity)
			expectErrs(t, err, tt.expectCreateErr)
			if err != nil {
				if store.Len() != 0 {
					t.Fatalf("store holds %d records after a failed create", store.Len())
				}
				return
			}
			if created.Principal != tt.givenIdentity.Principal || created.Scheme != tt.givenIdentity.Scheme {
				t.Fatalf("created identity = %+v, want %+v", created.Identity, tt.givenIdentity)
			}
			if !created.Created.Equal(clk.Now()) || !created.Expiry.Equal(clk.Now().Add(12*time.Hour)) ||
				!created.IdleExpiry.Equal(clk.Now().Add(30*time.Minute)) {
				t.Fatalf("created times = %+v", created)
			}

			var deleteErr error
			for range tt.whenDeletes {
				deleteErr = m.Delete(ctx, created.ID)
			}
			expectErrs(t, deleteErr, tt.expectLastDelete)

			clk.Advance(time.Minute)
			got, err := m.Lookup(ctx, created.ID)
			expectErrs(t, err, tt.expectLookupErr)
			if err != nil {
				return
			}
			if got.ID != created.ID || got.Principal != created.Principal || len(got.Groups) != len(created.Groups) ||
				!got.Created.Equal(created.Created) || !got.LastAccessed.Equal(clk.Now()) ||
				!got.IdleExpiry.Equal(clk.Now().Add(30*time.Minute)) || !got.Expiry.Equal(created.Expiry) {
				t.Fatalf("Lookup = %+v, want %+v touched at %v", got, created, clk.Now())
			}
		})
	}
}

func TestManagerCreateCopiesGroups(t *testing.T) {
	m := newManager(t, newMemoryStore(t))
	id := alice()
	s, err := m.Create(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	id.Groups[0] = "Administrators" // the caller reuses its slice
	got, err := m.Lookup(t.Context(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Groups[0] != "Users" {
		t.Fatalf("stored groups changed with the caller's slice: %q", got.Groups)
	}
}

func TestManagerExpiry(t *testing.T) {
	tests := []struct {
		name      string
		givenUses []time.Duration // waits before each lookup
		expectErr []error         // of the last lookup
	}{
		{name: "ok, used after 29 minutes", givenUses: []time.Duration{29 * time.Minute}},
		{name: "nok, idle for exactly 30 minutes", givenUses: []time.Duration{30 * time.Minute}, expectErr: []error{session.ErrExpired, session.ErrUnknownSession}},
		{name: "nok, idle for 31 minutes after a use", givenUses: []time.Duration{20 * time.Minute, 31 * time.Minute}, expectErr: []error{session.ErrExpired}},
		{name: "ok, used every 20 minutes until just before 12 hours", givenUses: every(20*time.Minute, 35, 19*time.Minute+59*time.Second)},
		{name: "nok, used every 20 minutes, dead at 12 hours", givenUses: every(20*time.Minute, 35, 20*time.Minute), expectErr: []error{session.ErrExpired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			m := newManager(t, newMemoryStore(t), session.WithClock(clk.Now))
			s, err := m.Create(t.Context(), alice())
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range tt.givenUses {
				clk.Advance(d)
				got, err := m.Lookup(t.Context(), s.ID)
				if i < len(tt.givenUses)-1 {
					if err != nil {
						t.Fatalf("use %d after %v: %v", i, clk.Now().Sub(s.Created), err)
					}
					continue
				}
				expectErrs(t, err, tt.expectErr)
				if err == nil && got.IdleExpiry.After(s.Expiry) {
					t.Fatalf("IdleExpiry %v after Expiry %v", got.IdleExpiry, s.Expiry)
				}
			}
			if tt.expectErr != nil {
				// The dead session is gone for good, even if time went back.
				clk.Advance(-time.Hour)
				_, err := m.Lookup(t.Context(), s.ID)
				expectErrs(t, err, []error{session.ErrUnknownSession})
			}
		})
	}
}

// every returns n waits of d followed by one wait of last.
func every(d time.Duration, n int, last time.Duration) []time.Duration {
	waits := make([]time.Duration, 0, n+1)
	for range n {
		waits = append(waits, d)
	}
	return append(waits, last)
}

func TestManagerMalformedIDsNeverReachTheStore(t *testing.T) {
	valid := strings.Repeat("A", 43)
	tests := []struct {
		name    string
		givenID string
	}{
		{name: "nok, empty", givenID: ""},
		{name: "nok, too short", givenID: valid[:42]},
		{name: "nok, too long", givenID: valid + "A"},
		{name: "nok, 10 KB", givenID: strings.Repeat("A", 10<<10)},
		{name: "nok, standard base64 alphabet", givenID: "+" + valid[1:]},
		{name: "nok, slash", givenID: valid[:10] + "/" + valid[11:]},
		{name: "nok, padding", givenID: valid[:42] + "="},
		{name: "nok, non-canonical last character", givenID: valid[:42] + "B"},
		{name: "nok, space", givenID: valid[:20] + " " + valid[21:]},
		{name: "nok, NUL byte", givenID: valid[:20] + "\x00" + valid[21:]},
		{name: "nok, non-ASCII", givenID: valid[:41] + "é"},
		{name: "nok, hex store key sent as id", givenID: strings.Repeat("ab", 32)},
		{name: "nok, UUID (vcsim-style id)", givenID: "4f2a8c1e-9b3d-4e5f-8a7b-6c5d4e3f2a1b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &countingStore{Store: newMemoryStore(t)}
			m := newManager(t, store)
			_, err := m.Lookup(t.Context(), tt.givenID)
			expectErrs(t, err, []error{session.ErrMalformedID, session.ErrUnknownSession})
			var s session.Session
			expectErrs(t, m.LookupInto(t.Context(), tt.givenID, &s), []error{session.ErrMalformedID})
			expectErrs(t, m.Delete(t.Context(), tt.givenID), []error{session.ErrMalformedID})
			if _, err := session.KeyOf(tt.givenID); !errors.Is(err, session.ErrMalformedID) {
				t.Fatalf("KeyOf: err = %v, want ErrMalformedID", err)
			}
			if n := store.calls.Load(); n != 0 {
				t.Fatalf("%d store calls for a malformed id, want 0", n)
			}
		})
	}

	t.Run("ok, well-formed unknown id reaches the store once", func(t *testing.T) {
		store := &countingStore{Store: newMemoryStore(t)}
		m := newManager(t, store)
		_, err := m.Lookup(t.Context(), valid)
		expectErrs(t, err, []error{session.ErrUnknownSession})
		if errors.Is(err, session.ErrMalformedID) {
			t.Fatal("a well-formed id reported as malformed")
		}
		if n := store.calls.Load(); n != 1 {
			t.Fatalf("%d store calls, want 1", n)
		}
	})
}

func TestManagerIDs(t *testing.T) {
	const n = 2000
	m := newManager(t, newMemoryStore(t), session.WithMaxSessionsPerUser(0), session.WithMaxRecordsPerUser(n))
	seen := make(map[string]bool, n)
	for range n {
		s, err := m.Create(t.Context(), alice())
		if err != nil {
			t.Fatal(err)
		}
		if len(s.ID) != session.IDLength || !session.ValidID(s.ID) {
			t.Fatalf("id %q: not 43 characters of base64url", s.ID)
		}
		raw, err := base64.RawURLEncoding.Strict().DecodeString(s.ID)
		if err != nil || len(raw) != session.IDBytes {
			t.Fatalf("id %q decodes to %d bytes, %v", s.ID, len(raw), err)
		}
		if seen[s.ID] {
			t.Fatalf("id %q issued twice", s.ID)
		}
		seen[s.ID] = true
	}
}

func TestManagerRandomSource(t *testing.T) {
	tests := []struct {
		name         string
		givenRandom  []byte
		whenCreates  int
		expectLastID string // the id after its user's shard tag (6 characters)
		expectErr    []error
	}{
		{name: "ok, the id is the random bytes after the tag", givenRandom: make([]byte, session.IDRandomBytes), whenCreates: 1, expectLastID: strings.Repeat("A", 37)},
		{name: "nok, a repeating source is detected, not retried", givenRandom: make([]byte, 2*session.IDRandomBytes), whenCreates: 2, expectErr: []error{session.ErrExists}},
		{name: "nok, a failing source", givenRandom: make([]byte, session.IDRandomBytes-1), whenCreates: 1, expectErr: []error{session.ErrRandom}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManager(t, newMemoryStore(t), session.WithRandom(bytes.NewReader(tt.givenRandom)))
			var s *session.Session
			var err error
			for range tt.whenCreates {
				s, err = m.Create(t.Context(), alice())
			}
			expectErrs(t, err, tt.expectErr)
			if err == nil && s.ID[6:] != tt.expectLastID {
				t.Fatalf("id = %q, want %q", s.ID, tt.expectLastID)
			}
		})
	}
}

func TestManagerSessionLimit(t *testing.T) {
	tests := []struct {
		name        string
		givenOpts   []session.ManagerOption
		whenCreates int
		expectOK    int
	}{
		{name: "ok, default limit is 550", whenCreates: 551, expectOK: 550},
		{name: "ok, limit 2", givenOpts: []session.ManagerOption{session.WithMaxSessionsPerUser(2)}, whenCreates: 4, expectOK: 2},
		{name: "ok, 0 means no limit", givenOpts: []session.ManagerOption{session.WithMaxSessionsPerUser(0)}, whenCreates: 600, expectOK: 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemoryStore(t)
			m := newManager(t, store, tt.givenOpts...)
			var ids []string
			for i := range tt.whenCreates {
				s, err := m.Create(t.Context(), alice())
				if i < tt.expectOK {
					expectErrs(t, err, nil)
					ids = append(ids, s.ID)
					continue
				}
				expectErrs(t, err, []error{session.ErrSessionLimit})
				if s != nil {
					t.Fatal("a session returned with ErrSessionLimit")
				}
			}
			if store.Len() != tt.expectOK {
				t.Fatalf("store holds %d records, want %d: a refused session leaked", store.Len(), tt.expectOK)
			}
			reason, _ := session.ReasonOf(session.ErrSessionLimit)
			if reason != vapisec.ReasonSessionLimit {
				t.Fatalf("ReasonOf(ErrSessionLimit) = %q", reason)
			}
			// Another user is not affected; a logout frees a place.
			if _, err := m.Create(t.Context(), session.Identity{Principal: vapisec.Principal{Name: "bob"}}); err != nil {
				t.Fatal(err)
			}
			if err := m.Delete(t.Context(), ids[0]); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Create(t.Context(), alice()); err != nil {
				t.Fatalf("Create after a logout: %v", err)
			}
		})
	}
}

func TestManagerStoreErrors(t *testing.T) {
	tests := []struct {
		name      string
		givenErr  error
		expectErr []error
	}{
		{name: "nok, connection refused fails closed", givenErr: errConnRefused, expectErr: []error{session.ErrStoreUnavailable, errConnRefused}},
		{name: "nok, context canceled fails closed", givenErr: context.Canceled, expectErr: []error{session.ErrStoreUnavailable, context.Canceled}},
		{name: "nok, store full", givenErr: session.ErrStoreFull, expectErr: []error{session.ErrStoreFull, session.ErrStoreUnavailable}},
		{name: "nok, unknown passes through", givenErr: session.ErrUnknownSession, expectErr: []error{session.ErrUnknownSession}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newManager(t, brokenStore{Store: newMemoryStore(t), err: tt.givenErr})
			ctx := t.Context()
			id := strings.Repeat("A", 43)
			_, err := m.Create(ctx, alice())
			expectErrs(t, err, tt.expectErr)
			_, err = m.Lookup(ctx, id)
			expectErrs(t, err, tt.expectErr)
			expectErrs(t, m.Delete(ctx, id), tt.expectErr)
			_, err = m.Sessions(ctx, alice().Principal)
			expectErrs(t, err, tt.expectErr)
			_, err = m.TerminateUser(ctx, alice().Principal)
			expectErrs(t, err, tt.expectErr)
			expectErrs(t, m.Terminate(ctx, session.Key{1}), tt.expectErr)
		})
	}
}

func TestManagerAdmin(t *testing.T) {
	clk := newClock()
	m := newManager(t, newMemoryStore(t), session.WithClock(clk.Now))
	ctx := t.Context()
	ids := map[session.Key]string{}
	for range 3 {
		s, err := m.Create(ctx, alice())
		if err != nil {
			t.Fatal(err)
		}
		k, err := session.KeyOf(s.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids[k] = s.ID
	}
	bob, err := m.Create(ctx, session.Identity{Principal: vapisec.Principal{Name: "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)

	infos, err := m.Sessions(ctx, alice().Principal)
	if err != nil || len(infos) != 3 {
		t.Fatalf("Sessions = %d, %v; want 3", len(infos), err)
	}
	for _, in := range infos {
		if _, ok := ids[in.Key]; !ok || in.Principal != alice().Principal {
			t.Fatalf("Sessions returned %+v", in)
		}
		if !in.IdleExpiry.Equal(in.LastAccessed.Add(30 * time.Minute)) {
			t.Fatalf("IdleExpiry = %v", in.IdleExpiry)
		}
		// Listing does not touch.
		if !in.LastAccessed.Equal(in.Created) {
			t.Fatalf("Sessions touched the session")
		}
		if strings.Contains(in.Key.String(), ids[in.Key]) {
			t.Fatal("the key contains the id")
		}
	}

	victim := infos[0].Key
	expectErrs(t, m.Terminate(ctx, victim), nil)
	_, err = m.Lookup(ctx, ids[victim])
	expectErrs(t, err, []error{session.ErrUnknownSession})
	expectErrs(t, m.Terminate(ctx, victim), []error{session.ErrUnknownSession})

	n, err := m.TerminateUser(ctx, alice().Principal)
	if err != nil || n != 2 {
		t.Fatalf("TerminateUser = %d, %v; want 2", n, err)
	}
	for _, id := range ids {
		_, err := m.Lookup(ctx, id)
		expectErrs(t, err, []error{session.ErrUnknownSession})
	}
	if _, err := m.Lookup(ctx, bob.ID); err != nil {
		t.Fatalf("bob's session: %v", err)
	}
}

func TestManagerConcurrent(t *testing.T) {
	const workers, rounds = 8, 100
	clk := newClock()
	m := newManager(t, newMemoryStore(t), session.WithClock(clk.Now), session.WithMaxSessionsPerUser(0))
	ctx := t.Context()
	shared, err := m.Create(ctx, alice())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			var s session.Session
			for r := range rounds {
				own, err := m.Create(ctx, session.Identity{Principal: vapisec.Principal{Name: "user", Domain: string(rune('a' + w))}})
				if err != nil {
					errs <- err
					return
				}
				if err := m.LookupInto(ctx, own.ID, &s); err != nil || s.ID != own.ID {
					errs <- err
				}
				if err := m.LookupInto(ctx, shared.ID, &s); err != nil || s.Principal != shared.Principal {
					errs <- err
				}
				if r%10 == 0 {
					clk.Advance(time.Second)
				}
				if err := m.Delete(ctx, own.ID); err != nil {
					errs <- err
				}
				if _, err := m.Lookup(ctx, own.ID); !errors.Is(err, session.ErrUnknownSession) {
					errs <- errors.New("session alive after delete")
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestLookupIntoDoesNotAllocate(t *testing.T) {
	m := newManager(t, newMemoryStore(t))
	s, err := m.Create(t.Context(), alice())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var got session.Session
	allocs := testing.AllocsPerRun(100, func() {
		if err := m.LookupInto(ctx, s.ID, &got); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("LookupInto allocates %v times per call, want 0", allocs)
	}
}

func TestReasonOf(t *testing.T) {
	tests := []struct {
		name         string
		givenErr     error
		expectReason vapisec.Reason
		expectOK     bool
	}{
		{name: "ok, expired", givenErr: session.ErrExpired, expectReason: vapisec.ReasonExpired, expectOK: true},
		{name: "ok, unknown", givenErr: session.ErrUnknownSession, expectReason: vapisec.ReasonUnknownSession, expectOK: true},
		{name: "ok, malformed id is an unknown session", givenErr: session.ErrMalformedID, expectReason: vapisec.ReasonUnknownSession, expectOK: true},
		{name: "ok, store unavailable wrapped", givenErr: errors.Join(session.ErrStoreUnavailable, errConnRefused), expectReason: vapisec.ReasonStoreUnavailable, expectOK: true},
		{name: "ok, store full", givenErr: session.ErrStoreFull, expectReason: vapisec.ReasonStoreUnavailable, expectOK: true},
		{name: "ok, limit", givenErr: session.ErrSessionLimit, expectReason: vapisec.ReasonSessionLimit, expectOK: true},
		{name: "ok, channel credential quota", givenErr: session.ErrChannelLimit, expectReason: vapisec.ReasonChannelLimit, expectOK: true},
		{name: "ok, clone ticket quota", givenErr: session.ErrTicketLimit, expectReason: vapisec.ReasonCloneTicketLimit, expectOK: true},
		{name: "ok, child session quota", givenErr: session.ErrChildLimit, expectReason: vapisec.ReasonChildSessionLimit, expectOK: true},
		{name: "ok, user record quota, wrapped", givenErr: fmt.Errorf("x: %w", session.ErrUserRecordLimit), expectReason: vapisec.ReasonUserRecordLimit, expectOK: true},
		{name: "nok, other error", givenErr: errConnRefused},
		{name: "nok, nil", givenErr: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, ok := session.ReasonOf(tt.givenErr)
			if reason != tt.expectReason || ok != tt.expectOK {
				t.Fatalf("ReasonOf = %q, %v; want %q, %v", reason, ok, tt.expectReason, tt.expectOK)
			}
		})
	}
}
