package session_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// benchSessions creates n sessions of distinct users and returns their ids.
func benchSessions(b *testing.B, m *session.Manager, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range ids {
		s, err := m.Create(context.Background(), session.Identity{
			Principal: vapisec.Principal{Name: "user", Domain: string(rune('a' + i%26))},
			Groups:    []string{"Users"},
			Scheme:    vapisec.SchemeUserPass,
		})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = s.ID
	}
	return ids
}

func BenchmarkManagerLookup(b *testing.B) {
	m := newManager(b, newMemoryStore(b), session.WithMaxSessionsPerUser(0))
	ids := benchSessions(b, m, 4096)
	ctx := context.Background()

	b.Run("serial/Lookup", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := m.Lookup(ctx, ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("serial/LookupInto", func(b *testing.B) {
		b.ReportAllocs()
		var s session.Session
		i := 0
		for b.Loop() {
			if err := m.LookupInto(ctx, ids[i%len(ids)], &s); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("serial/unknown", func(b *testing.B) {
		b.ReportAllocs()
		unknown := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		var s session.Session
		for b.Loop() {
			if err := m.LookupInto(ctx, unknown, &s); err == nil {
				b.Fatal("found")
			}
		}
	})
	b.Run("parallel/LookupInto", func(b *testing.B) {
		b.ReportAllocs()
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			var s session.Session
			i := int(next.Add(997))
			for pb.Next() {
				if err := m.LookupInto(ctx, ids[i%len(ids)], &s); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	})
	b.Run("parallel/same-session", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var s session.Session
			for pb.Next() {
				if err := m.LookupInto(ctx, ids[0], &s); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkManagerCreate measures logins of users that hold up to 100
// sessions each: every insert counts the user's records (the quota), so one
// user with unboundedly many sessions would measure that count, not a login.
func BenchmarkManagerCreate(b *testing.B) {
	m := newManager(b, newMemoryStore(b, session.WithMaxEntries(1<<30)), session.WithMaxSessionsPerUser(0))
	ctx := context.Background()
	id := alice()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%100 == 0 {
			id.Principal.Name = "alice" + strconv.Itoa(i/100)
		}
		i++
		if _, err := m.Create(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}
