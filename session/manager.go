package session

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vapisec/vapisec"
)

// Session is the view of a live session that the Manager hands out.
type Session struct {
	// ID is the session id. Create sets it (the only time the server knows
	// it) and Lookup echoes the id it was given; it is never stored.
	ID string
	// Identity is who the session belongs to; its Groups are shared
	// read-only (see Identity).
	Identity
	// Created is when the session was created.
	Created time.Time
	// LastAccessed is when the session was last used, after this lookup's
	// touch.
	LastAccessed time.Time
	// IdleExpiry is when the session dies if it is not used again (never
	// after Expiry).
	IdleExpiry time.Time
	// Expiry is the absolute end of the session's life.
	Expiry time.Time
}

// Info describes a session for administrators (Manager.Sessions). It carries
// the session's Key, never its id.
type Info struct {
	// Key identifies the session for Manager.Terminate.
	Key Key
	// Kind is KindSession for a login session, KindChild for a clone or a
	// derived session.
	Kind Kind
	// Parent is the key of the session a child was derived from; zero for
	// a login session.
	Parent Key
	// Identity is who the session belongs to.
	Identity
	// Created, LastAccessed, IdleExpiry and Expiry are as in Session.
	Created      time.Time
	LastAccessed time.Time
	IdleExpiry   time.Time
	Expiry       time.Time
}

// Manager owns the session lifecycle: it issues ids, decides expiry and
// talks to a Store. A Manager is safe for concurrent use; its configuration
// does not change after NewManager.
type Manager struct {
	store Store
	// sharder is store when it shards by user, else nil.
	sharder Sharder
	// tagKey keys the shard tags when the store is no Sharder: random, so
	// that the tags of this Manager's ids show no user name.
	tagKey [32]byte
	managerConfig
}

// NewManager returns a Manager over store, configured by opts (defaults:
// see each ManagerOption). It fails with ErrConfig when store is nil, an
// option is nil or an option's value is out of range.
func NewManager(store Store, opts ...ManagerOption) (*Manager, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: nil store", ErrConfig)
	}
	c := defaultManagerConfig()
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	m := &Manager{store: store, managerConfig: c}
	m.sharder, _ = store.(Sharder)
	if m.sharder == nil {
		rand.Read(m.tagKey[:])
	}
	return m, nil
}

// userTag returns the shard tag of the ids of user's login sessions: the
// store's (Sharder) or, for a store that does not shard, the Manager's own.
func (m *Manager) userTag(ctx context.Context, user vapisec.Principal) (Tag, error) {
	if m.sharder == nil {
		return UserTagOf(m.tagKey[:], user), nil
	}
	t, err := m.sharder.UserTag(ctx, user)
	if err != nil {
		return Tag{}, storeError(err)
	}
	return t, nil
}

// IdleTimeout returns the idle timeout of the sessions this Manager creates.
func (m *Manager) IdleTimeout() time.Duration { return m.idleTimeout }

// MaxLifetime returns the absolute lifetime of the sessions this Manager
// creates.
func (m *Manager) MaxLifetime() time.Duration { return m.maxLifetime }

// now reads the clock as a wall-clock time in UTC (no monotonic reading), so
// that records mean the same in every store and every process.
func (m *Manager) now() time.Time { return m.clock().Round(0).UTC() }

// Create starts a session for id and returns it with its new id, which the
// caller hands to the client. The id comes from the Manager's random source;
// an id chosen by a client is never adopted. Create fails with
// ErrInvalidIdentity (zero principal), ErrSessionLimit (the user's cap is
// reached), ErrUserRecordLimit (the user holds too many records), ErrStoreUnavailable, ErrExists (the random source repeats
// itself) or ErrRandom.
//
// Create copies id.Groups; the returned Session's Groups are shared
// read-only with the store.
func (m *Manager) Create(ctx context.Context, id Identity) (*Session, error) {
	if id.Principal.IsZero() {
		return nil, fmt.Errorf("%w: no principal", ErrInvalidIdentity)
	}
	tag, err := m.userTag(ctx, id.Principal)
	if err != nil {
		return nil, err
	}
	return m.insertSession(ctx, id, KindSession, Key{}, tag)
}

// insertSession creates a session of kind (KindSession, or KindChild of
// parent) for id with a fresh id of shard tag tag and the Manager's
// timeouts.
func (m *Manager) insertSession(ctx context.Context, id Identity, kind Kind, parent Key, tag Tag) (*Session, error) {
	sid, err := newID(m.random, tag)
	if err != nil {
		return nil, err
	}
	now := m.now()
	id.Groups = slices.Clip(slices.Clone(id.Groups))
	rec := Record{
		Identity:     id,
		Created:      now,
		LastAccessed: now,
		IdleTimeout:  m.idleTimeout,
		Expiry:       now.Add(m.maxLifetime),
		Kind:         kind,
		Parent:       parent,
	}
	if err := m.store.Insert(ctx, keyOf(sid), rec, m.limits); err != nil {
		return nil, storeError(err)
	}
	s := &Session{ID: sid}
	fill(s, &rec)
	return s, nil
}

// Lookup validates sessionID, touches the session (its idle timeout starts
// again) and returns it. It fails with ErrUnknownSession (also for ids that
// are not of the Manager's format, which never reach the store: then the
// error matches ErrMalformedID too), ErrExpired (which matches
// ErrUnknownSession) or ErrStoreUnavailable.
func (m *Manager) Lookup(ctx context.Context, sessionID string) (*Session, error) {
	s := new(Session)
	if err := m.LookupInto(ctx, sessionID, s); err != nil {
		return nil, err
	}
	return s, nil
}

// LookupInto is Lookup writing into s, for callers on a hot path that keep a
// Session around: it does not allocate. On error s is left unchanged.
func (m *Manager) LookupInto(ctx context.Context, sessionID string, s *Session) error {
	if !ValidID(sessionID) {
		return ErrMalformedID
	}
	now := m.now()
	rec, err := m.store.Touch(ctx, keyOf(sessionID), now)
	if err != nil {
		return storeError(err)
	}
	// Defence in depth: never accept a record the store should not have
	// handed out.
	if !rec.Alive(now) {
		return ErrExpired
	}
	s.ID = sessionID
	fill(s, &rec)
	return nil
}

// Delete ends the session (logout), and with it every session derived from
// it, their clone tickets and channel credentials. It fails with ErrUnknownSession when the
// id names no session (an expired one may be reported so too) and with
// ErrStoreUnavailable.
func (m *Manager) Delete(ctx context.Context, sessionID string) error {
	if !ValidID(sessionID) {
		return ErrMalformedID
	}
	return storeError(m.store.Delete(ctx, keyOf(sessionID)))
}

// Sessions lists the live sessions of user (an administrator's view: keys,
// never ids), without touching them. User names match case-insensitively
// (UserKey): every spelling's sessions are listed, each with its principal
// as it was authenticated.
func (m *Manager) Sessions(ctx context.Context, user vapisec.Principal) ([]Info, error) {
	entries, err := m.store.ListUser(ctx, user, m.now())
	if err != nil {
		return nil, storeError(err)
	}
	infos := make([]Info, len(entries))
	for i := range entries {
		r := &entries[i].Record
		infos[i] = Info{
			Key:          entries[i].Key,
			Kind:         r.Kind,
			Parent:       r.Parent,
			Identity:     r.Identity,
			Created:      r.Created,
			LastAccessed: r.LastAccessed,
			IdleExpiry:   r.IdleExpiry(),
			Expiry:       r.Expiry,
		}
	}
	return infos, nil
}

// Terminate ends the session with the given key (an administrator's action;
// see Sessions), and with it every session derived from it. It fails with
// ErrUnknownSession when there is none.
func (m *Manager) Terminate(ctx context.Context, key Key) error {
	return storeError(m.store.Delete(ctx, key))
}

// TerminateUser ends every session of user, in any spelling (UserKey), and
// everything derived from them, and returns how many live sessions it
// ended.
func (m *Manager) TerminateUser(ctx context.Context, user vapisec.Principal) (int, error) {
	n, err := m.store.DeleteUser(ctx, user, m.now())
	return n, storeError(err)
}

// fill copies a record into a session view.
func fill(s *Session, r *Record) {
	s.Identity = r.Identity
	s.Created = r.Created
	s.LastAccessed = r.LastAccessed
	s.IdleExpiry = r.IdleExpiry()
	s.Expiry = r.Expiry
}

// storeError passes the package's sentinels through and wraps anything else
// a store returns with ErrStoreUnavailable, so that an unexpected store error
// can only ever fail closed.
func storeError(err error) error {
	switch {
	case err == nil,
		errors.Is(err, ErrUnknownSession),
		errors.Is(err, ErrStoreUnavailable),
		errors.Is(err, ErrSessionLimit),
		errors.Is(err, ErrQuotaExceeded),
		errors.Is(err, ErrExists),
		errors.Is(err, ErrDepthExceeded),
		errors.Is(err, ErrInvalidRecord):
		return err
	}
	return fmt.Errorf("%w: %w", ErrStoreUnavailable, err)
}

// ReasonOf maps an error of this package to the reason code the middleware
// reports (vapisec.ReasonExpired for expired sessions and tickets,
// ReasonUnknownSession for unknown sessions, tickets and channel
// credentials, ReasonMalformed for ErrDepthExceeded and ErrInvalidChannel,
// ReasonStoreUnavailable, ReasonSessionLimit, and ReasonChannelLimit,
// ReasonCloneTicketLimit, ReasonChildSessionLimit, ReasonUserRecordLimit for
// the quotas); ok is false for other errors.
func ReasonOf(err error) (reason vapisec.Reason, ok bool) {
	switch {
	case errors.Is(err, ErrExpired), errors.Is(err, ErrTicketExpired):
		return vapisec.ReasonExpired, true
	case errors.Is(err, ErrDepthExceeded), errors.Is(err, ErrInvalidChannel):
		return vapisec.ReasonMalformed, true
	case errors.Is(err, ErrUnknownSession):
		return vapisec.ReasonUnknownSession, true
	case errors.Is(err, ErrSessionLimit):
		return vapisec.ReasonSessionLimit, true
	case errors.Is(err, ErrChannelLimit):
		return vapisec.ReasonChannelLimit, true
	case errors.Is(err, ErrTicketLimit):
		return vapisec.ReasonCloneTicketLimit, true
	case errors.Is(err, ErrChildLimit):
		return vapisec.ReasonChildSessionLimit, true
	case errors.Is(err, ErrUserRecordLimit):
		return vapisec.ReasonUserRecordLimit, true
	case errors.Is(err, ErrStoreUnavailable):
		return vapisec.ReasonStoreUnavailable, true
	}
	return "", false
}
