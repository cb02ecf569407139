package verifier

import (
	"sync"
	"time"
)

// tokenCache is a bounded map of verified tokens keyed by the SHA-256 of the
// token bytes (DESIGN §7 rule 8). A hit takes a read lock only. When the
// cache is full, an insert first drops expired entries it comes across and
// otherwise evicts an arbitrary entry (Go's randomised map order): a random
// replacement policy, which bounds memory and needs no write on hits.
//
// A nil *tokenCache is a disabled cache.
type tokenCache struct {
	mu      sync.RWMutex
	max     int
	entries map[[32]byte]cacheEntry
}

type cacheEntry struct {
	token *Token
	// from and until bound the instants at which the token is valid
	// (NotBefore − skew and NotOnOrAfter + skew, narrowed by a bearer
	// SubjectConfirmationData); until is also the entry's expiry.
	from, until time.Time
}

func newTokenCache(size int) *tokenCache {
	if size <= 0 {
		return nil
	}
	return &tokenCache{max: size, entries: make(map[[32]byte]cacheEntry, min(size, 1024))}
}

// get returns the entry for key. ok is false on a miss.
func (c *tokenCache) get(key *[32]byte) (e cacheEntry, ok bool) {
	if c == nil {
		return e, false
	}
	c.mu.RLock()
	e, ok = c.entries[*key]
	c.mu.RUnlock()
	return e, ok
}

// remove drops key.
func (c *tokenCache) remove(key *[32]byte) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.entries, *key)
	c.mu.Unlock()
}

// put stores a verified token; now is used to drop expired entries.
func (c *tokenCache) put(key *[32]byte, e cacheEntry, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[*key]; !ok && len(c.entries) >= c.max {
		makeRoom(c.entries, now, func(e cacheEntry) time.Time { return e.until })
	}
	c.entries[*key] = e
}

// makeRoom frees at least one slot of a full cache's entries before a new
// key is stored: it drops the entries that have expired at now (until
// gives an entry's expiry) among the first 32 the map's order visits, or,
// when none of them has, one arbitrary entry. The caller holds the lock.
func makeRoom[K comparable, V any](entries map[K]V, now time.Time, until func(V) time.Time) {
	scanned, evicted := 0, false
	for k, old := range entries {
		if !now.Before(until(old)) {
			delete(entries, k)
			evicted = true
		}
		if scanned++; scanned >= 32 {
			break
		}
	}
	if !evicted {
		for k := range entries {
			delete(entries, k)
			break
		}
	}
}

// len returns the number of entries.
func (c *tokenCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}
