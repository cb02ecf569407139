package parser

import (
	"fmt"
	"net/http"
	"unicode/utf8"
)

// MaxBasicCredentialsLength bounds the base64 text of Basic credentials, in
// bytes (3072 decoded bytes: far more than any user name and password).
// Longer credentials give ErrTooLong before anything is decoded.
const MaxBasicCredentialsLength = 4096

// basicStackSize is the decoded length up to which ParseBasic decodes into a
// stack buffer, so that the returned strings cost one allocation.
const basicStackSize = 256

// ParseBasic parses HTTP Basic credentials (RFC 7617) from the single
// Authorization header field of h, strictly (DESIGN Q2):
//
//   - no Authorization field, or one of another scheme: ErrAbsent;
//   - more than one Authorization field: ErrMultipleAuthorization;
//   - the scheme "Basic" is matched case-insensitively and must be followed
//     by exactly one space; a value whose first five bytes are "basic" in
//     any case but that does not go on with one space and the credentials
//     ("Basic:xxx", "BasicXxxx", "Basic", "Basic  xxx") is a malformed Basic
//     credential (ErrBasicScheme), not another scheme;
//   - the credentials are strict standard base64 with padding, no
//     whitespace or line breaks (ErrBasicBase64), at most
//     MaxBasicCredentialsLength bytes (ErrTooLong);
//   - the decoded bytes are UTF-8 (ErrBasicUTF8) without control characters
//     (C0, DEL, C1: ErrBasicControl), contain a ':' (ErrBasicNoColon) and
//     are split at the first one, so the password may contain colons; the
//     user name must not be empty (ErrBasicEmptyUser).
//
// Every error except ErrAbsent matches ErrMalformed. ParseBasic only parses:
// whether the password is right is for an authenticator to decide. It
// allocates once (the decoded credentials) for usual lengths.
func ParseBasic(h http.Header) (username, password string, err error) {
	v, err := authorization(h)
	if err != nil {
		return "", "", err
	}
	if !hasPrefixFold(v, "basic") {
		return "", "", ErrAbsent
	}
	if len(v) == len("basic") || v[5] != ' ' || (len(v) > 6 && v[6] == ' ') {
		return "", "", ErrBasicScheme
	}
	enc := v[6:]
	if enc == "" {
		return "", "", fmt.Errorf("%w: empty credentials", ErrBasicBase64)
	}
	if len(enc) > MaxBasicCredentialsLength {
		return "", "", fmt.Errorf("%w: Basic credentials of %d bytes (limit %d)", ErrTooLong, len(enc), MaxBasicCredentialsLength)
	}

	var stack [basicStackSize]byte
	var buf []byte
	if n := len(enc) / 4 * 3; n <= len(stack) {
		buf = stack[:n]
	} else {
		buf = make([]byte, n)
	}
	n, ok := decodeStdBase64(buf, enc)
	if !ok {
		return "", "", ErrBasicBase64
	}
	buf = buf[:n]
	if !utf8.Valid(buf) {
		return "", "", ErrBasicUTF8
	}
	colon := -1
	for i, c := range buf {
		switch {
		case c < 0x20 || c == 0x7f:
			return "", "", ErrBasicControl
		case c == 0xc2 && i+1 < len(buf) && buf[i+1] >= 0x80 && buf[i+1] <= 0x9f:
			// U+0080–U+009F (C1 controls) in UTF-8.
			return "", "", ErrBasicControl
		case c == ':' && colon < 0:
			colon = i
		}
	}
	if colon < 0 {
		return "", "", ErrBasicNoColon
	}
	if colon == 0 {
		return "", "", ErrBasicEmptyUser
	}
	s := string(buf)
	return s[:colon], s[colon+1:], nil
}
