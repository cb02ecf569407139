package session

import (
	"io"
	"time"
)

// The Manager's defaults.
const (
	// DefaultIdleTimeout is how long a session lives without being used.
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultMaxLifetime is the absolute lifetime of a session.
	DefaultMaxLifetime = 12 * time.Hour
	// DefaultMaxSessionsPerUser is vCenter's per-user session limit.
	DefaultMaxSessionsPerUser = 550
)

// Option configures a Manager (NewManager).
type Option func(*Manager)

// WithIdleTimeout sets how long a session lives without being used; every
// successful Lookup starts the period again (sliding). It must be positive.
// Default value: DefaultIdleTimeout (30 minutes).
func WithIdleTimeout(d time.Duration) Option {
	return func(m *Manager) { m.idleTimeout = d }
}

// WithMaxLifetime sets the absolute lifetime of a session, counted from its
// creation; no amount of use extends it. It must be positive. Default value:
// DefaultMaxLifetime (12 hours).
func WithMaxLifetime(d time.Duration) Option {
	return func(m *Manager) { m.maxLifetime = d }
}

// WithMaxSessionsPerUser sets how many live sessions one principal may hold
// at once; Create fails with ErrSessionLimit beyond it. 0 means no limit;
// negative values are a configuration error. Default value:
// DefaultMaxSessionsPerUser (550, as vCenter).
func WithMaxSessionsPerUser(n int) Option {
	return func(m *Manager) { m.maxPerUser = n }
}

// WithCloneTicketTTL sets how long a clone ticket (AcquireCloneTicket) may
// wait to be redeemed. It must be positive. Default value:
// DefaultCloneTicketTTL (60 seconds).
func WithCloneTicketTTL(d time.Duration) Option {
	return func(m *Manager) { m.ticketTTL = d }
}

// WithClock sets the function the Manager reads the time from. It must not
// be nil. Default value: time.Now.
func WithClock(now func() time.Time) Option {
	return func(m *Manager) { m.clock = now }
}

// WithRandom sets the source of the random session ids. It must be a
// cryptographically secure source (tests may pass a deterministic one); it
// must not be nil. Default value: crypto/rand.Reader.
func WithRandom(r io.Reader) Option {
	return func(m *Manager) { m.random = r }
}
