package parser

import "net/http"

// authorizationKey is the canonical form of the Authorization header name.
const authorizationKey = "Authorization"

// authorization returns the value of the single Authorization header field
// of h. No field gives ErrAbsent; more than one gives
// ErrMultipleAuthorization (DESIGN Q2: malformed for every scheme). h is
// indexed with the canonical key, as net/http stores it.
func authorization(h http.Header) (string, error) {
	values := h[authorizationKey]
	switch len(values) {
	case 0:
		return "", ErrAbsent
	case 1:
		return values[0], nil
	}
	return "", ErrMultipleAuthorization
}

// splitScheme splits an Authorization value into its scheme token (up to the
// first space) and the rest with leading spaces removed. RFC 9110 §11.4
// separates the scheme from its credentials with 1*SP only: a tab makes the
// whole value one (unknown) scheme token, never a Bearer or SIGN credential.
func splitScheme(v string) (scheme, rest string) {
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			j := i + 1
			for j < len(v) && v[j] == ' ' {
				j++
			}
			return v[:i], v[j:]
		}
	}
	return v, ""
}

// trimLeftOWS removes leading spaces and tabs (RFC 9110 OWS).
func trimLeftOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

// trimOWS removes leading and trailing spaces and tabs (RFC 9110 OWS).
func trimOWS(s string) string {
	s = trimLeftOWS(s)
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// hasPrefixFold reports whether s starts with prefix, compared ASCII
// case-insensitively. prefix must be lower-case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// equalFold reports whether s equals lower, compared ASCII
// case-insensitively. lower must be lower-case.
func equalFold(s, lower string) bool {
	return len(s) == len(lower) && hasPrefixFold(s, lower)
}

// visibleASCII reports whether every byte of s is visible ASCII
// (0x21–0x7E): no whitespace, no control characters, no non-ASCII.
//
// It tests eight bytes at a time (a bearer token is a kilobyte of them, on
// every request): a word has a byte outside 0x21–0x7E when a byte has its
// high bit set, or (all below 0x80) a byte is below 0x21 or equals 0x7F,
// with the classic "has less than" and "has zero byte" word tests.
func visibleASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		del := x ^ (0x7f * lo8)
		if x&hi8 != 0 || (x-0x21*lo8)&^x&hi8 != 0 || (del-lo8)&^del&hi8 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// lo8 and hi8 are the low and high bit of every byte of a word.
const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// isToken reports whether s is a non-empty RFC 9110 token (tchar only).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

// isTchar reports whether c is an RFC 9110 §5.6.2 tchar.
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}
