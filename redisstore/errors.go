package redisstore

import (
	"errors"
	"fmt"

	"github.com/vapisec/vapisec/session"
)

// The errors of the redisstore package. Compare with errors.Is, never by
// string. Besides these, the Store returns the sentinels of package session
// (ErrUnknownSession, ErrExpired, ErrExists, ErrSessionLimit, …), and every
// failure to reach Redis — a refused connection, a timeout, a cancelled
// context, a script error — wrapped with session.ErrStoreUnavailable, so
// that the middleware answers 503 and nothing unchecked gets through.
var (
	// ErrConfig means New was given an unusable configuration (a nil client,
	// a prefix with a brace, a negative timeout) or ParseURL an unusable URL.
	ErrConfig = errors.New("redisstore: invalid configuration")

	// ErrUnexpectedReply means Redis answered something the store did not
	// expect (a record with a missing or malformed field). It matches
	// session.ErrStoreUnavailable too: the store fails closed.
	ErrUnexpectedReply = fmt.Errorf("redisstore: unexpected reply: %w", session.ErrStoreUnavailable)

	// ErrNotReplicated means a write was made on the Redis master but fewer
	// replicas than WithWaitReplicas asks for acknowledged it in time. It
	// matches session.ErrStoreUnavailable: the request fails closed (503).
	ErrNotReplicated = fmt.Errorf("redisstore: write not acknowledged by the replicas: %w", session.ErrStoreUnavailable)
)

// unavailable wraps an error of the Redis client with
// session.ErrStoreUnavailable.
func unavailable(err error) error {
	return fmt.Errorf("%w: redisstore: %w", session.ErrStoreUnavailable, err)
}
