package redisstore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// maxGroups bounds the number of groups decodeGroups accepts, and
// maxGroupLength the length of one, so that a corrupt field cannot make the
// store allocate without bound.
const (
	maxGroups      = 4096
	maxGroupLength = 1 << 16
)

// fieldCount is the number of fields the scripts return for a record, in
// the order of FIELDS: k c l i e p s n o h g.
const fieldCount = 11

// userHex returns the hex name of the index set of user: the SHA-256 of
// the name and domain of its session.UserKey (case-folded, so every
// spelling of a name shares one set and one quota), so the set's key is of
// fixed length and shows no user name.
func userHex(user vapisec.Principal) string {
	user = session.UserKey(user)
	h := sha256.New()
	h.Write([]byte(user.Name))
	h.Write([]byte{0})
	h.Write([]byte(user.Domain))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// millis returns t as unix milliseconds, the precision the store keeps
// (rounded down, which only ever makes a record die earlier).
func millis(t time.Time) int64 { return t.UnixMilli() }

// encodeRecord returns the field/value pairs of the hash that stores rec.
func encodeRecord(rec *session.Record) []any {
	parent := ""
	if !rec.Parent.IsZero() {
		parent = rec.Parent.String()
	}
	secret := ""
	if !rec.Secret.IsZero() {
		secret = string(rec.Secret[:])
	}
	return []any{
		"k", strconv.Itoa(int(rec.Kind)),
		"c", strconv.FormatInt(millis(rec.Created), 10),
		"l", strconv.FormatInt(millis(rec.LastAccessed), 10),
		"i", strconv.FormatInt(rec.IdleTimeout.Milliseconds(), 10),
		"e", strconv.FormatInt(millis(rec.Expiry), 10),
		"p", parent,
		"s", secret,
		"n", rec.Identity.Principal.Name,
		"o", rec.Identity.Principal.Domain,
		"h", string(rec.Identity.Scheme),
		"g", string(encodeGroups(rec.Identity.Groups)),
		"u", userHex(rec.Identity.Principal),
	}
}

// decodeRecord turns the array reply of a script (the fields in the order
// of fieldCount) back into a record.
func decodeRecord(v any) (session.Record, error) {
	f, ok := v.([]any)
	if !ok || len(f) != fieldCount {
		return session.Record{}, fmt.Errorf("%w: record of %T", ErrUnexpectedReply, v)
	}
	var s [fieldCount]string
	for i := range f {
		if s[i], ok = f[i].(string); !ok {
			return session.Record{}, fmt.Errorf("%w: field %d of %T", ErrUnexpectedReply, i, f[i])
		}
	}
	var n [5]int64
	for i := range n {
		x, err := strconv.ParseInt(s[i], 10, 64)
		if err != nil {
			return session.Record{}, fmt.Errorf("%w: field %d %.20q", ErrUnexpectedReply, i, s[i])
		}
		n[i] = x
	}
	if n[0] < 0 || n[0] > int64(session.KindChannel) {
		return session.Record{}, fmt.Errorf("%w: kind %d", ErrUnexpectedReply, n[0])
	}
	rec := session.Record{
		Kind:         session.Kind(n[0]),
		Created:      time.UnixMilli(n[1]).UTC(),
		LastAccessed: time.UnixMilli(n[2]).UTC(),
		IdleTimeout:  time.Duration(n[3]) * time.Millisecond,
		Expiry:       time.UnixMilli(n[4]).UTC(),
		Identity: session.Identity{
			Principal: vapisec.Principal{Name: s[7], Domain: s[8]},
			Scheme:    vapisec.SchemeID(s[9]),
		},
	}
	if s[5] != "" {
		k, err := session.ParseKey(s[5])
		if err != nil {
			return session.Record{}, fmt.Errorf("%w: parent: %w", ErrUnexpectedReply, err)
		}
		rec.Parent = k
	}
	if s[6] != "" {
		if len(s[6]) != len(rec.Secret) {
			return session.Record{}, fmt.Errorf("%w: secret of %d bytes", ErrUnexpectedReply, len(s[6]))
		}
		copy(rec.Secret[:], s[6])
	}
	groups, err := decodeGroups([]byte(s[10]))
	if err != nil {
		return session.Record{}, err
	}
	rec.Identity.Groups = groups
	return rec, nil
}

// encodeGroups encodes groups as a sequence of uvarint lengths, each
// followed by that many bytes. Nil and empty encode to nothing.
func encodeGroups(groups []string) []byte {
	var b []byte
	for _, g := range groups {
		b = binary.AppendUvarint(b, uint64(len(g)))
		b = append(b, g...)
	}
	return b
}

// decodeGroups reverses encodeGroups. It returns nil for an empty input and
// ErrUnexpectedReply for anything encodeGroups cannot have produced or that
// exceeds maxGroups or maxGroupLength.
func decodeGroups(b []byte) ([]string, error) {
	var groups []string
	for len(b) > 0 {
		n, w := binary.Uvarint(b)
		if w <= 0 || n > maxGroupLength || n > uint64(len(b)-w) {
			return nil, fmt.Errorf("%w: groups", ErrUnexpectedReply)
		}
		if len(groups) == maxGroups {
			return nil, fmt.Errorf("%w: more than %d groups", ErrUnexpectedReply, maxGroups)
		}
		groups = append(groups, string(b[w:w+int(n)]))
		b = b[w+int(n):]
	}
	return groups, nil
}
