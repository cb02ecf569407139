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
	// Principal is the authenticated user. It must not be zero. Quotas and
	// the per-user operations compare it case-insensitively (see UserKey);
	// it is kept and shown as given.
	Principal vapisec.Principal
	// Groups are the groups the principal belongs to, as far as the login
	// credential said.
	Groups []string
	// Scheme is the scheme the login was authenticated with
	// (vapisec.SchemeUserPass, vapisec.SchemeSAMLBearer, …).
	Scheme vapisec.SchemeID
}

// UserKey returns the form of user that quotas and the administrator's
// per-user operations (Store.ListUser, Store.DeleteUser) go by: the name
// and the domain case-folded (lower case). User names are compared
// case-insensitively, as vCenter SSO, Active Directory and most LDAP
// directories do, so that "administrator", "Administrator" and
// "ADMINISTRATOR", or "alice@corp" and "CORP\alice", are one user with one
// quota, not one quota per spelling. Each letter is mapped to the lower
// case of its upper case, so Unicode variants that strings.EqualFold
// equates fold too (the Kelvin sign and "k", "ſ" and "s"; vapisec.FoldCase). Records keep the
// principal as it was authenticated (the display form); only the index
// goes by UserKey. Every Store must index and look users up by it. A name
// that is folded already is returned as it is, without allocating.
func UserKey(user vapisec.Principal) vapisec.Principal {
	return vapisec.Principal{Name: vapisec.FoldCase(user.Name), Domain: vapisec.FoldCase(user.Domain)}
}

// Kind says what a Record is. The zero value is KindSession, so that records
// written before the other kinds existed stay valid.
type Kind uint8

// The record kinds.
const (
	// KindSession is a session created by a login. Its Parent is zero.
	KindSession Kind = 0
	// KindChild is a session derived from another one (a clone or a derived
	// session): Parent is the key of the session it was derived from, and it
	// is alive only while every session up its parent chain is alive.
	KindChild Kind = 1
	// KindTicket is a clone ticket: a single-use, short-lived record under
	// the SHA-256 of the ticket, with the parent session's identity and key.
	// It is never a session: Touch treats it as unknown.
	KindTicket Kind = 2
	// KindChannel is a channel credential: the SHA-256 of its secret in
	// Secret, stored under ChannelKey of its user name and channel, with the
	// session as Parent. It is never a session: Touch treats it as unknown.
	KindChannel Kind = 3
)

// MaxDepth bounds derivation: a child session is at most MaxDepth links
// away from the login session at the root of its chain (a clone of a clone
// is depth 2). Insert fails with ErrDepthExceeded beyond it, for a child
// and for a ticket whose child would be too deep.
const MaxDepth = 4

// isSession reports whether k is a kind that authenticates requests.
func (k Kind) isSession() bool { return k == KindSession || k == KindChild }

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

	// Kind says what the record is. Default KindSession.
	Kind Kind
	// Parent is the key of the session this record depends on: zero for
	// KindSession, required for every other kind. The record is alive only
	// while its whole parent chain is alive (see Store.Touch).
	Parent Key
	// Secret is the SHA-256 of a channel credential's secret: required for
	// KindChannel, zero for every other kind.
	Secret Key
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

// Valid reports whether r may be stored: a non-zero principal, IdleTimeout >
// 0, LastAccessed not before Created, Expiry after Created, a known Kind, a
// zero Parent exactly for KindSession, and a non-zero Secret exactly for
// KindChannel. Store implementations call it in Insert and answer
// ErrInvalidRecord when it is false.
func (r *Record) Valid() bool {
	return !r.Identity.Principal.IsZero() &&
		r.IdleTimeout > 0 &&
		r.Expiry.After(r.Created) &&
		!r.LastAccessed.Before(r.Created) &&
		r.Kind <= KindChannel &&
		r.Parent.IsZero() == (r.Kind == KindSession) &&
		r.Secret.IsZero() == (r.Kind != KindChannel)
}

// Limits are the quotas Store.Insert enforces in the same atomic step as
// the insert (DESIGN Q22: one user, or one session, must not be able to
// fill the store for everyone). Only records alive at the new record's
// LastAccessed count, by their own times and their whole parent chain's: a
// record whose parent ended (an orphan not yet removed by a cascade)
// counts for nothing. A user is its UserKey: every spelling of a name
// shares one quota. A field ≤ 0 means no limit for that quota; the
// Manager always sets Records, Children, Tickets and Channels (see its
// options), and Sessions unless WithMaxSessionsPerUser(0) was given.
type Limits struct {
	// Sessions bounds the sessions (KindSession and KindChild) of the
	// record's principal; a session insert beyond it fails with
	// ErrSessionLimit. Tickets and channel credentials do not count.
	Sessions int
	// Records bounds the records of every kind (sessions, children, clone
	// tickets, channel credentials) of the record's principal; any insert
	// beyond it fails with ErrUserRecordLimit.
	Records int
	// Children bounds the derived sessions (KindChild) in the tree below
	// the login session at the root of a new child's parent chain: clones
	// of clones count against the same root, so one session cannot spawn
	// more than Children sessions however it nests them. A KindChild
	// insert beyond it fails with ErrChildLimit.
	Children int
	// Tickets bounds the clone tickets (KindTicket) of one parent session;
	// beyond it ErrTicketLimit.
	Tickets int
	// Channels bounds the channel credentials (KindChannel) of one parent
	// session; beyond it ErrChannelLimit.
	Channels int
}

// Sharder is implemented by a Store that keeps each user's records
// together and spreads users over its parts (redisstore: one Redis Cluster
// slot per user). The Manager asks it for the tag of a user's login
// sessions (Create); derived sessions, clone tickets and channel
// credentials take the tag of their parent. A Store that is no Sharder gets
// tags keyed by a random key of each Manager (they mean nothing to it). A
// Store that wraps a Sharder (metrics, logging) must forward UserTag, or
// its logins get the Manager's tags and the sharding store's per-user
// operations (ListUser, DeleteUser) no longer find them.
type Sharder interface {
	// UserTag returns the shard tag of user, the same for every principal
	// with the same UserKey and for every caller of the store (every
	// instance of a deployment): UserTagOf under a key of the store. An
	// error is a store failure (ErrStoreUnavailable).
	UserTag(ctx context.Context, user vapisec.Principal) (Tag, error)
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
// failed insert with ErrExists, ErrInvalidRecord or one of the limit errors
// (ErrSessionLimit, and the ErrQuotaExceeded family), and
// every other failure wrapped with ErrStoreUnavailable (the Manager wraps
// errors that match none of these sentinels with ErrStoreUnavailable, so a
// store can never fail open). The returned errors may be the sentinels
// themselves: hot-path misses should not allocate.
//
// Keys start with the shard tag of their user (Key.Tag): the Manager gives
// every record of one user (its sessions, and what is derived from them)
// keys with the same tag, so a store may keep a user's records together by
// it (a Store that is a Sharder says which tag a user's logins get).
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
	//   - if rec has a Parent and the parent chain is not alive at
	//     rec.LastAccessed (see Touch), it fails with ErrUnknownSession; if
	//     the chain is longer than MaxDepth allows (a KindChild or KindTicket
	//     whose child would be more than MaxDepth links from the root), with
	//     ErrDepthExceeded;
	//   - if inserting rec would exceed one of limits (see Limits: records
	//     alive at rec.LastAccessed are counted, rec not yet), it fails with
	//     the limit's error: ErrChildLimit, ErrTicketLimit, ErrChannelLimit,
	//     ErrSessionLimit or ErrUserRecordLimit, checked in this order;
	//   - otherwise rec is stored, and will be deleted with its parent.
	// The counts and the insert are one atomic step: concurrent inserts
	// never exceed a limit. Insert may keep rec.Identity.Groups; the caller
	// must not change it afterwards.
	Insert(ctx context.Context, key Key, rec Record, limits Limits) error

	// Touch is the hot path of every request, one atomic step: if the
	// record under key is a session (KindSession or KindChild) alive at now
	// whose whole parent chain is alive at now (each parent a session,
	// itself alive by its own times, not touched), it sets LastAccessed to now (never
	// backwards: a now earlier than LastAccessed leaves it as it is) and
	// returns the record as it is after the update. If the record is dead at
	// now, Touch deletes it and fails with ErrExpired (or ErrUnknownSession);
	// if there is none, or it is a ticket or a channel credential, or its
	// parent chain is not alive, it fails with ErrUnknownSession. The chain
	// is checked in the same atomic step, so a child is dead the instant a
	// parent is, before and independently of the cascade delete.
	Touch(ctx context.Context, key Key, now time.Time) (Record, error)

	// Delete removes the record under key and, as a clean-up, every record
	// whose parent chain leads to it (children, their tickets and channel
	// credentials, recursively). It fails with ErrUnknownSession when there
	// is none (a dead record may be removed silently or reported as
	// unknown).
	Delete(ctx context.Context, key Key) error

	// Redeem is the atomic get-and-delete of a clone ticket: it removes the
	// KindTicket record under key and returns it. It fails with
	// ErrUnknownTicket when there is no ticket under key (a record of
	// another kind is left alone), with ErrTicketExpired when the ticket is
	// dead at now, and with ErrUnknownTicket when its parent chain is not
	// alive at now; in both latter cases the ticket is gone too. Of
	// concurrent Redeems of one ticket exactly one succeeds.
	Redeem(ctx context.Context, key Key, now time.Time) (Record, error)

	// Get returns the record under key if it is of kind and it and its whole
	// parent chain are alive at now, in one atomic step; it touches nothing.
	// Otherwise it fails with ErrUnknownSession. It is how channel
	// credentials are checked.
	Get(ctx context.Context, key Key, kind Kind, now time.Time) (Record, error)

	// ListUser returns the sessions (KindSession, KindChild) of user (of
	// every principal with the same UserKey: the match ignores case) that
	// are alive at now (a child whose parent ended may still be listed until
	// the cascade ran), in no
	// particular order; it does not touch them. An unknown user yields an
	// empty list and no error.
	ListUser(ctx context.Context, user vapisec.Principal, now time.Time) ([]Entry, error)

	// DeleteUser removes every session of user (of every principal with
	// the same UserKey), alive or dead, with
	// everything derived from them (as Delete), and returns how many of the
	// removed sessions were alive at now.
	DeleteUser(ctx context.Context, user vapisec.Principal, now time.Time) (int, error)
}
