package parser

import (
	"fmt"
	"net/textproto"
	"strings"

	"github.com/vapisec/vapisec"
)

// DefaultSessionIDLookup is the lookup string of the default extractor: the
// cookie first, then the header (DESIGN Q1).
const DefaultSessionIDLookup = "cookie:" + vapisec.CookieSessionID + ",header:" + vapisec.HeaderSessionID

// DefaultMaxSessionIDLength is the default limit on the length of a session
// id, in bytes.
const DefaultMaxSessionIDLength = 512

// MaxSessionIDLookups is the largest number of entries a lookup string may
// have (the lookup is for one credential: a cookie, a header and perhaps a
// query parameter or a legacy name, not a list to search).
const MaxSessionIDLookups = 4

// SessionIDOption configures a SessionIDExtractor (NewSessionIDExtractor).
// Options are applied in order; an invalid value makes the constructor fail
// with an error matching ErrInvalidLookup.
type SessionIDOption func(*sessionIDConfig) error

// sessionIDConfig collects the options of NewSessionIDExtractor.
type sessionIDConfig struct {
	maxLength int
}

// WithMaxSessionIDLength sets the longest session id accepted, in bytes;
// longer ids give ErrTooLong. n must be positive; otherwise
// NewSessionIDExtractor fails with ErrInvalidLookup. Default value
// DefaultMaxSessionIDLength (512).
func WithMaxSessionIDLength(n int) SessionIDOption {
	return func(c *sessionIDConfig) error {
		if n <= 0 {
			return fmt.Errorf("%w: maximum session id length %d is not positive", ErrInvalidLookup, n)
		}
		c.maxLength = n
		return nil
	}
}

// lookupSource is where a lookup entry reads the session id from.
type lookupSource uint8

const (
	lookupCookie lookupSource = iota + 1
	lookupHeader
	lookupQuery
)

// credentialSource returns the root package's name for the source.
func (s lookupSource) credentialSource() vapisec.CredentialSource {
	switch s {
	case lookupCookie:
		return vapisec.SourceCookie
	case lookupHeader:
		return vapisec.SourceHeader
	case lookupQuery:
		return vapisec.SourceQuery
	}
	return vapisec.SourceNone
}

// sessionIDLookup is one parsed entry of a lookup string.
type sessionIDLookup struct {
	source lookupSource
	// name is the cookie or query parameter name, or the header name in its
	// canonical form (the key net/http stores it under).
	name string
}

// parseSessionIDLookup parses a lookup string such as
// "cookie:vmware-api-session-id,header:vmware-api-session-id" (see
// NewSessionIDExtractor).
func parseSessionIDLookup(lookup string) ([]sessionIDLookup, error) {
	if strings.TrimSpace(lookup) == "" {
		return nil, fmt.Errorf("%w: empty lookup", ErrInvalidLookup)
	}
	n := strings.Count(lookup, ",") + 1
	if n > MaxSessionIDLookups {
		return nil, fmt.Errorf("%w: %d entries (at most %d)", ErrInvalidLookup, n, MaxSessionIDLookups)
	}
	lookups := make([]sessionIDLookup, 0, n)
	for entry := range strings.SplitSeq(lookup, ",") {
		entry = strings.TrimSpace(entry)
		source, name, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("%w: entry %q is not source:name", ErrInvalidLookup, entry)
		}
		if !isToken(name) {
			return nil, fmt.Errorf("%w: entry %q: the name must be a non-empty token", ErrInvalidLookup, entry)
		}
		var l sessionIDLookup
		switch source {
		case "cookie":
			l = sessionIDLookup{source: lookupCookie, name: name}
		case "header":
			l = sessionIDLookup{source: lookupHeader, name: textproto.CanonicalMIMEHeaderKey(name)}
		case "query":
			l = sessionIDLookup{source: lookupQuery, name: name}
		default:
			return nil, fmt.Errorf("%w: entry %q: unknown source %q (cookie, header or query)", ErrInvalidLookup, entry, source)
		}
		for _, prev := range lookups {
			if prev == l {
				return nil, fmt.Errorf("%w: duplicate entry %q", ErrInvalidLookup, entry)
			}
		}
		lookups = append(lookups, l)
	}
	return lookups, nil
}
