package session

import "errors"

// The errors of the session package. Compare with errors.Is, never by
// string: the messages may change, the identities do not.
//
// Some sentinels refine another one and match it with errors.Is as well:
// ErrExpired and ErrMalformedID match ErrUnknownSession (for the client all
// three mean "this id names no live session": 401, log in again), and
// ErrStoreFull matches ErrStoreUnavailable (fail closed: 503). A caller that
// wants the precise reason tests the refined sentinel first, or uses
// ReasonOf.
var (
	// ErrUnknownSession means the session id names no live session: it was
	// never issued, was deleted, or expired. The middleware answers 401.
	ErrUnknownSession = errors.New("session: unknown session")

	// ErrExpired means the session existed but its idle timeout or its
	// absolute lifetime has passed; the store deleted it. It matches
	// ErrUnknownSession too. A store whose records vanish on expiry (Redis
	// TTLs) reports ErrUnknownSession instead; both are a 401.
	ErrExpired error = &refinedError{msg: "session: session expired", parent: ErrUnknownSession}

	// ErrMalformedID means the session id is not of the form the Manager
	// issues (43 characters of unpadded base64url). Such ids are rejected
	// before the store is asked. It matches ErrUnknownSession too.
	ErrMalformedID error = &refinedError{msg: "session: malformed session id", parent: ErrUnknownSession}

	// ErrStoreUnavailable means the store failed (a network error, a full
	// store, an unexpected reply). The request must be refused: the
	// middleware answers 503 and never lets it through. Every store error
	// that is not one of the other sentinels of this package is wrapped with
	// it by the Manager.
	ErrStoreUnavailable = errors.New("session: store unavailable")

	// ErrStoreFull means the store holds its maximum number of records and
	// none of them has expired. It matches ErrStoreUnavailable too: the store
	// fails closed instead of evicting live sessions.
	ErrStoreFull error = &refinedError{msg: "session: store full", parent: ErrStoreUnavailable}

	// ErrSessionLimit means the user already has the maximum number of live
	// sessions (WithMaxSessionsPerUser). The middleware answers 503 with a
	// clear message; the user must log out of another session first.
	ErrSessionLimit = errors.New("session: too many sessions for this user")

	// ErrQuotaExceeded means an insert would exceed one of the quotas of
	// Limits other than the session cap: a per-session cap on channel
	// credentials, clone tickets or derived sessions, or the per-user bound
	// on records. The refined sentinels below match it; the middleware
	// answers 429 UNABLE_TO_ALLOCATE_RESOURCE with the refined reason. The
	// caller's existing sessions are unaffected, and other users are not
	// limited by it at all.
	ErrQuotaExceeded = errors.New("session: quota exceeded")

	// ErrChannelLimit means the session holds the maximum number of live
	// channel credentials already (WithMaxChannelCredentialsPerSession). It
	// matches ErrQuotaExceeded.
	ErrChannelLimit error = &refinedError{msg: "session: too many channel credentials for this session", parent: ErrQuotaExceeded}

	// ErrTicketLimit means the session holds the maximum number of
	// outstanding (unredeemed, alive) clone tickets already
	// (WithMaxCloneTicketsPerSession). It matches ErrQuotaExceeded.
	ErrTicketLimit error = &refinedError{msg: "session: too many outstanding clone tickets for this session", parent: ErrQuotaExceeded}

	// ErrChildLimit means the login session at the root of the chain holds
	// the maximum number of live derived sessions already, counting clones
	// of clones (WithMaxChildSessions). It matches ErrQuotaExceeded.
	ErrChildLimit error = &refinedError{msg: "session: too many derived sessions for this session", parent: ErrQuotaExceeded}

	// ErrUserRecordLimit means the user holds the maximum number of records
	// of all kinds (sessions, derived sessions, clone tickets, channel
	// credentials) already (WithMaxRecordsPerUser). It matches
	// ErrQuotaExceeded.
	ErrUserRecordLimit error = &refinedError{msg: "session: too many records for this user", parent: ErrQuotaExceeded}

	// ErrExists means Store.Insert found a record under the key already. With
	// 256-bit random ids this only happens when the random source is broken,
	// so the Manager reports it instead of retrying.
	ErrExists = errors.New("session: key exists")

	// ErrInvalidIdentity means Manager.Create was given an identity without a
	// principal.
	ErrInvalidIdentity = errors.New("session: invalid identity")

	// ErrInvalidRecord means Store.Insert was given a record it must not
	// store: no principal, a non-positive idle timeout, an absolute expiry not
	// after its creation, or reserved fields (Kind, Parent) the store does
	// not support yet.
	ErrInvalidRecord = errors.New("session: invalid record")

	// ErrRandom means the random source failed while generating a session id.
	ErrRandom = errors.New("session: random source failed")

	// ErrConfig means NewManager or NewMemoryStore was given an invalid
	// configuration (a nil store or option, a non-positive timeout, a nil
	// clock or random source, a negative or zero quota, a non-positive
	// store bound).
	ErrConfig = errors.New("session: invalid configuration")

	// ErrUnknownTicket means a clone ticket names no live ticket: it was
	// never issued, was redeemed already, is malformed, or its parent session
	// ended. It matches ErrUnknownSession too (the middleware answers 401).
	ErrUnknownTicket error = &refinedError{msg: "session: unknown clone ticket", parent: ErrUnknownSession}

	// ErrTicketExpired means a clone ticket outlived its TTL; it is gone. It
	// matches ErrUnknownTicket and ErrUnknownSession too.
	ErrTicketExpired error = &refinedError{msg: "session: clone ticket expired", parent: ErrUnknownTicket}

	// ErrDepthExceeded means a session may not be derived from: its chain is
	// MaxDepth links long already.
	ErrDepthExceeded = errors.New("session: session derivation too deep")

	// ErrUnknownChannelCredential means a channel credential does not match:
	// wrong user name, wrong channel, wrong secret, or its session ended. It
	// matches ErrUnknownSession too (401).
	ErrUnknownChannelCredential error = &refinedError{msg: "session: unknown channel credential", parent: ErrUnknownSession}

	// ErrInvalidChannel means a channel name is empty, longer than
	// MaxChannelLength or contains other than printable ASCII.
	ErrInvalidChannel = errors.New("session: invalid channel name")

	// ErrMalformedKey means ParseKey was given something other than 64
	// lower- or upper-case hex digits.
	ErrMalformedKey = errors.New("session: malformed session key")
)

// refinedError is a sentinel that also matches a broader sentinel.
type refinedError struct {
	msg    string
	parent error
}

func (e *refinedError) Error() string { return e.msg }
func (e *refinedError) Unwrap() error { return e.parent }
