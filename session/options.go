package session

import (
	"crypto/rand"
	"fmt"
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

// ManagerOption configures a Manager (NewManager). Options are applied in
// order; an out-of-range value makes NewManager fail with ErrConfig.
type ManagerOption func(*managerConfig) error

// managerConfig is what the ManagerOptions set.
type managerConfig struct {
	idleTimeout time.Duration
	maxLifetime time.Duration
	limits      Limits
	ticketTTL   time.Duration
	clock       func() time.Time
	random      io.Reader
}

// defaultManagerConfig returns the configuration of a Manager built without
// options.
func defaultManagerConfig() managerConfig {
	return managerConfig{
		idleTimeout: DefaultIdleTimeout,
		maxLifetime: DefaultMaxLifetime,
		limits: Limits{
			Sessions: DefaultMaxSessionsPerUser,
			Records:  DefaultMaxRecordsPerUser,
			Children: DefaultMaxChildSessions,
			Tickets:  DefaultMaxCloneTicketsPerSession,
			Channels: DefaultMaxChannelCredentialsPerSession,
		},
		ticketTTL: DefaultCloneTicketTTL,
		clock:     time.Now,
		random:    rand.Reader,
	}
}

// WithIdleTimeout sets how long a session lives without being used; every
// successful Lookup starts the period again (sliding). It must be positive.
// Default value: DefaultIdleTimeout (30 minutes).
func WithIdleTimeout(d time.Duration) ManagerOption {
	return func(c *managerConfig) error {
		if d <= 0 {
			return fmt.Errorf("%w: idle timeout %v is not positive", ErrConfig, d)
		}
		c.idleTimeout = d
		return nil
	}
}

// WithMaxLifetime sets the absolute lifetime of a session, counted from its
// creation; no amount of use extends it. It must be positive. Default value:
// DefaultMaxLifetime (12 hours).
func WithMaxLifetime(d time.Duration) ManagerOption {
	return func(c *managerConfig) error {
		if d <= 0 {
			return fmt.Errorf("%w: max lifetime %v is not positive", ErrConfig, d)
		}
		c.maxLifetime = d
		return nil
	}
}

// WithMaxSessionsPerUser sets how many live sessions one principal may hold
// at once (derived sessions included); Create, CloneSession and Derive fail
// with ErrSessionLimit beyond it. 0 means no session cap (the records bound,
// WithMaxRecordsPerUser, still applies);
// negative values are a configuration error. Default value:
// DefaultMaxSessionsPerUser (550, as vCenter).
func WithMaxSessionsPerUser(n int) ManagerOption {
	return func(c *managerConfig) error {
		if n < 0 {
			return fmt.Errorf("%w: max sessions per user %d is negative", ErrConfig, n)
		}
		c.limits.Sessions = n
		return nil
	}
}

// WithMaxChannelCredentialsPerSession sets how many live channel
// credentials one session may hold at once; IssueChannelCredential fails
// with ErrChannelLimit beyond it (the credentials of a session end with it).
// It must be positive: there is no "no limit". Default value:
// DefaultMaxChannelCredentialsPerSession (16).
func WithMaxChannelCredentialsPerSession(n int) ManagerOption {
	return func(c *managerConfig) error {
		if n <= 0 {
			return fmt.Errorf("%w: max channel credentials per session %d is not positive", ErrConfig, n)
		}
		c.limits.Channels = n
		return nil
	}
}

// WithMaxCloneTicketsPerSession sets how many outstanding (unredeemed,
// alive) clone tickets one session may hold at once; AcquireCloneTicket
// fails with ErrTicketLimit beyond it. A ticket stops counting when it is
// redeemed or expires (WithCloneTicketTTL). It must be positive. Default
// value: DefaultMaxCloneTicketsPerSession (16).
func WithMaxCloneTicketsPerSession(n int) ManagerOption {
	return func(c *managerConfig) error {
		if n <= 0 {
			return fmt.Errorf("%w: max clone tickets per session %d is not positive", ErrConfig, n)
		}
		c.limits.Tickets = n
		return nil
	}
}

// WithMaxChildSessions sets how many live derived sessions (CloneSession,
// Derive) a login session may have below it, counting clones of clones
// against the same login session; CloneSession and Derive fail with
// ErrChildLimit beyond it. Derived sessions count toward the user's
// session cap (WithMaxSessionsPerUser) as well, so with the defaults one
// login session can take at most 16 of the user's 550 sessions. It must be
// positive. Default value: DefaultMaxChildSessions (16).
func WithMaxChildSessions(n int) ManagerOption {
	return func(c *managerConfig) error {
		if n <= 0 {
			return fmt.Errorf("%w: max child sessions %d is not positive", ErrConfig, n)
		}
		c.limits.Children = n
		return nil
	}
}

// WithMaxRecordsPerUser sets how many records of all kinds (sessions,
// derived sessions, clone tickets, channel credentials) one principal may
// hold at once; any operation that would store one more fails with
// ErrUserRecordLimit. It bounds what one account can put into a shared
// store. It must be positive. Default value: DefaultMaxRecordsPerUser
// (1,000).
func WithMaxRecordsPerUser(n int) ManagerOption {
	return func(c *managerConfig) error {
		if n <= 0 {
			return fmt.Errorf("%w: max records per user %d is not positive", ErrConfig, n)
		}
		c.limits.Records = n
		return nil
	}
}

// WithCloneTicketTTL sets how long a clone ticket (AcquireCloneTicket) may
// wait to be redeemed. It must be positive. Default value:
// DefaultCloneTicketTTL (60 seconds).
func WithCloneTicketTTL(d time.Duration) ManagerOption {
	return func(c *managerConfig) error {
		if d <= 0 {
			return fmt.Errorf("%w: clone ticket TTL %v is not positive", ErrConfig, d)
		}
		c.ticketTTL = d
		return nil
	}
}

// WithClock sets the function the Manager reads the time from. It must not
// be nil. Default value: time.Now.
func WithClock(now func() time.Time) ManagerOption {
	return func(c *managerConfig) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrConfig)
		}
		c.clock = now
		return nil
	}
}

// WithRandom sets the source of the random session ids. It must be a
// cryptographically secure source (tests may pass a deterministic one); it
// must not be nil. Default value: crypto/rand.Reader.
func WithRandom(r io.Reader) ManagerOption {
	return func(c *managerConfig) error {
		if r == nil {
			return fmt.Errorf("%w: nil random source", ErrConfig)
		}
		c.random = r
		return nil
	}
}
