package verifier

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultReplayCacheSize is the default bound on the live entries of a
// MemoryReplayCache (WithMaxReplayEntries), and so of the one
// NewRequestVerifier builds (WithReplayCacheSize).
const DefaultReplayCacheSize = 1 << 20

// MemoryReplayCache is a bounded in-process ReplayCache. Entries live until
// their TTL has passed; when the cache holds its bound of live entries
// (WithMaxReplayEntries) it refuses new ones with ErrReplayCacheFull (fail
// closed) instead of evicting an entry that still protects a request.
// Expired entries are dropped, oldest expiry first, as new ones come in.
//
// Each owner (holder-of-key certificate) may hold at most ReplayEntry.Share
// live entries (WithReplayShare); over its share an owner is refused with
// ErrReplayQuota while the others keep their room, so one token holder
// cannot fill the cache for everyone (DESIGN Q22). On top of that each
// subject (the user the token names, ReplaySubject) may hold at most
// ReplayEntry.SubjectShare live entries whatever keys it signs with
// (WithReplaySubjectShare), so one account with tokens for many fresh key
// pairs cannot fill it either. Both counts and the insert happen under one
// lock.
//
// Cost per Record: one map lookup and insert, an owner and a subject count
// update and one heap push (O(log n)); once the cache has reached its
// working size, no allocation. Memory: about 170 bytes per live entry
// (measured by BenchmarkMemoryReplayCache_Record), plus a few dozen per
// owner and per subject with live entries (see docs/signing.md).
//
// It is correct for one process only: several instances behind a load
// balancer need a shared store (redisstore).
//
// A MemoryReplayCache is safe for concurrent use.
type MemoryReplayCache struct {
	clock func() time.Time
	max   int

	mu       sync.Mutex
	entries  map[ReplayKey]int64     // expiry, Unix nanoseconds
	owners   map[ReplayOwner]int32   // live entries per owner
	subjects map[ReplaySubject]int32 // live entries per subject
	heap     []replayItem            // min-heap by expiry
}

type replayItem struct {
	until   int64 // Unix nanoseconds
	key     ReplayKey
	owner   ReplayOwner
	subject ReplaySubject
}

// NewMemoryReplayCache returns an empty cache configured by opts (defaults:
// DefaultReplayCacheSize entries, time.Now; see WithMaxReplayEntries and
// WithReplayClock). It fails with ErrInvalidOption when an option is nil or
// its value is invalid.
func NewMemoryReplayCache(opts ...MemoryReplayOption) (*MemoryReplayCache, error) {
	c := memoryReplayConfig{maxEntries: DefaultReplayCacheSize, clock: time.Now}
	for _, opt := range opts {
		if opt == nil {
			return nil, newError("nil option", ErrInvalidOption)
		}
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	return &MemoryReplayCache{
		clock: c.clock, max: c.maxEntries,
		entries:  make(map[ReplayKey]int64, min(c.maxEntries, 4096)),
		owners:   make(map[ReplayOwner]int32, 64),
		subjects: make(map[ReplaySubject]int32, 64),
	}, nil
}

// Record implements ReplayCache.
func (m *MemoryReplayCache) Record(ctx context.Context, e ReplayEntry) error {
	if err := ctx.Err(); err != nil {
		return newError(err.Error(), ErrStoreUnavailable)
	}
	now := m.clock().UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	if until, ok := m.entries[e.Key]; ok && now < until {
		return ErrReplayed
	}
	if len(m.entries) >= m.max {
		return newError(fmt.Sprintf("%d live entries", len(m.entries)), ErrReplayCacheFull, ErrStoreUnavailable)
	}
	n := m.owners[e.Owner]
	if e.Share > 0 && int(n) >= e.Share {
		return newError(fmt.Sprintf("%d live entries of this holder, share %d", n, e.Share), ErrReplayQuota, ErrStoreUnavailable)
	}
	ns := m.subjects[e.Subject]
	if e.SubjectShare > 0 && int(ns) >= e.SubjectShare {
		return newError(fmt.Sprintf("%d live entries of this user, share %d", ns, e.SubjectShare), ErrReplayQuota, ErrStoreUnavailable)
	}
	until := now + int64(e.TTL)
	m.entries[e.Key] = until
	m.owners[e.Owner] = n + 1
	m.subjects[e.Subject] = ns + 1
	m.push(replayItem{until: until, key: e.Key, owner: e.Owner, subject: e.Subject})
	return nil
}

// Len returns the number of entries, expired ones not yet dropped included.
func (m *MemoryReplayCache) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// OwnerLen returns the number of entries of owner, expired ones not yet
// dropped included.
func (m *MemoryReplayCache) OwnerLen(owner ReplayOwner) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int(m.owners[owner])
}

// SubjectLen returns the number of entries of subject, expired ones not
// yet dropped included.
func (m *MemoryReplayCache) SubjectLen(subject ReplaySubject) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int(m.subjects[subject])
}

// expire drops the entries whose expiry has passed.
func (m *MemoryReplayCache) expire(now int64) {
	for len(m.heap) > 0 && now >= m.heap[0].until {
		it := m.pop()
		if until, ok := m.entries[it.key]; ok && until == it.until {
			delete(m.entries, it.key)
			if n := m.owners[it.owner] - 1; n > 0 {
				m.owners[it.owner] = n
			} else {
				delete(m.owners, it.owner)
			}
			if n := m.subjects[it.subject] - 1; n > 0 {
				m.subjects[it.subject] = n
			} else {
				delete(m.subjects, it.subject)
			}
		}
	}
}

// push and pop keep m.heap a min-heap by expiry with container/heap. They
// move items by index (heap.Fix) instead of heap.Push and heap.Pop, whose
// any arguments and results would box every replayItem: this way a Record
// stays at 0 allocs/op (BenchmarkMemoryReplayCache_Record).
func (m *MemoryReplayCache) push(it replayItem) {
	m.heap = append(m.heap, it)
	heap.Fix((*replayHeap)(&m.heap), len(m.heap)-1)
}

func (m *MemoryReplayCache) pop() replayItem {
	h := (*replayHeap)(&m.heap)
	last := len(m.heap) - 1
	h.Swap(0, last)
	top := m.heap[last]
	m.heap = m.heap[:last]
	heap.Fix(h, 0)
	return top
}

// replayHeap is heap.Interface over the replay items, by expiry.
type replayHeap []replayItem

func (h replayHeap) Len() int           { return len(h) }
func (h replayHeap) Less(i, j int) bool { return h[i].until < h[j].until }
func (h replayHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }

// Push and Pop complete heap.Interface; push and pop above avoid them.
func (h *replayHeap) Push(x any) { *h = append(*h, x.(replayItem)) }
func (h *replayHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
