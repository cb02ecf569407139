package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/vapisec/vapisec"
)

const (
	// IDBytes is the number of bytes a session id encodes: the user's
	// TagBytes shard tag followed by IDRandomBytes random bytes.
	IDBytes = TagBytes + IDRandomBytes
	// IDRandomBytes is the number of random bytes in a session id (224
	// bits: the id stays unguessable, far beyond the 64 bits of entropy
	// OWASP asks of a session id).
	IDRandomBytes = 28
	// TagBytes is the length of a shard tag (Tag).
	TagBytes = 4
	// IDLength is the length of a session id: IDBytes in unpadded base64url
	// (RFC 4648 §5).
	IDLength = 43
)

// Tag is a user's shard tag: it says where a store keeps the user's
// records (redisstore: which Redis Cluster slot), so that one user's
// sessions, children, tickets and channel credentials are kept together
// and different users spread over the store. Every id the Manager issues
// (session ids, clone tickets, channel credential user names) starts with
// the tag of its user, and every Key starts with the tag of the id it was
// derived from, so a store finds the place of a record from its key alone,
// with no directory lookup.
//
// A tag is a keyed hash of the user (UserTagOf): it does not show the
// user's name to whoever lacks the key, but it is the same in every id of
// one user, so ids of one user can be told to belong to the same user.
type Tag [TagBytes]byte

// String returns the tag as 8 lower-case hex digits.
func (t Tag) String() string { return hex.EncodeToString(t[:]) }

// UserTagOf returns the tag of user under key: the first TagBytes of the
// HMAC-SHA256 under key of the user's UserKey (case-folded: every spelling
// of a name has the tag of its quota). Stores that shard by user
// (Sharder) derive their tags with it from a deployment-wide key.
func UserTagOf(key []byte, user vapisec.Principal) Tag {
	user = UserKey(user)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("vapisec shard tag\x00"))
	mac.Write([]byte(user.Name))
	mac.Write([]byte{0})
	mac.Write([]byte(user.Domain))
	var sum [sha256.Size]byte
	return Tag(mac.Sum(sum[:0])[:TagBytes])
}

// Tag returns the shard tag a key starts with.
func (k Key) Tag() Tag { return Tag(k[:TagBytes]) }

// tagOf returns the tag an id of the session id form starts with: the top
// 32 of the 36 bits of its first six characters.
func tagOf(id string) Tag {
	var v uint64
	for i := range 6 {
		v = v<<6 | uint64(b64Value(id[i])&63)
	}
	var t Tag
	binary.BigEndian.PutUint32(t[:], uint32(v>>4))
	return t
}

// taggedKey returns the key of an id with tag: the tag followed by the
// first bytes of sum, the SHA-256 of the id.
func taggedKey(tag Tag, sum [sha256.Size]byte) Key {
	var k Key
	copy(k[:], tag[:])
	copy(k[TagBytes:], sum[:])
	return k
}

// Key identifies a session record in a Store: the shard tag of the id (Tag)
// followed by the first 28 bytes of the SHA-256 of the session id's ASCII
// bytes. Stores never see the id itself, so whoever reads a store (a
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
	return taggedKey(tagOf(id), sha256.Sum256(buf[:]))
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

// newID reads IDRandomBytes from r and encodes them, after tag, as an id.
func newID(r io.Reader, tag Tag) (string, error) {
	var buf [IDBytes]byte
	copy(buf[:], tag[:])
	if _, err := io.ReadFull(r, buf[TagBytes:]); err != nil {
		return "", fmt.Errorf("%w: %w", ErrRandom, err)
	}
	return base64.RawURLEncoding.EncodeToString(buf[:]), nil
}
