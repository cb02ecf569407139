package verifier

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"
	"unicode/utf8"

	vapisec "github.com/vapisec/vapisec"
)

// ReplayKey identifies one signed request for the replay check (DESIGN §7
// rule 7): for JSON-RPC the SHA-256 of (holder-of-key certificate SHA-256,
// SHA-256 of the canonical signed bytes), for SIGN the SHA-256 of (holder-
// of-key certificate SHA-256, nonce), for a WS-Security login
// (VerifySOAPLogin) the SHA-256 of (holder-of-key certificate SHA-256,
// SHA-256 of the SignatureValue bytes), each with its own domain tag.
type ReplayKey [32]byte

// String returns the key as lower-case hex (e.g. for a Redis key).
func (k ReplayKey) String() string { return hex.EncodeToString(k[:]) }

// ReplayOwner is the holder of replay entries: the SHA-256 of the DER
// holder-of-key certificate of the token that signed the request. Each
// owner gets its own bounded share of a cache (DESIGN Q22).
type ReplayOwner [32]byte

// String returns the owner as lower-case hex (e.g. for a Redis key).
func (o ReplayOwner) String() string { return hex.EncodeToString(o[:]) }

// ReplaySubject is the user of replay entries: the SHA-256 of the verified
// token's subject, name and domain lower-cased (vCenter SSO names are
// case-insensitive), as NewReplaySubject computes it. Each subject gets
// its own bounded share of a cache on top of the per-certificate one, so
// that one account with tokens for many keys cannot fill it either.
type ReplaySubject [32]byte

// String returns the subject as lower-case hex (e.g. for a Redis key).
func (s ReplaySubject) String() string { return hex.EncodeToString(s[:]) }

// NewReplaySubject returns the ReplaySubject of p: the SHA-256 of a domain
// tag, then the lower-cased name and domain, each prefixed by its length,
// so that "Administrator@VSPHERE.local" and "administrator@vsphere.local"
// are one subject and no two different (name, domain) pairs collide.
func NewReplaySubject(p vapisec.Principal) ReplaySubject {
	var buf [256]byte
	b := append(buf[:0], 'U')
	for _, s := range [...]string{p.Name, p.Domain} {
		b = appendLower(b, s)
	}
	return sha256.Sum256(b)
}

// appendLower appends to b the length of lower-cased s (4 bytes, big
// endian) and lower-cased s: ASCII in place, without an allocation; other
// text through vapisec.FoldCase, the folding the session quotas use.
func appendLower(b []byte, s string) []byte {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			s = vapisec.FoldCase(s)
			b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
			return append(b, s...)
		}
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	for i := range len(s) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// ReplayEntry is one accepted signed request for ReplayCache.Record.
type ReplayEntry struct {
	// Owner is the holder-of-key certificate the request was signed with.
	Owner ReplayOwner
	// Subject is the user the request's token names (NewReplaySubject).
	Subject ReplaySubject
	// Key identifies the request; it already covers Owner.
	Key ReplayKey
	// TTL is how long the entry must stay: until the request can no longer
	// pass the timestamp or nonce check.
	TTL time.Duration
	// Share bounds the live entries of Owner (WithReplayShare): a new entry
	// of an owner that holds Share live ones is refused with
	// ErrReplayQuota. Zero or less: no per-owner bound.
	Share int
	// SubjectShare bounds the live entries of Subject, whatever
	// certificates they were signed with (WithReplaySubjectShare): a new
	// entry of a subject that holds SubjectShare live ones is refused with
	// ErrReplayQuota. Zero or less: no per-subject bound.
	SubjectShare int
}

// ReplayCache remembers the signed requests a verifier accepted, so that
// each is accepted once (DESIGN §6, §7 rule 7), and keeps one token holder,
// and one user with many holder-of-key keys, from filling it for everyone
// (DESIGN Q22).
//
// Implementations must be safe for concurrent use, and Record must be one
// atomic operation (for a shared store: one script or SET NX PX, never a
// read followed by a write), so that two instances receiving the same
// request at the same moment cannot both accept it, and concurrent
// requests of one owner cannot exceed its share.
type ReplayCache interface {
	// Record stores e.Key for e.TTL if it is not stored yet, e.Owner holds
	// fewer than e.Share live entries and e.Subject fewer than
	// e.SubjectShare. It returns nil when it stored the key, an error
	// wrapping ErrReplayed when the key is already stored (and not
	// expired), one wrapping ErrReplayQuota and ErrStoreUnavailable when
	// the owner's or the subject's share is used up, and any other
	// error — wrapping ErrStoreUnavailable — when it could not decide,
	// e.g. the store is down or full: the verifier then refuses the
	// request (fail closed).
	Record(ctx context.Context, e ReplayEntry) error
}

// Domain tags of the replay keys.
const (
	replayTagJSONRPC = 'J'
	replayTagSign    = 'S'
)

// jsonRPCReplayKey returns the replay key of a verified JSON-RPC request.
func jsonRPCReplayKey(certSum *[32]byte, canonical []byte) ReplayKey {
	var buf [65]byte
	buf[0] = replayTagJSONRPC
	copy(buf[1:], certSum[:])
	c := sha256.Sum256(canonical)
	copy(buf[33:], c[:])
	return sha256.Sum256(buf[:])
}

// signReplayKey returns the replay key of a verified SIGN request.
func signReplayKey(certSum *[32]byte, nonce string) ReplayKey {
	var buf [33 + maxNonceLen]byte
	buf[0] = replayTagSign
	copy(buf[1:], certSum[:])
	n := copy(buf[33:], nonce)
	return sha256.Sum256(buf[:33+n])
}
