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
	// DefaultMaxChannelCredentialsPerSession bounds the live channel
	// credentials of one session.
	DefaultMaxChannelCredentialsPerSession = 16
	// DefaultMaxCloneTicketsPerSession bounds the outstanding clone tickets
	// of one session.
	DefaultMaxCloneTicketsPerSession = 16
	// DefaultMaxChildSessions bounds the live derived sessions (clones,
	// Derive) in the tree of one login session.
	DefaultMaxChildSessions = 16
	// DefaultMaxRecordsPerUser bounds every record one user holds:
	// sessions, derived sessions, clone tickets and channel credentials
	// together. With it, one account holds at most 1,000 records, so it
	// takes 1,000 accounts at their bound to fill a MemoryStore of
	// DefaultMaxEntries (1,000,000); see docs/sessions.md for Redis.
	DefaultMaxRecordsPerUser = 1000
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
// at once (derived sessions included); Create, CloneSession and Derive fail
// with ErrSessionLimit beyond it. 0 means no session cap (the records bound,
// WithMaxRecordsPerUser, still applies);
// negative values are a configuration error. Default value:
// DefaultMaxSessionsPerUser (550, as vCenter).
func WithMaxSessionsPerUser(n int) Option {
	return func(m *Manager) { m.limits.Sessions = n }
}

// WithMaxChannelCredentialsPerSession sets how many live channel
// credentials one session may hold at once; IssueChannelCredential fails
// with ErrChannelLimit beyond it (the credentials of a session end with it).
// It must be positive: there is no "no limit". Default value:
// DefaultMaxChannelCredentialsPerSession (16).
func WithMaxChannelCredentialsPerSession(n int) Option {
	return func(m *Manager) { m.limits.Channels = n }
}

// WithMaxCloneTicketsPerSession sets how many outstanding (unredeemed,
// alive) clone tickets one session may hold at once; AcquireCloneTicket
// fails with ErrTicketLimit beyond it. A ticket stops counting when it is
// redeemed or expires (WithCloneTicketTTL). It must be positive. Default
// value: DefaultMaxCloneTicketsPerSession (16).
func WithMaxCloneTicketsPerSession(n int) Option {
	return func(m *Manager) { m.limits.Tickets = n }
}

// WithMaxChildSessions sets how many live derived sessions (CloneSession,
// Derive) a login session may have below it, counting clones of clones
// against the same login session; CloneSession and Derive fail with
// ErrChildLimit beyond it. Derived sessions count toward the user's
// session cap (WithMaxSessionsPerUser) as well, so with the defaults one
// login session can take at most 16 of the user's 550 sessions. It must be
// positive. Default value: DefaultMaxChildSessions (16).
func WithMaxChildSessions(n int) Option {
	return func(m *Manager) { m.limits.Children = n }
}

// WithMaxRecordsPerUser sets how many records of all kinds (sessions,
// derived sessions, clone tickets, channel credentials) one principal may
// hold at once; any operation that would store one more fails with
// ErrUserRecordLimit. It bounds what one account can put into a shared
// store. It must be positive. Default value: DefaultMaxRecordsPerUser
// (1,000).
func WithMaxRecordsPerUser(n int) Option {
	return func(m *Manager) { m.limits.Records = n }
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
