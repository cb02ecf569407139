package verifier

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultReplayCacheSize is the number of live entries a memory replay
// cache built by NewRequestVerifier holds.
const DefaultReplayCacheSize = 1 << 20

// MemoryReplayCache is a bounded in-process ReplayCache. Entries live until
// their TTL has passed; when the cache holds max live entries it refuses
// new ones with ErrReplayCacheFull (fail closed) instead of evicting an
// entry that still protects a request. Expired entries are dropped, oldest
// expiry first, as new ones come in.
//
// It is correct for one process only: several instances behind a load
// balancer need a shared store (redisstore).
//
// A MemoryReplayCache is safe for concurrent use.
type MemoryReplayCache struct {
	clock func() time.Time
	max   int

	mu      sync.Mutex
	entries map[ReplayKey]time.Time
	heap    []replayItem // min-heap by expiry
}

type replayItem struct {
	until time.Time
	key   ReplayKey
}

// NewMemoryReplayCache returns a cache of at most max live entries (zero or
// less: DefaultReplayCacheSize) using clock for expiry (nil: time.Now).
func NewMemoryReplayCache(max int, clock func() time.Time) *MemoryReplayCache {
	if max <= 0 {
		max = DefaultReplayCacheSize
	}
	if clock == nil {
		clock = time.Now
	}
	return &MemoryReplayCache{clock: clock, max: max, entries: make(map[ReplayKey]time.Time, min(max, 4096))}
}

// Record implements ReplayCache.
func (m *MemoryReplayCache) Record(ctx context.Context, key ReplayKey, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return newError(err.Error(), ErrStoreUnavailable)
	}
	now := m.clock()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	if until, ok := m.entries[key]; ok && now.Before(until) {
		return ErrReplayed
	}
	if len(m.entries) >= m.max {
		return newError(fmt.Sprintf("%d live entries", len(m.entries)), ErrReplayCacheFull, ErrStoreUnavailable)
	}
	until := now.Add(ttl)
	m.entries[key] = until
	m.push(replayItem{until: until, key: key})
	return nil
}

// Len returns the number of entries, expired ones not yet dropped included.
func (m *MemoryReplayCache) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// expire drops the entries whose expiry has passed.
func (m *MemoryReplayCache) expire(now time.Time) {
	for len(m.heap) > 0 && !now.Before(m.heap[0].until) {
		it := m.pop()
		if until, ok := m.entries[it.key]; ok && until.Equal(it.until) {
			delete(m.entries, it.key)
		}
	}
}

func (m *MemoryReplayCache) push(it replayItem) {
	m.heap = append(m.heap, it)
	i := len(m.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !m.heap[i].until.Before(m.heap[p].until) {
			break
		}
		m.heap[i], m.heap[p] = m.heap[p], m.heap[i]
		i = p
	}
}

func (m *MemoryReplayCache) pop() replayItem {
	h := m.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l, r, s := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].until.Before(h[s].until) {
			s = l
		}
		if r < len(h) && h[r].until.Before(h[s].until) {
			s = r
		}
		if s == i {
			break
		}
		h[i], h[s] = h[s], h[i]
		i = s
	}
	m.heap = h
	return top
}
