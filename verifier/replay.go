package verifier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// ReplayKey identifies one signed request for the replay check (DESIGN §7
// rule 7): for JSON-RPC the SHA-256 of (holder-of-key certificate SHA-256,
// SHA-256 of the canonical signed bytes), for SIGN the SHA-256 of (holder-
// of-key certificate SHA-256, nonce), each with its own domain tag.
type ReplayKey [32]byte

// String returns the key as lower-case hex (e.g. for a Redis key).
func (k ReplayKey) String() string { return hex.EncodeToString(k[:]) }

// ReplayCache remembers the signed requests a verifier accepted, so that
// each is accepted once (DESIGN §6, §7 rule 7).
//
// Implementations must be safe for concurrent use, and Record must be one
// atomic operation (for a shared store: SET NX PX, never a read followed by
// a write), so that two instances receiving the same request at the same
// moment cannot both accept it.
type ReplayCache interface {
	// Record stores key for ttl if it is not stored yet. It returns nil
	// when it stored the key, an error wrapping ErrReplayed when the key is
	// already stored (and not expired), and any other error — wrapping
	// ErrStoreUnavailable — when it could not decide, e.g. the store is
	// down or full: the verifier then refuses the request (fail closed).
	Record(ctx context.Context, key ReplayKey, ttl time.Duration) error
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
