package parser

import (
	"fmt"
	"net/http"

	"github.com/vapisec/vapisec"
)

// cspAuthTokenKey is vapisec.HeaderCSPAuthToken in canonical form, the key
// of an http.Header.
var cspAuthTokenKey = http.CanonicalHeaderKey(vapisec.HeaderCSPAuthToken)

// MaxBearerTokenLength bounds a bearer token, in bytes. Access tokens are
// JWTs of a few KiB even with long group lists.
const MaxBearerTokenLength = 64 << 10

// ParseBearer returns an OAuth 2.0 bearer token (spec §3.3) and where it was
// found: "Authorization: Bearer <token>" (RFC 6750 §2.1; scheme matched
// case-insensitively, one or more spaces) gives vapisec.SourceAuthorization;
// otherwise the header csp-auth-token gives vapisec.SourceHeader.
//
//   - neither (or an Authorization field of another scheme and no
//     csp-auth-token, or an empty csp-auth-token): ErrAbsent;
//   - more than one Authorization field: ErrMultipleAuthorization; more than
//     one csp-auth-token field: ErrDuplicate;
//   - an empty token after "Bearer", or a token with a byte outside visible
//     ASCII (whitespace, control characters, non-ASCII): ErrBearerMalformed;
//     longer than MaxBearerTokenLength: ErrTooLong;
//   - both present and different: ErrConflict (equal: the Authorization
//     field is reported).
//
// Every error except ErrAbsent matches ErrMalformed. The token is not
// verified; the returned string shares memory with h.
func ParseBearer(h http.Header) (token string, src vapisec.CredentialSource, err error) {
	values := h[authorizationKey]
	if len(values) > 1 {
		return "", vapisec.SourceNone, ErrMultipleAuthorization
	}
	var auth string
	if len(values) == 1 {
		if scheme, rest := splitScheme(values[0]); equalFold(scheme, "bearer") {
			if rest == "" {
				return "", vapisec.SourceNone, fmt.Errorf("%w: empty token", ErrBearerMalformed)
			}
			if err := checkBearer(rest, "Authorization"); err != nil {
				return "", vapisec.SourceNone, err
			}
			auth = rest
		}
	}
	var csp string
	switch cs := h[cspAuthTokenKey]; len(cs) {
	case 0:
	case 1:
		if cs[0] != "" {
			if err := checkBearer(cs[0], "csp-auth-token"); err != nil {
				return "", vapisec.SourceNone, err
			}
			csp = cs[0]
		}
	default:
		return "", vapisec.SourceNone, fmt.Errorf("%w: %d csp-auth-token header fields", ErrDuplicate, len(cs))
	}
	switch {
	case auth != "" && csp != "" && auth != csp:
		return "", vapisec.SourceNone, fmt.Errorf("%w: the Authorization bearer token differs from csp-auth-token", ErrConflict)
	case auth != "":
		return auth, vapisec.SourceAuthorization, nil
	case csp != "":
		return csp, vapisec.SourceHeader, nil
	}
	return "", vapisec.SourceNone, ErrAbsent
}

// checkBearer applies the length limit and the visible-ASCII rule to a
// bearer token found in where.
func checkBearer(tok, where string) error {
	if len(tok) > MaxBearerTokenLength {
		return fmt.Errorf("%w: bearer token in %s of %d bytes (limit %d)", ErrTooLong, where, len(tok), MaxBearerTokenLength)
	}
	if !visibleASCII(tok) {
		return fmt.Errorf("%w: invalid character in %s", ErrBearerMalformed, where)
	}
	return nil
}
