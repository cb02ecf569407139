package session

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vapisec/vapisec"
)

const (
	// DefaultMaxEntries is the default bound of a MemoryStore.
	DefaultMaxEntries = 1_000_000

	// memoryShards is the number of independently locked parts of a
	// MemoryStore; a key's shard is chosen by its first byte.
	memoryShards = 32

	// sweepCycle is how often, in store time, every shard of a MemoryStore is
	// swept while sessions are being created: one shard every
	// sweepCycle/memoryShards.
	sweepCycle = time.Minute
)

// MemoryOption configures a MemoryStore (NewMemoryStore).
type MemoryOption func(*MemoryStore)

// WithMaxEntries bounds the number of records the store holds. When it is
// reached, Insert first sweeps out every dead record and, if that frees
// nothing, fails with ErrStoreFull (which matches ErrStoreUnavailable): live
// sessions are never evicted. Values ≤ 0 select the default. Default value:
// DefaultMaxEntries (1,000,000; a record costs roughly 300 bytes plus its
// identity's strings).
func WithMaxEntries(n int) MemoryOption {
	return func(m *MemoryStore) {
		if n > 0 {
			m.maxEntries = int64(n)
		}
	}
}

// MemoryStore is the embedded Store: records live in this process's memory.
// It is correct for one process only — behind a load balancer every instance
// would have its own sessions; use package redisstore there.
//
// It is safe for concurrent use. Touch, the per-request path, takes a read
// lock on one of 32 shards and updates the record's last-access time with an
// atomic compare-and-swap; it allocates nothing. Inserts are serialised (they
// count the user's sessions atomically) and are the only operations that do
// housekeeping. Dead records are removed when they are touched, by a sweep of
// one shard at a time while sessions are being created (every shard at least
// once a minute of store time), by a full sweep when the store is full, and
// by Sweep. No goroutine runs in the background; there is nothing to close.
//
// The Identity.Groups slice given to Insert is kept and handed out again
// read-only. The context arguments are ignored: no operation blocks for
// long.
type MemoryStore struct {
	shards     [memoryShards]memShard
	maxEntries int64
	entries    atomic.Int64 // records stored, dead ones not yet removed included

	// mu serialises Insert, and guards users, nextShard and lastSweep.
	// Lock order: mu before a shard's lock.
	mu        sync.Mutex
	users     map[vapisec.Principal]map[Key]struct{} // a superset: may hold keys already removed from a shard
	nextShard int
	lastSweep int64 // unix nanoseconds
}

type memShard struct {
	mu sync.RWMutex
	m  map[Key]*memEntry
	_  [32]byte // keep shards on separate cache lines
}

// memEntry is one record. rec is immutable once stored, except its
// LastAccessed, which lives in last.
type memEntry struct {
	rec    Record
	last   atomic.Int64 // LastAccessed, unix nanoseconds
	idle   int64        // IdleTimeout, nanoseconds
	expiry int64        // Expiry, unix nanoseconds
}

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore(opts ...MemoryOption) *MemoryStore {
	m := &MemoryStore{
		maxEntries: DefaultMaxEntries,
		users:      make(map[vapisec.Principal]map[Key]struct{}),
	}
	for _, opt := range opts {
		opt(m)
	}
	for i := range m.shards {
		m.shards[i].m = make(map[Key]*memEntry)
	}
	return m
}

// Len returns the number of records held, dead ones not yet removed
// included.
func (m *MemoryStore) Len() int { return int(m.entries.Load()) }

func (m *MemoryStore) shard(key Key) *memShard { return &m.shards[key[0]%memoryShards] }

// alive reports whether e is alive at n (unix nanoseconds).
func (e *memEntry) alive(n int64) bool {
	return n < e.expiry && n-e.last.Load() < e.idle
}

// touch sets last to n if e is alive at n and n is later than last; it
// returns the resulting last and whether e is alive.
func (e *memEntry) touch(n int64) (int64, bool) {
	for {
		last := e.last.Load()
		if n >= e.expiry || n-last >= e.idle {
			return last, false
		}
		if n <= last || e.last.CompareAndSwap(last, n) {
			return max(last, n), true
		}
	}
}

// record returns a copy of e's record with the given LastAccessed.
func (e *memEntry) record(last int64) Record {
	rec := e.rec
	rec.LastAccessed = time.Unix(0, last).UTC()
	return rec
}

// Insert implements Store.
func (m *MemoryStore) Insert(_ context.Context, key Key, rec Record, maxPerUser int) error {
	if !rec.Valid() {
		return ErrInvalidRecord
	}
	n := rec.LastAccessed.UnixNano()
	user := rec.Identity.Principal

	m.mu.Lock()
	defer m.mu.Unlock()
	if n-m.lastSweep >= int64(sweepCycle/memoryShards) {
		m.unindexLocked(m.sweepShard(&m.shards[m.nextShard], n))
		m.nextShard = (m.nextShard + 1) % memoryShards
		m.lastSweep = n
	}
	if m.entries.Load() >= m.maxEntries {
		for i := range m.shards {
			m.unindexLocked(m.sweepShard(&m.shards[i], n))
		}
		if m.entries.Load() >= m.maxEntries {
			return ErrStoreFull
		}
	}
	if maxPerUser > 0 && m.countLocked(user, n) >= maxPerUser {
		return ErrSessionLimit
	}

	e := &memEntry{rec: rec, idle: int64(rec.IdleTimeout), expiry: rec.Expiry.UnixNano()}
	e.last.Store(n)
	s := m.shard(key)
	s.mu.Lock()
	if _, ok := s.m[key]; ok {
		s.mu.Unlock()
		return ErrExists
	}
	s.m[key] = e
	m.entries.Add(1)
	s.mu.Unlock()

	keys := m.users[user]
	if keys == nil {
		keys = make(map[Key]struct{})
		m.users[user] = keys
	}
	keys[key] = struct{}{}
	return nil
}

// countLocked counts the records of user alive at n and forgets index
// entries whose record is gone. m.mu must be held.
func (m *MemoryStore) countLocked(user vapisec.Principal, n int64) int {
	count := 0
	keys := m.users[user]
	for k := range keys {
		s := m.shard(k)
		s.mu.RLock()
		e := s.m[k]
		alive := e != nil && e.alive(n)
		s.mu.RUnlock()
		if e == nil {
			delete(keys, k)
		}
		if alive {
			count++
		}
	}
	return count
}

// Touch implements Store. It does not allocate.
func (m *MemoryStore) Touch(_ context.Context, key Key, now time.Time) (Record, error) {
	n := now.UnixNano()
	s := m.shard(key)
	s.mu.RLock()
	e := s.m[key]
	if e == nil {
		s.mu.RUnlock()
		return Record{}, ErrUnknownSession
	}
	last, ok := e.touch(n)
	s.mu.RUnlock()
	if ok {
		return e.record(last), nil
	}
	return m.expire(s, key, e, n)
}

// expire deletes e, found dead at n by Touch, unless a concurrent touch
// with an earlier time kept it alive after all.
func (m *MemoryStore) expire(s *memShard, key Key, e *memEntry, n int64) (Record, error) {
	s.mu.Lock()
	if s.m[key] != e {
		s.mu.Unlock()
		return Record{}, ErrUnknownSession
	}
	if last, ok := e.touch(n); ok {
		s.mu.Unlock()
		return e.record(last), nil
	}
	delete(s.m, key)
	m.entries.Add(-1)
	s.mu.Unlock()

	m.mu.Lock()
	m.unindexLocked([]userKey{{e.rec.Identity.Principal, key}})
	m.mu.Unlock()
	return Record{}, ErrExpired
}

// Delete implements Store.
func (m *MemoryStore) Delete(_ context.Context, key Key) error {
	s := m.shard(key)
	s.mu.Lock()
	e := s.m[key]
	if e == nil {
		s.mu.Unlock()
		return ErrUnknownSession
	}
	delete(s.m, key)
	m.entries.Add(-1)
	s.mu.Unlock()

	m.mu.Lock()
	m.unindexLocked([]userKey{{e.rec.Identity.Principal, key}})
	m.mu.Unlock()
	return nil
}

// ListUser implements Store.
func (m *MemoryStore) ListUser(_ context.Context, user vapisec.Principal, now time.Time) ([]Entry, error) {
	n := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := m.users[user]
	entries := make([]Entry, 0, len(keys))
	for k := range keys {
		s := m.shard(k)
		s.mu.RLock()
		if e := s.m[k]; e != nil && e.alive(n) {
			entries = append(entries, Entry{Key: k, Record: e.record(e.last.Load())})
		}
		s.mu.RUnlock()
	}
	return entries, nil
}

// DeleteUser implements Store.
func (m *MemoryStore) DeleteUser(_ context.Context, user vapisec.Principal, now time.Time) (int, error) {
	n := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	count := 0
	for k := range m.users[user] {
		s := m.shard(k)
		s.mu.Lock()
		if e := s.m[k]; e != nil {
			if e.alive(n) {
				count++
			}
			delete(s.m, k)
			m.entries.Add(-1)
		}
		s.mu.Unlock()
	}
	delete(m.users, user)
	return count, nil
}

// Sweep removes every record that is dead at now and returns how many it
// removed. The store sweeps by itself while sessions are being created;
// Sweep is for callers that want the memory back sooner (a ticker of their
// own).
func (m *MemoryStore) Sweep(now time.Time) int {
	n := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	removed := 0
	for i := range m.shards {
		gone := m.sweepShard(&m.shards[i], n)
		removed += len(gone)
		m.unindexLocked(gone)
	}
	return removed
}

// userKey names a removed record in the per-user index.
type userKey struct {
	user vapisec.Principal
	key  Key
}

// sweepShard removes the records of s that are dead at n and returns them.
func (m *MemoryStore) sweepShard(s *memShard, n int64) []userKey {
	var gone []userKey
	s.mu.Lock()
	for k, e := range s.m {
		if !e.alive(n) {
			delete(s.m, k)
			gone = append(gone, userKey{e.rec.Identity.Principal, k})
		}
	}
	m.entries.Add(-int64(len(gone)))
	s.mu.Unlock()
	return gone
}

// unindexLocked removes keys from the per-user index. m.mu must be held.
func (m *MemoryStore) unindexLocked(gone []userKey) {
	for _, g := range gone {
		keys := m.users[g.user]
		delete(keys, g.key)
		if len(keys) == 0 {
			delete(m.users, g.user)
		}
	}
}
