package session

import (
	"context"
	"time"

	"github.com/vapisec/vapisec"
)

// Identity is who a session belongs to.
//
// The Groups slice of an Identity handed out by a Manager or a Store is
// shared, read-only: it may be the very slice the store keeps, so callers
// must copy it before changing it.
type Identity struct {
	// Principal is the authenticated user. It must not be zero.
	Principal vapisec.Principal
	// Groups are the groups the principal belongs to, as far as the login
	// credential said.
	Groups []string
	// Scheme is the scheme the login was authenticated with
	// (vapisec.SchemeUserPass, vapisec.SchemeSAMLBearer, …).
	Scheme vapisec.SchemeID
}

// Kind says what a Record is. Only KindSession exists at this version; the
// zero value is KindSession so that records written now stay valid when more
// kinds arrive.
type Kind uint8

// The record kinds.
const (
	// KindSession is a session created by a login. Later versions add kinds
	// for derived sessions (whose Parent is set) and clone tickets; a store
	// that does not know a kind rejects the record with ErrInvalidRecord.
	KindSession Kind = 0
)

// Record is what a Store keeps for one session, under the session's Key. It
// never contains the session id.
//
// A session is alive at time now when
//
//	now < LastAccessed + IdleTimeout  &&  now < Expiry
//
// and dead otherwise; a dead record is never handed out again.
type Record struct {
	// Identity is who the session belongs to. Required: a zero principal is
	// an invalid record.
	Identity Identity
	// Created is when the session was created.
	Created time.Time
	// LastAccessed is when the session was last used; it is Created for a new
	// session and only ever moves forward.
	LastAccessed time.Time
	// IdleTimeout is how long the session lives without being used. Required
	// (> 0).
	IdleTimeout time.Duration
	// Expiry is the absolute end of the session's life. Required (after
	// Created).
	Expiry time.Time

	// Kind is reserved for derived sessions and tickets (DESIGN §6); it must
	// be KindSession at this version.
	Kind Kind
	// Parent is reserved for derived sessions: the key of the session this
	// one was derived from, whose end ends this one too. It must be zero at
	// this version.
	Parent Key
}

// Alive reports whether the record is alive at now (see Record).
func (r *Record) Alive(now time.Time) bool {
	return now.Before(r.Expiry) && now.Sub(r.LastAccessed) < r.IdleTimeout
}

// IdleExpiry returns when the record dies if it is not used again: the
// earlier of LastAccessed + IdleTimeout and Expiry.
func (r *Record) IdleExpiry() time.Time {
	t := r.LastAccessed.Add(r.IdleTimeout)
	if r.Expiry.Before(t) {
		return r.Expiry
	}
	return t
}

// Valid reports whether r may be stored at this version of the package: a
// non-zero principal, IdleTimeout > 0, LastAccessed not before Created,
// Expiry after Created, Kind == KindSession and a zero Parent. Store
// implementations call it in Insert and answer ErrInvalidRecord when it is
// false.
func (r *Record) Valid() bool {
	return !r.Identity.Principal.IsZero() &&
		r.IdleTimeout > 0 &&
		r.Expiry.After(r.Created) &&
		!r.LastAccessed.Before(r.Created) &&
		r.Kind == KindSession &&
		r.Parent.IsZero()
}

// Entry is a record together with its key, as Store.ListUser returns them.
type Entry struct {
	Key    Key
	Record Record
}

// Store keeps session records under their keys. The Manager is its only
// intended caller; the package provides MemoryStore, and package redisstore
// implements it on Redis.
//
// Every method is ONE atomic operation on the store: an implementation never
// needs a read-modify-write across several calls, so a network store can
// implement each as a single command or script (a Redis Lua script, GETEX,
// GETDEL, SET NX PX) with the expiry held by the store itself.
//
// Time is always passed in by the caller (the Manager's clock); a store that
// also expires records by a clock of its own (Redis TTLs) must derive the
// TTL from the record and the now it was given, so both clocks agree up to
// their skew.
//
// Errors: a method reports a missing record with ErrUnknownSession (or
// ErrExpired, which matches it, when it found and deleted a dead record), a
// failed insert with ErrExists, ErrSessionLimit or ErrInvalidRecord, and
// every other failure wrapped with ErrStoreUnavailable (the Manager wraps
// errors that match none of these sentinels with ErrStoreUnavailable, so a
// store can never fail open). The returned errors may be the sentinels
// themselves: hot-path misses should not allocate.
//
// Records handed out share their Identity.Groups slice read-only with the
// store and with each other. Implementations must be safe for concurrent
// use. The conformance suite in package session/storetest checks all of the
// above; every implementation must pass it.
type Store interface {
	// Insert stores rec under key, atomically:
	//   - if a record is stored under key already, it fails with ErrExists
	//     and leaves that record alone;
	//   - if rec is not valid (Record.Valid), it fails with ErrInvalidRecord;
	//   - if maxPerUser > 0 and the store holds maxPerUser or more records of
	//     rec.Identity.Principal that are alive at rec.LastAccessed, it fails
	//     with ErrSessionLimit (maxPerUser ≤ 0 means no limit);
	//   - otherwise rec is stored.
	// The count and the insert are one atomic step: concurrent inserts for
	// one user never exceed the limit. Insert may keep rec.Identity.Groups;
	// the caller must not change it afterwards.
	Insert(ctx context.Context, key Key, rec Record, maxPerUser int) error

	// Touch is the hot path of every request, one atomic step: if the
	// record under key is alive at now, it sets LastAccessed to now (never
	// backwards: a now earlier than LastAccessed leaves it as it is) and
	// returns the record as it is after the update. If the record is dead at
	// now, Touch deletes it and fails with ErrExpired (or ErrUnknownSession);
	// if there is none, it fails with ErrUnknownSession.
	Touch(ctx context.Context, key Key, now time.Time) (Record, error)

	// Delete removes the record under key. It fails with ErrUnknownSession
	// when there is none (a dead record may be removed silently or reported
	// as unknown).
	Delete(ctx context.Context, key Key) error

	// ListUser returns the records of user that are alive at now, in no
	// particular order; it does not touch them. An unknown user yields an
	// empty list and no error.
	ListUser(ctx context.Context, user vapisec.Principal, now time.Time) ([]Entry, error)

	// DeleteUser removes every record of user, alive or dead, and returns
	// how many of the removed records were alive at now.
	DeleteUser(ctx context.Context, user vapisec.Principal, now time.Time) (int, error)
}
