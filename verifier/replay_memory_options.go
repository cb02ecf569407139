package verifier

import (
	"fmt"
	"time"
)

// MemoryReplayOption configures a MemoryReplayCache (NewMemoryReplayCache).
// Options are applied in order; an invalid value makes NewMemoryReplayCache
// fail with ErrInvalidOption.
type MemoryReplayOption func(*memoryReplayConfig) error

// memoryReplayConfig is what the MemoryReplayOptions set.
type memoryReplayConfig struct {
	maxEntries int
	clock      func() time.Time
}

// WithMaxReplayEntries bounds the live entries of a MemoryReplayCache; when
// it holds n, Record refuses new entries with ErrReplayCacheFull (fail
// closed) instead of evicting one that still protects a request. n must be
// positive: there is no "no limit". Default value: DefaultReplayCacheSize
// (1,048,576; about 175 bytes per live entry).
func WithMaxReplayEntries(n int) MemoryReplayOption {
	return func(c *memoryReplayConfig) error {
		if n <= 0 {
			return newError(fmt.Sprintf("max replay entries %d", n), ErrInvalidOption)
		}
		c.maxEntries = n
		return nil
	}
}

// WithReplayClock sets the clock a MemoryReplayCache measures entry
// lifetimes (ReplayEntry.TTL) against. It must not be nil. Default value:
// time.Now.
func WithReplayClock(now func() time.Time) MemoryReplayOption {
	return func(c *memoryReplayConfig) error {
		if now == nil {
			return newError("nil replay clock", ErrInvalidOption)
		}
		c.clock = now
		return nil
	}
}
