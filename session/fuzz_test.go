package session_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/session"
)

// FuzzLookup feeds arbitrary ids to Lookup and Delete: they must never panic,
// never find a session that was not created, and never fail with anything
// but ErrUnknownSession.
func FuzzLookup(f *testing.F) {
	m := newManager(f, newMemoryStore(f), session.WithMaxSessionsPerUser(0))
	created, err := m.Create(f.Context(), alice())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(created.ID)
	f.Add("")
	f.Add(strings.Repeat("A", 43))
	f.Add(strings.Repeat("A", 42) + "B")
	f.Add(created.ID[:42])
	f.Add(created.ID + "=")
	f.Add(strings.ToUpper(created.ID))
	f.Add(strings.Repeat("\xff", 43))
	f.Fuzz(func(t *testing.T, id string) {
		raw, decErr := base64.RawURLEncoding.Strict().DecodeString(id)
		if want := len(id) == session.IDLength && decErr == nil && len(raw) == session.IDBytes; session.ValidID(id) != want {
			t.Fatalf("ValidID(%q) = %v, strict base64url decoding says %v", id, !want, want)
		}
		if session.ValidID(id) {
			// Differential: the key's tag is the id's first bytes as the
			// standard decoder reads them.
			k, err := session.KeyOf(id)
			if tag := k.Tag(); err != nil || !bytes.Equal(tag[:], raw[:session.TagBytes]) {
				t.Fatalf("KeyOf(%q).Tag() = %x, %v; the id decodes to %x", id, tag, err, raw[:session.TagBytes])
			}
		}
		s, err := m.Lookup(t.Context(), id)
		if err == nil {
			if id != created.ID || s.ID != id || s.Principal != created.Principal {
				t.Fatalf("Lookup(%q) found a session that was not created", id)
			}
			return
		}
		if !errors.Is(err, session.ErrUnknownSession) {
			t.Fatalf("Lookup(%q): %v, want ErrUnknownSession", id, err)
		}
		if id == created.ID {
			t.Fatalf("Lookup of the created id failed: %v", err)
		}
		if !session.ValidID(id) != errors.Is(err, session.ErrMalformedID) {
			t.Fatalf("Lookup(%q): %v disagrees with ValidID", id, err)
		}
		if err := m.Delete(t.Context(), id); !errors.Is(err, session.ErrUnknownSession) {
			t.Fatalf("Delete(%q): %v, want ErrUnknownSession", id, err)
		}
	})
}
