package session

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
)

// ChannelCredentialPrefix starts every channel credential, so that one is
// never of the session id form.
const ChannelCredentialPrefix = "chc-"

// MaxChannelLength bounds channel names.
const MaxChannelLength = 64

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

// ChannelKey returns the store key of the channel credential of the session
// with key session for channel. One session has at most one credential per
// channel; a store dump shows neither the credential nor the session id.
func ChannelKey(session Key, channel string) Key {
	h := sha256.New()
	h.Write([]byte("vapisec channel credential\x00"))
	h.Write(session[:])
	h.Write([]byte(channel))
	var k Key
	h.Sum(k[:0])
	return k
}

// IssueChannelCredential mints a secret for the secondary channel named
// channel (a message broker, a metrics endpoint…) of the live session
// sessionID (zhmcclient's session-credential): the channel authenticates
// with user name = session id and password = credential
// (VerifyChannelCredential). Only the SHA-256 of the credential is stored,
// bound to the session and the channel; it is revoked with the session
// (logout, expiry, termination, the end of a parent). Issuing again for the
// same session and channel replaces the earlier credential. The session is
// touched.
//
// It fails with ErrInvalidChannel, ErrUnknownSession (or ErrExpired),
// ErrStoreUnavailable or ErrRandom.
func (m *Manager) IssueChannelCredential(ctx context.Context, sessionID, channel string) (string, error) {
	if !validChannel(channel) {
		return "", fmt.Errorf("%w: %.40q", ErrInvalidChannel, channel)
	}
	var s Session
	if err := m.LookupInto(ctx, sessionID, &s); err != nil {
		return "", err
	}
	raw, err := newID(m.random)
	if err != nil {
		return "", err
	}
	cred := ChannelCredentialPrefix + raw
	now := m.now()
	sk := keyOf(sessionID)
	rec := Record{
		Identity:     s.Identity,
		Created:      now,
		LastAccessed: now,
		IdleTimeout:  m.maxLifetime,
		Expiry:       s.Expiry,
		Kind:         KindChannel,
		Parent:       sk,
		Secret:       sha256.Sum256([]byte(cred)),
	}
	key := ChannelKey(sk, channel)
	for range 2 {
		// Replace: delete the earlier credential, then insert. Of two
		// concurrent issuers one may find the other's record (ErrExists)
		// and tries once more.
		if err := m.store.Delete(ctx, key); err != nil && !errors.Is(err, ErrUnknownSession) {
			return "", storeError(err)
		}
		err = m.store.Insert(ctx, key, rec, 0)
		if !errors.Is(err, ErrExists) {
			break
		}
	}
	if err != nil {
		return "", storeError(err)
	}
	return cred, nil
}

// VerifyChannelCredential checks a channel's login: sessionID and
// credential as issued by IssueChannelCredential for channel. It returns
// the session's identity; the session is not touched (channel traffic does
// not keep the session alive). The secret is compared in constant time
// (crypto/subtle) against the stored hash; the record is found by session
// and channel, so a credential of another session or channel never
// matches, and one whose session chain ended fails even if its record was
// not deleted yet.
//
// It fails with ErrUnknownChannelCredential (which matches
// ErrUnknownSession) or ErrStoreUnavailable.
func (m *Manager) VerifyChannelCredential(ctx context.Context, sessionID, credential, channel string) (Identity, error) {
	rest, ok := strings.CutPrefix(credential, ChannelCredentialPrefix)
	if !ValidID(sessionID) || !ok || !ValidID(rest) || !validChannel(channel) {
		return Identity{}, ErrUnknownChannelCredential
	}
	rec, err := m.store.Get(ctx, ChannelKey(keyOf(sessionID), channel), KindChannel, m.now())
	if err != nil {
		err = storeError(err)
		if errors.Is(err, ErrUnknownSession) {
			return Identity{}, ErrUnknownChannelCredential
		}
		return Identity{}, err
	}
	sum := sha256.Sum256([]byte(credential))
	if subtle.ConstantTimeCompare(sum[:], rec.Secret[:]) != 1 {
		return Identity{}, ErrUnknownChannelCredential
	}
	return rec.Identity, nil
}
