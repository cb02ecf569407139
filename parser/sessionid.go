package parser

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/vapisec/vapisec"
)

// cookieKey is the canonical form of the Cookie header name.
const cookieKey = "Cookie"

// SessionIDExtractor reads a vAPI session id from a request, from the places
// named by a lookup string (spec §3.1, DESIGN Q1). It is built once, at
// middleware construction, by NewSessionIDExtractor; it is immutable and
// safe for concurrent use.
//
// It only parses: whether the id names a live session is for the session
// manager to decide.
type SessionIDExtractor struct {
	lookups   []sessionIDLookup
	maxLength int
}

// NewSessionIDExtractor returns an extractor for lookup, an Echo-style lookup
// string: a comma-separated list of "cookie:<name>", "header:<name>" and
// "query:<name>" entries, tried in that order (DefaultSessionIDLookup reads
// the cookie vmware-api-session-id first, then the header of that name). A
// query parameter is read only when an entry names it. Names are RFC 9110
// tokens; header names compare case-insensitively, cookie and query names
// exactly.
//
// It returns an error matching ErrInvalidLookup for an empty lookup, an
// entry that is not source:name, an unknown source, an empty or invalid
// name, a duplicate entry, more than MaxSessionIDLookups entries, a nil
// option or a non-positive WithMaxSessionIDLength.
func NewSessionIDExtractor(lookup string, opts ...SessionIDOption) (*SessionIDExtractor, error) {
	cfg := sessionIDConfig{maxLength: DefaultMaxSessionIDLength}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidLookup)
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	lookups, err := parseSessionIDLookup(lookup)
	if err != nil {
		return nil, err
	}
	return &SessionIDExtractor{lookups: lookups, maxLength: cfg.maxLength}, nil
}

// Extract returns the session id of r and where it came from. Every entry of
// the lookup is read, in order:
//
//   - an empty value counts as absent; a request without any id gives
//     ("", vapisec.SourceNone, nil): not an error, the next scheme may try;
//   - unrelated cookies never hide the header (unlike the Python runtime);
//   - ids found in several places must be equal (the source reported is the
//     first in lookup order), otherwise ErrConflict;
//   - the cookie name appearing twice in the Cookie header fields (even with
//     equal values), or several header fields or query parameters of the
//     name, give ErrDuplicate;
//   - an id longer than the limit gives ErrTooLong, one with a byte outside
//     visible ASCII (0x21–0x7E; for cookies, outside the RFC 6265
//     cookie-octet set) ErrInvalidCharacter.
//
// Every error matches ErrMalformed. Cookie and header values are returned
// without copying: Extract does not allocate unless it fails (or a query
// parameter needs unescaping).
func (x *SessionIDExtractor) Extract(r *http.Request) (id string, src vapisec.CredentialSource, err error) {
	for i := range x.lookups {
		l := &x.lookups[i]
		var v string
		switch l.source {
		case lookupCookie:
			v, err = x.cookie(r.Header, l.name)
		case lookupHeader:
			v, err = x.header(r.Header, l.name)
		case lookupQuery:
			v, err = x.query(r.URL, l.name)
		}
		if err != nil {
			return "", vapisec.SourceNone, err
		}
		switch {
		case v == "":
		case id == "":
			id, src = v, l.source.credentialSource()
		case v != id:
			return "", vapisec.SourceNone, fmt.Errorf("%w: the session id of %s differs from the one of %s %q", ErrConflict, src, l.source.credentialSource(), l.name)
		}
	}
	return id, src, nil
}

// cookie returns the value of the cookie name in the Cookie header fields of
// h, scanning them in place (no per-cookie allocation, unlike
// http.Request.Cookies). The splitting follows net/http: parts separated by
// ';', spaces trimmed around names and values, a value in double quotes is
// unquoted.
func (x *SessionIDExtractor) cookie(h http.Header, name string) (string, error) {
	var value string
	found := false
	for _, line := range h[cookieKey] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			k, v, _ := strings.Cut(part, "=")
			if trimOWS(k) != name {
				continue
			}
			if found {
				return "", fmt.Errorf("%w: cookie %q appears more than once", ErrDuplicate, name)
			}
			found = true
			value = trimOWS(v)
		}
	}
	if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
		value = value[1 : len(value)-1]
	}
	if len(value) > x.maxLength {
		return "", fmt.Errorf("%w: cookie %q of %d bytes (limit %d)", ErrTooLong, name, len(value), x.maxLength)
	}
	for i := 0; i < len(value); i++ {
		if c := value[i]; c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\' {
			return "", fmt.Errorf("%w: cookie %q", ErrInvalidCharacter, name)
		}
	}
	return value, nil
}

// header returns the value of the header field key (canonical form) of h.
func (x *SessionIDExtractor) header(h http.Header, key string) (string, error) {
	values := h[key]
	switch len(values) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", fmt.Errorf("%w: %d %q header fields", ErrDuplicate, len(values), key)
	}
	return x.check(trimOWS(values[0]), "header", key)
}

// query returns the value of the query parameter name of u, scanning the raw
// query in place. A parameter name or value is unescaped only when it
// contains '%' or '+'.
func (x *SessionIDExtractor) query(u *url.URL, name string) (string, error) {
	if u == nil {
		return "", nil
	}
	var value string
	found := false
	q := u.RawQuery
	for q != "" {
		var part string
		part, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(part, "=")
		if strings.ContainsAny(k, "%+") {
			uk, err := url.QueryUnescape(k)
			if err != nil {
				continue // an unrelated parameter we cannot read is not ours
			}
			k = uk
		}
		if k != name {
			continue
		}
		if found {
			return "", fmt.Errorf("%w: query parameter %q appears more than once", ErrDuplicate, name)
		}
		found = true
		value = v
	}
	if len(value) > 3*x.maxLength { // bound the work before unescaping
		return "", fmt.Errorf("%w: query parameter %q of %d bytes (limit %d)", ErrTooLong, name, len(value), x.maxLength)
	}
	if strings.ContainsAny(value, "%+") {
		uv, err := url.QueryUnescape(value)
		if err != nil {
			return "", fmt.Errorf("%w: query parameter %q is not properly escaped", ErrInvalidCharacter, name)
		}
		value = uv
	}
	return x.check(value, "query parameter", name)
}

// check applies the length limit and the visible-ASCII rule to a header or
// query value.
func (x *SessionIDExtractor) check(v, kind, name string) (string, error) {
	if len(v) > x.maxLength {
		return "", fmt.Errorf("%w: %s %q of %d bytes (limit %d)", ErrTooLong, kind, name, len(v), x.maxLength)
	}
	if !visibleASCII(v) {
		return "", fmt.Errorf("%w: %s %q", ErrInvalidCharacter, kind, name)
	}
	return v, nil
}
