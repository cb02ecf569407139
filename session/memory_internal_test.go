package session

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
)

// TestMemoryStoreDumpHoldsNoID creates sessions and searches everything the
// store holds — its keys and records, as bytes and as text — for the ids and
// their raw bytes, as an attacker with a heap dump would.
func TestMemoryStoreDumpHoldsNoID(t *testing.T) {
	store, err := NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManager(store)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 50 {
		s, err := m.Create(t.Context(), Identity{Principal: vapisec.Principal{Name: fmt.Sprint("user", i)}, Groups: []string{"g"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
	}

	var dump bytes.Buffer
	n := 0
	for i := range store.shards {
		for k, e := range store.shards[i].m {
			n++
			dump.Write(k[:])
			fmt.Fprintf(&dump, "%s %#v %#v %d %d %d\n", k, k, e.rec, e.last.Load(), e.idle, e.expiry)
		}
	}
	for u, keys := range store.users {
		fmt.Fprintf(&dump, "%#v %#v\n", u, keys)
	}
	if n != len(ids) {
		t.Fatalf("dump has %d records, want %d", n, len(ids))
	}
	for _, id := range ids {
		raw, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(dump.String(), id) || bytes.Contains(dump.Bytes(), raw) ||
			bytes.Contains(dump.Bytes(), raw[:8]) {
			t.Fatalf("the store dump contains session id %q or its bytes", id)
		}
		// The key under which the session is found is its tag and its
		// SHA-256, nothing else.
		if _, ok := store.shard(keyOf(id)).m[keyOf(id)]; !ok {
			t.Fatalf("session %q not stored under tag and SHA-256(id)", id)
		}
	}
}

// TestMemoryStoreExpireKeepsRevived covers the race between a touch that
// finds a record dead and a concurrent touch with an earlier time that kept
// it alive: the record must not be deleted.
func TestMemoryStoreExpireKeepsRevived(t *testing.T) {
	store, err := NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)
	rec := Record{Identity: Identity{Principal: vapisec.Principal{Name: "alice"}}, Created: t0, LastAccessed: t0, IdleTimeout: time.Hour, Expiry: t0.Add(12 * time.Hour)}
	key := Key{7}
	if err := store.Insert(t.Context(), key, rec, Limits{}); err != nil {
		t.Fatal(err)
	}
	s := store.shard(key)
	s.mu.RLock()
	e := s.m[key]
	s.mu.RUnlock()
	late := t0.Add(90 * time.Minute).UnixNano() // dead judged from t0
	if _, ok := e.touch(late); ok {
		t.Fatal("record alive 90 min after its last use with a 60 min idle timeout")
	}
	// Meanwhile a request stamped 40 min touched it.
	if _, err := store.Touch(t.Context(), key, t0.Add(40*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := store.expire(s, key, e, late)
	if err != nil {
		t.Fatalf("expire deleted a record revived by a concurrent touch: %v", err)
	}
	if !got.LastAccessed.Equal(time.Unix(0, late)) {
		t.Fatalf("LastAccessed = %v, want the late touch", got.LastAccessed)
	}
	if store.Len() != 1 {
		t.Fatalf("Len = %d, want 1", store.Len())
	}
}
