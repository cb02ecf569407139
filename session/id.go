package session

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

const (
	// IDBytes is the number of random bytes in a session id (256 bits).
	IDBytes = 32
	// IDLength is the length of a session id: IDBytes in unpadded base64url
	// (RFC 4648 §5).
	IDLength = 43
)

// Key identifies a session record in a Store: the SHA-256 of the session id's
// ASCII bytes. Stores never see the id itself, so whoever reads a store (a
// dump, a Redis replica, a backup) learns no id that would authenticate a
// request: the id cannot be recovered from its key, and a key is not of the
// id format, so sending it is rejected before any store is asked.
//
// A Key is not secret in the way an id is, but it still identifies a
// session: show it to administrators (Manager.Sessions, Manager.Terminate),
// not to other users.
type Key [sha256.Size]byte

// String returns the key as 64 lower-case hex digits.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// IsZero reports whether k is the zero key (no key).
func (k Key) IsZero() bool { return k == Key{} }

// ParseKey parses the 64 hex digits Key.String produces.
func ParseKey(s string) (Key, error) {
	var k Key
	if len(s) != 2*len(k) {
		return Key{}, fmt.Errorf("%w: %.40q", ErrMalformedKey, s)
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return Key{}, fmt.Errorf("%w: %.40q", ErrMalformedKey, s)
	}
	return k, nil
}

// KeyOf returns the store key of a session id, or ErrMalformedID when the id
// is not of the form the Manager issues. Use it to log a session without
// logging its id (log a prefix of the key).
func KeyOf(sessionID string) (Key, error) {
	if !ValidID(sessionID) {
		return Key{}, ErrMalformedID
	}
	return keyOf(sessionID), nil
}

// keyOf hashes an id already known to be valid. The id is copied into a
// fixed-size array so that the conversion to bytes does not allocate.
func keyOf(id string) Key {
	var buf [IDLength]byte
	copy(buf[:], id)
	return sha256.Sum256(buf[:])
}

// ValidID reports whether s has the form of a session id the Manager issues:
// exactly IDLength characters of the unpadded base64url alphabet, in the
// canonical encoding (the last character carries 4 data bits and 2 zero
// bits). It does not say whether such a session exists. It runs in constant
// time for strings of length IDLength and without data-dependent branches,
// so it is cheap on random input.
func ValidID(s string) bool {
	if len(s) != IDLength {
		return false
	}
	ok := uint64(1)
	for i := 0; i < IDLength; i++ {
		ok &= inAlphabet(s[i])
	}
	return ok == 1 && b64Value(s[IDLength-1])&3 == 0
}

// The base64url alphabet as a 128-bit set: bit c of alphabetLow (c < 64)
// or of alphabetHigh (64 ≤ c < 128, bit c-64) is set when c belongs to it.
const (
	alphabetLow  = 1<<'-' | 0x3ff<<'0'                                     // '-', '0'…'9'
	alphabetHigh = 0x3ffffff<<('A'-64) | 1<<('_'-64) | 0x3ffffff<<('a'-64) // 'A'…'Z', '_', 'a'…'z'
)

// inAlphabet returns 1 when c is a base64url character, else 0.
func inAlphabet(c byte) uint64 {
	w := uint64(alphabetLow)
	if c&64 != 0 {
		w = alphabetHigh
	}
	return w >> (c & 63) & 1 & (1 - uint64(c>>7))
}

// b64Value returns the 6-bit value of a base64url character, or -1.
func b64Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '-':
		return 62
	case c == '_':
		return 63
	}
	return -1
}

// newID reads IDBytes from r and encodes them as an id.
func newID(r io.Reader) (string, error) {
	var buf [IDBytes]byte
	if _, err := io.ReadFull(r, buf[:]); err != nil {
		return "", fmt.Errorf("%w: %w", ErrRandom, err)
	}
	return base64.RawURLEncoding.EncodeToString(buf[:]), nil
}
