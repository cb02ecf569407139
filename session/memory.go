package session

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vapisec/vapisec"
)

const (
	// DefaultMaxEntries is the default bound of a MemoryStore.
	DefaultMaxEntries = 1_000_000

	// memoryShards is the number of independently locked parts of a
	// MemoryStore; a key's shard is chosen by its first byte after the
	// shard tag (one user's keys share their tag, and spread over the shards).
	memoryShards = 32

	// sweepCycle is how often, in store time, every shard of a MemoryStore is
	// swept while sessions are being created: one shard every
	// sweepCycle/memoryShards.
	sweepCycle = time.Minute
)

// MemoryOption configures a MemoryStore (NewMemoryStore). Options are
// applied in order; an out-of-range value makes NewMemoryStore fail with
// ErrConfig.
type MemoryOption func(*memoryConfig) error

// memoryConfig is what the MemoryOptions set.
type memoryConfig struct {
	maxEntries int64
}

// WithMaxEntries bounds the number of records the store holds. When it is
// reached, Insert first sweeps out every dead record and, if that frees
// nothing, fails with ErrStoreFull (which matches ErrStoreUnavailable): live
// sessions are never evicted. It must be positive: there is no "no limit".
// Default value: DefaultMaxEntries (1,000,000; a record costs roughly 300
// bytes plus its identity's strings).
func WithMaxEntries(n int) MemoryOption {
	return func(c *memoryConfig) error {
		if n <= 0 {
			return fmt.Errorf("%w: max entries %d is not positive", ErrConfig, n)
		}
		c.maxEntries = int64(n)
		return nil
	}
}

// MemoryStore is the embedded Store: records live in this process's memory.
// It is correct for one process only — behind a load balancer every instance
// would have its own sessions; use package redisstore there.
//
// It is safe for concurrent use. Touch, the per-request path, takes a read
// lock on one of 32 shards and updates the record's last-access time with an
// atomic compare-and-swap; it allocates nothing. Inserts are serialised (they
// count what Limits bounds and insert in one step: the user's records, the
// parent's tickets or credentials, the live derived sessions of a login
// session's tree) and are the only operations that do housekeeping. Dead
// records are removed when they are touched, by an insert that counts their
// user's records (with the records whose session chain ended, so an
// idled-out session's credentials do not outlive it), by a sweep of one
// shard at a time while sessions are being created (every shard at least
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

	// mu serialises Insert, and guards users, children, nextShard and
	// lastSweep. Lock order: mu before a shard's lock; at most one shard
	// lock is held at a time.
	mu        sync.Mutex
	users     map[vapisec.Principal]map[Key]struct{} // UserKey → records of every kind; a superset: may hold keys already removed from a shard
	children  map[Key]map[Key]struct{}               // parent key → keys of the records that name it as Parent
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

// NewMemoryStore returns an empty in-memory store configured by opts
// (default: see WithMaxEntries). It fails with ErrConfig when an option is
// nil or its value is out of range.
func NewMemoryStore(opts ...MemoryOption) (*MemoryStore, error) {
	c := memoryConfig{maxEntries: DefaultMaxEntries}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	m := &MemoryStore{
		maxEntries: c.maxEntries,
		users:      make(map[vapisec.Principal]map[Key]struct{}),
		children:   make(map[Key]map[Key]struct{}),
	}
	for i := range m.shards {
		m.shards[i].m = make(map[Key]*memEntry)
	}
	return m, nil
}

// Len returns the number of records held, dead ones not yet removed
// included.
func (m *MemoryStore) Len() int { return int(m.entries.Load()) }

func (m *MemoryStore) shard(key Key) *memShard { return &m.shards[key[TagBytes]%memoryShards] }

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
func (m *MemoryStore) Insert(_ context.Context, key Key, rec Record, limits Limits) error {
	if !rec.Valid() {
		return ErrInvalidRecord
	}
	n := rec.LastAccessed.UnixNano()
	user := UserKey(rec.Identity.Principal)

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
	if !rec.Parent.IsZero() {
		// The chain is checked under mu, which Delete's cascade also takes:
		// a parent deleted after this check finds the new child in the
		// index and deletes it too.
		depth, root, ok := m.chain(rec.Parent, n)
		switch {
		case !ok:
			return ErrUnknownSession
		case rec.Kind != KindChannel && depth > MaxDepth:
			return ErrDepthExceeded
		}
		if err := m.checkParentLocked(rec.Kind, rec.Parent, root, limits, n); err != nil {
			return err
		}
	}
	if err := m.checkUserLocked(rec.Kind, user, limits, n); err != nil {
		return err
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

	addIndex(m.users, user, key)
	if !rec.Parent.IsZero() {
		addIndex(m.children, rec.Parent, key)
	}
	return nil
}

// checkParentLocked enforces the per-session quotas of a record of kind
// whose parent is parent, with root the login session at the top of the
// chain: tickets and channel credentials of the parent, derived sessions
// of the whole tree below root. m.mu must be held.
func (m *MemoryStore) checkParentLocked(kind Kind, parent, root Key, limits Limits, n int64) error {
	switch kind {
	case KindTicket:
		if limits.Tickets > 0 && m.countChildrenLocked(parent, KindTicket, n, limits.Tickets) >= limits.Tickets {
			return ErrTicketLimit
		}
	case KindChannel:
		if limits.Channels > 0 && m.countChildrenLocked(parent, KindChannel, n, limits.Channels) >= limits.Channels {
			return ErrChannelLimit
		}
	case KindChild:
		if limits.Children > 0 && m.countTreeLocked(root, n, limits.Children) >= limits.Children {
			return ErrChildLimit
		}
	}
	return nil
}

// checkUserLocked enforces the per-user quotas for a new record of kind:
// the session cap (sessions only) and the bound on all records. m.mu must
// be held.
func (m *MemoryStore) checkUserLocked(kind Kind, user vapisec.Principal, limits Limits, n int64) error {
	wantSessions := kind.isSession() && limits.Sessions > 0
	if !wantSessions && limits.Records <= 0 {
		return nil
	}
	sessions, records := m.countLocked(user, n)
	switch {
	case wantSessions && sessions >= limits.Sessions:
		return ErrSessionLimit
	case limits.Records > 0 && records >= limits.Records:
		return ErrUserRecordLimit
	}
	return nil
}

// countChildrenLocked counts the records of kind alive at n whose Parent
// is parent, up to stop. m.mu must be held.
func (m *MemoryStore) countChildrenLocked(parent Key, kind Kind, n int64, stop int) int {
	count := 0
	for k := range m.children[parent] {
		if count >= stop {
			break
		}
		s := m.shard(k)
		s.mu.RLock()
		e := s.m[k]
		if e != nil && e.rec.Kind == kind && e.alive(n) {
			count++
		}
		s.mu.RUnlock()
	}
	return count
}

// countTreeLocked counts the derived sessions alive at n in the tree below
// root, up to stop; it does not descend below a dead session (its subtree
// is dead with it). The walk is bounded: at most stop live sessions are
// expanded, each to its direct records. m.mu must be held.
func (m *MemoryStore) countTreeLocked(root Key, n int64, stop int) int {
	count := 0
	stack := []Key{root}
	for len(stack) > 0 && count < stop {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for k := range m.children[p] {
			s := m.shard(k)
			s.mu.RLock()
			e := s.m[k]
			ok := e != nil && e.rec.Kind == KindChild && e.alive(n)
			s.mu.RUnlock()
			if ok {
				count++
				if count >= stop {
					break
				}
				stack = append(stack, k)
			}
		}
	}
	return count
}

// addIndex adds key to the set idx[at].
func addIndex[T comparable](idx map[T]map[Key]struct{}, at T, key Key) {
	keys := idx[at]
	if keys == nil {
		keys = make(map[Key]struct{})
		idx[at] = keys
	}
	keys[key] = struct{}{}
}

// chain walks the parent chain from parent up to the root and reports the
// depth of a record whose Parent is parent (1 for a child of a login
// session), the key of the login session at the root, and whether every
// session on the chain is alive at n. It holds one shard's read lock at a
// time and does not allocate.
func (m *MemoryStore) chain(parent Key, n int64) (int, Key, bool) {
	for depth := 1; depth <= MaxDepth+1; depth++ {
		s := m.shard(parent)
		s.mu.RLock()
		e := s.m[parent]
		ok := e != nil && e.rec.Kind.isSession() && e.alive(n)
		var next Key
		if ok {
			next = e.rec.Parent
		}
		s.mu.RUnlock()
		if !ok {
			return 0, Key{}, false
		}
		if next.IsZero() {
			return depth, parent, true
		}
		parent = next
	}
	return 0, Key{}, false // longer than any chain Insert accepts
}

// countLocked counts the sessions and the records of every kind of user
// (a UserKey) alive at n, and forgets index entries whose record is gone. A
// record whose parent chain is not alive at n (its parent idled out and no
// cascade ran yet) does not count. Records dead at n, by their own times or
// their chain's, are removed with their descendants after the count. Each
// distinct parent's chain is walked once (at most MaxDepth+1 lookups).
// m.mu must be held.
func (m *MemoryStore) countLocked(user vapisec.Principal, n int64) (sessions, records int) {
	keys := m.users[user]
	var chains map[Key]bool // parent → chain alive at n
	var dead []removed
	for k := range keys {
		s := m.shard(k)
		s.mu.RLock()
		e := s.m[k]
		alive := e != nil && e.alive(n)
		s.mu.RUnlock()
		if e == nil {
			delete(keys, k)
			continue
		}
		if !alive {
			dead = append(dead, removed{k, e})
			continue
		}
		if p := e.rec.Parent; !p.IsZero() {
			ok, seen := chains[p]
			if !seen {
				_, _, ok = m.chain(p, n)
				if chains == nil {
					chains = make(map[Key]bool)
				}
				chains[p] = ok
			}
			if !ok {
				dead = append(dead, removed{k, e})
				continue
			}
		}
		records++
		if e.rec.Kind.isSession() {
			sessions++
		}
	}
	for _, d := range dead {
		s := m.shard(d.key)
		s.mu.Lock()
		gone := s.m[d.key] == d.e // not removed by an earlier one's cascade
		if gone {
			delete(s.m, d.key)
			m.entries.Add(-1)
		}
		s.mu.Unlock()
		if gone {
			m.unindexLocked([]removed{d})
		}
	}
	return sessions, records
}

// Touch implements Store. It does not allocate.
func (m *MemoryStore) Touch(_ context.Context, key Key, now time.Time) (Record, error) {
	n := now.UnixNano()
	s := m.shard(key)
	s.mu.RLock()
	e := s.m[key]
	if e == nil || !e.rec.Kind.isSession() {
		s.mu.RUnlock()
		return Record{}, ErrUnknownSession
	}
	if !e.rec.Parent.IsZero() {
		// A child: its chain is read now, after the request arrived, so a
		// parent that ended before is seen as ended whether or not the
		// cascade delete has run. One shard lock at a time.
		s.mu.RUnlock()
		if _, _, ok := m.chain(e.rec.Parent, n); !ok {
			m.remove(s, key, e)
			return Record{}, ErrUnknownSession
		}
		s.mu.RLock()
	}
	last, ok := e.touch(n)
	s.mu.RUnlock()
	if ok {
		return e.record(last), nil
	}
	return m.expire(s, key, e, n)
}

// dropUnlock deletes the entry e stored under key from s, whose lock the
// caller holds and which it releases, then unindexes e with its
// descendants.
func (m *MemoryStore) dropUnlock(s *memShard, key Key, e *memEntry) {
	delete(s.m, key)
	m.entries.Add(-1)
	s.mu.Unlock()
	m.mu.Lock()
	m.unindexLocked([]removed{{key, e}})
	m.mu.Unlock()
}

// remove deletes e from s if it is still stored under key, with its
// descendants.
func (m *MemoryStore) remove(s *memShard, key Key, e *memEntry) {
	s.mu.Lock()
	if s.m[key] != e {
		s.mu.Unlock()
		return
	}
	m.dropUnlock(s, key, e)
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
	m.dropUnlock(s, key, e)
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
	m.dropUnlock(s, key, e)
	return nil
}

// Redeem implements Store.
func (m *MemoryStore) Redeem(_ context.Context, key Key, now time.Time) (Record, error) {
	n := now.UnixNano()
	s := m.shard(key)
	s.mu.Lock()
	e := s.m[key]
	if e == nil || e.rec.Kind != KindTicket {
		s.mu.Unlock()
		return Record{}, ErrUnknownTicket
	}
	m.dropUnlock(s, key, e)
	if !e.alive(n) {
		return Record{}, ErrTicketExpired
	}
	if _, _, ok := m.chain(e.rec.Parent, n); !ok {
		return Record{}, ErrUnknownTicket
	}
	return e.record(e.last.Load()), nil
}

// Get implements Store.
func (m *MemoryStore) Get(_ context.Context, key Key, kind Kind, now time.Time) (Record, error) {
	n := now.UnixNano()
	s := m.shard(key)
	s.mu.RLock()
	e := s.m[key]
	ok := e != nil && e.rec.Kind == kind && e.alive(n)
	s.mu.RUnlock()
	if !ok {
		return Record{}, ErrUnknownSession
	}
	if !e.rec.Parent.IsZero() {
		if _, _, ok := m.chain(e.rec.Parent, n); !ok {
			return Record{}, ErrUnknownSession
		}
	}
	return e.record(e.last.Load()), nil
}

// ListUser implements Store.
func (m *MemoryStore) ListUser(_ context.Context, user vapisec.Principal, now time.Time) ([]Entry, error) {
	n := now.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	keys := m.users[UserKey(user)]
	entries := make([]Entry, 0, len(keys))
	for k := range keys {
		s := m.shard(k)
		s.mu.RLock()
		if e := s.m[k]; e != nil && e.rec.Kind.isSession() && e.alive(n) {
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
	var gone []removed
	user = UserKey(user)
	for k := range m.users[user] {
		s := m.shard(k)
		s.mu.Lock()
		if e := s.m[k]; e != nil {
			if e.rec.Kind.isSession() && e.alive(n) {
				count++
			}
			delete(s.m, k)
			m.entries.Add(-1)
			gone = append(gone, removed{k, e})
		}
		s.mu.Unlock()
	}
	delete(m.users, user)
	m.unindexLocked(gone)
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

// removed is a record just removed from its shard, still to be removed
// from the indexes.
type removed struct {
	key Key
	e   *memEntry
}

// sweepShard removes the records of s that are dead at n and returns them.
func (m *MemoryStore) sweepShard(s *memShard, n int64) []removed {
	var gone []removed
	s.mu.Lock()
	for k, e := range s.m {
		if !e.alive(n) {
			delete(s.m, k)
			gone = append(gone, removed{k, e})
		}
	}
	m.entries.Add(-int64(len(gone)))
	s.mu.Unlock()
	return gone
}

// unindexLocked removes records already removed from their shards from the
// indexes and cascades: every record whose Parent is one of them is removed
// too, recursively (the chain is at most MaxDepth long). m.mu must be held.
// Returns nothing: the cascade is a clean-up, Touch and Get check chains
// themselves.
func (m *MemoryStore) unindexLocked(gone []removed) {
	for len(gone) > 0 {
		g := gone[len(gone)-1]
		gone = gone[:len(gone)-1]
		removeIndex(m.users, UserKey(g.e.rec.Identity.Principal), g.key)
		if !g.e.rec.Parent.IsZero() {
			removeIndex(m.children, g.e.rec.Parent, g.key)
		}
		for c := range m.children[g.key] {
			s := m.shard(c)
			s.mu.Lock()
			if e := s.m[c]; e != nil {
				delete(s.m, c)
				m.entries.Add(-1)
				gone = append(gone, removed{c, e})
			}
			s.mu.Unlock()
		}
		delete(m.children, g.key)
	}
}

// removeIndex removes key from the set idx[at], and the set when empty.
func removeIndex[T comparable](idx map[T]map[Key]struct{}, at T, key Key) {
	keys := idx[at]
	delete(keys, key)
	if len(keys) == 0 {
		delete(idx, at)
	}
}
