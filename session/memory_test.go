package session_test

import (
	"errors"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/session/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store { return newMemoryStore(t) },
	})
}

func TestMemoryStoreConformanceTinyBound(t *testing.T) {
	// The suite never holds more than a few dozen records at once: a small
	// bound must not change any behaviour.
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) session.Store { return newMemoryStore(t, session.WithMaxEntries(64)) },
	})
}

func TestNewMemoryStore(t *testing.T) {
	tests := []struct {
		name      string
		givenOpts []session.MemoryOption
		expectErr []error
	}{
		{name: "ok, defaults"},
		{name: "ok, bound", givenOpts: []session.MemoryOption{session.WithMaxEntries(1)}},
		{name: "nok, zero bound", givenOpts: []session.MemoryOption{session.WithMaxEntries(0)}, expectErr: []error{session.ErrConfig}},
		{name: "nok, negative bound", givenOpts: []session.MemoryOption{session.WithMaxEntries(-1)}, expectErr: []error{session.ErrConfig}},
		{name: "nok, nil option", givenOpts: []session.MemoryOption{nil}, expectErr: []error{session.ErrConfig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := session.NewMemoryStore(tt.givenOpts...)
			expectErrs(t, err, tt.expectErr)
			if (store == nil) == (err == nil) {
				t.Fatalf("store, err = %v, %v: want exactly one", store, err)
			}
		})
	}
}

func TestMemoryStoreFull(t *testing.T) {
	tests := []struct {
		name        string
		givenMax    int
		whenAdvance time.Duration // before the extra create
		expectErr   []error
	}{
		{name: "nok, full of live sessions fails closed", givenMax: 3, whenAdvance: time.Minute, expectErr: []error{session.ErrStoreFull, session.ErrStoreUnavailable}},
		{name: "ok, full of dead sessions sweeps them", givenMax: 3, whenAdvance: 31 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			store := newMemoryStore(t, session.WithMaxEntries(tt.givenMax))
			m := newManager(t, store, session.WithClock(clk.Now))
			var first *session.Session
			for i := range tt.givenMax {
				s, err := m.Create(t.Context(), session.Identity{Principal: vapisec.Principal{Name: "user", Domain: string(rune('a' + i))}})
				if err != nil {
					t.Fatal(err)
				}
				if first == nil {
					first = s
				}
			}
			clk.Advance(tt.whenAdvance)
			_, err := m.Create(t.Context(), alice())
			expectErrs(t, err, tt.expectErr)
			if err != nil {
				// No live session was evicted to make room.
				if _, err := m.Lookup(t.Context(), first.ID); err != nil {
					t.Fatalf("a live session was evicted: %v", err)
				}
				if store.Len() != tt.givenMax {
					t.Fatalf("Len = %d, want %d", store.Len(), tt.givenMax)
				}
				return
			}
			// The insert made room by sweeping (all of the store, or the one
			// shard the periodic sweep visited first): never more than the
			// limit, and once everything is swept only the new session is
			// left.
			if store.Len() > tt.givenMax {
				t.Fatalf("Len = %d, over the limit %d", store.Len(), tt.givenMax)
			}
			store.Sweep(clk.Now())
			if store.Len() != 1 {
				t.Fatalf("Len = %d after the sweep, want 1", store.Len())
			}
		})
	}
}

func TestMemoryStoreSweep(t *testing.T) {
	clk := newClock()
	store := newMemoryStore(t)
	m := newManager(t, store, session.WithClock(clk.Now), session.WithMaxSessionsPerUser(0))
	for range 100 {
		if _, err := m.Create(t.Context(), alice()); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(10 * time.Minute)
	live, err := m.Create(t.Context(), alice())
	if err != nil {
		t.Fatal(err)
	}
	if n := store.Sweep(clk.Now()); n != 0 {
		t.Fatalf("Sweep removed %d live records", n)
	}
	clk.Advance(25 * time.Minute) // the 100 are dead, live is not
	if n := store.Sweep(clk.Now()); n != 100 {
		t.Fatalf("Sweep removed %d records, want 100", n)
	}
	if store.Len() != 1 {
		t.Fatalf("Len = %d, want 1", store.Len())
	}
	if _, err := m.Lookup(t.Context(), live.ID); err != nil {
		t.Fatal(err)
	}
	infos, err := m.Sessions(t.Context(), alice().Principal)
	if err != nil || len(infos) != 1 {
		t.Fatalf("Sessions = %d, %v; want the one live session", len(infos), err)
	}
}

func TestMemoryStoreSweepsWhileCreating(t *testing.T) {
	// Without any lookup or Sweep call, dead records are removed as sessions
	// keep being created: every shard is swept once per minute of store time.
	clk := newClock()
	store := newMemoryStore(t)
	m := newManager(t, store, session.WithClock(clk.Now), session.WithIdleTimeout(time.Minute), session.WithMaxSessionsPerUser(0))
	for range 500 {
		if _, err := m.Create(t.Context(), alice()); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * time.Minute) // all 500 dead
	for range 200 {
		clk.Advance(time.Second)
		if _, err := m.Create(t.Context(), alice()); err != nil {
			t.Fatal(err)
		}
	}
	// 200 seconds are more than three sweep cycles: every one of the first
	// 500 records is gone, whichever shard it was in.
	if store.Len() > 200 {
		t.Fatalf("Len = %d, want ≤ 200: dead records accumulate", store.Len())
	}
}

func TestMemoryStoreRejectsOrphans(t *testing.T) {
	store := newMemoryStore(t)
	now := time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)
	rec := session.Record{
		Identity:     alice(),
		Created:      now,
		LastAccessed: now,
		IdleTimeout:  time.Minute,
		Expiry:       now.Add(time.Hour),
		Kind:         session.KindChild,
		Parent:       session.Key{1},
	}
	if err := store.Insert(t.Context(), session.Key{2}, rec, session.Limits{}); !errors.Is(err, session.ErrUnknownSession) {
		t.Fatalf("child of an unknown parent: err = %v, want ErrUnknownSession", err)
	}
	if store.Len() != 0 {
		t.Fatalf("Len = %d, want 0", store.Len())
	}
}
