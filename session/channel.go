package session

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
)

// ChannelCredentialPrefix starts every channel credential secret, so that
// one is never of the session id form.
const ChannelCredentialPrefix = "chc-"

// ChannelUserPrefix starts every channel credential user name, so that one
// is never of the session id form: a session id sent as a channel user name
// is refused before any store is asked.
const ChannelUserPrefix = "chu-"

// MaxChannelLength bounds channel names.
const MaxChannelLength = 64

// ChannelCredential is what IssueChannelCredential hands out: the user name
// and the password the secondary channel logs in with (HTTP Basic,
// middleware.ChannelBasic). Neither is, contains or reveals the session id.
type ChannelCredential struct {
	// User is ChannelUserPrefix followed by 43 characters of the session
	// id form (the session's shard tag and random bytes).
	User string `json:"user"`
	// Password is ChannelCredentialPrefix followed by 43 characters of the
	// session id form (the session's shard tag and random bytes).
	Password string `json:"password"`
}

// validChannel reports whether name is 1 to MaxChannelLength printable
// ASCII characters without spaces.
func validChannel(name string) bool {
	if name == "" || len(name) > MaxChannelLength {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] <= ' ' || name[i] > '~' {
			return false
		}
	}
	return true
}

// validPrefixed reports whether s is prefix followed by 43 characters of the
// session id form.
func validPrefixed(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	return ok && ValidID(rest)
}

// ChannelKey returns the store key of the channel credential with user name
// user for channel: a credential is found by its own user name and works
// for its channel only. A store dump shows neither the user name, nor the
// secret, nor the session id. The key starts with the shard tag the user
// name carries (that of its session; the zero tag for a user name not of
// the form IssueChannelCredential issues).
func ChannelKey(user, channel string) Key {
	var tag Tag
	if validPrefixed(user, ChannelUserPrefix) {
		tag = tagOf(user[len(ChannelUserPrefix):])
	}
	h := sha256.New()
	h.Write([]byte("vapisec channel credential\x00"))
	h.Write([]byte(channel))
	h.Write([]byte{0})
	h.Write([]byte(user))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return taggedKey(tag, sum)
}

// IssueChannelCredential mints a credential for the secondary channel named
// channel (a message broker, a metrics endpoint…) of the live session
// sessionID (zhmcclient's session-credential): the channel authenticates
// with the credential's own random user name and password
// (VerifyChannelCredential), never with the session id, so whoever runs the
// channel learns nothing that works as a session. Only hashes are stored:
// the record's key is ChannelKey(user, channel) and it keeps the SHA-256 of
// the password, bound to the session; it is revoked with the session
// (logout, expiry, termination, the end of a parent). Every call mints a
// further credential; a session holds at most
// WithMaxChannelCredentialsPerSession of them (16 by default) and they all
// end with it. The session is touched.
//
// It fails with ErrInvalidChannel, ErrUnknownSession (or ErrExpired),
// ErrChannelLimit, ErrUserRecordLimit, ErrStoreUnavailable or ErrRandom.
func (m *Manager) IssueChannelCredential(ctx context.Context, sessionID, channel string) (ChannelCredential, error) {
	if !validChannel(channel) {
		return ChannelCredential{}, fmt.Errorf("%w: %.40q", ErrInvalidChannel, channel)
	}
	var s Session
	if err := m.LookupInto(ctx, sessionID, &s); err != nil {
		return ChannelCredential{}, err
	}
	tag := tagOf(sessionID)
	user, err := newID(m.random, tag)
	if err != nil {
		return ChannelCredential{}, err
	}
	secret, err := newID(m.random, tag)
	if err != nil {
		return ChannelCredential{}, err
	}
	cred := ChannelCredential{User: ChannelUserPrefix + user, Password: ChannelCredentialPrefix + secret}
	now := m.now()
	rec := Record{
		Identity:     s.Identity,
		Created:      now,
		LastAccessed: now,
		IdleTimeout:  m.maxLifetime,
		Expiry:       s.Expiry,
		Kind:         KindChannel,
		Parent:       keyOf(sessionID),
		Secret:       sha256.Sum256([]byte(cred.Password)),
	}
	if err := m.store.Insert(ctx, ChannelKey(cred.User, channel), rec, m.limits); err != nil {
		return ChannelCredential{}, storeError(err)
	}
	return cred, nil
}

// VerifyChannelCredential checks a channel's login: user and password as
// issued by IssueChannelCredential for channel. It returns the session's
// identity; the session is not touched (channel traffic does not keep the
// session alive). The password is compared in constant time (crypto/subtle)
// against the stored hash; the record is found by user name and channel,
// so a credential of another channel never matches, a session id given as
// the user name is refused without asking the store, and a credential whose
// session chain ended fails even if its record was not deleted yet.
//
// It fails with ErrUnknownChannelCredential (which matches
// ErrUnknownSession) or ErrStoreUnavailable.
func (m *Manager) VerifyChannelCredential(ctx context.Context, user, password, channel string) (Identity, error) {
	if !validPrefixed(user, ChannelUserPrefix) || !validPrefixed(password, ChannelCredentialPrefix) || !validChannel(channel) {
		return Identity{}, ErrUnknownChannelCredential
	}
	rec, err := m.store.Get(ctx, ChannelKey(user, channel), KindChannel, m.now())
	if err != nil {
		err = storeError(err)
		if errors.Is(err, ErrUnknownSession) {
			return Identity{}, ErrUnknownChannelCredential
		}
		return Identity{}, err
	}
	sum := sha256.Sum256([]byte(password))
	if subtle.ConstantTimeCompare(sum[:], rec.Secret[:]) != 1 {
		return Identity{}, ErrUnknownChannelCredential
	}
	return rec.Identity, nil
}
