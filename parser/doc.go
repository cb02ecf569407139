// Package parser turns the credentials of an HTTP request into values: the
// vAPI session id (cookie and header vmware-api-session-id, spec §3.1), HTTP
// Basic user name and password (RFC 7617, spec §3.2), OAuth bearer tokens
// (RFC 6750, spec §3.3) and the parameters and token of the
// "Authorization: SIGN" scheme (spec §8.1).
//
// It parses; it never verifies. Nothing it returns is trusted: a session id
// may name no session, a password may be wrong, a SIGN token is unverified
// XML and its signature unchecked. Deciding is for the session manager, an
// authenticator, or the verifier package.
//
// The parsers are strict, because lenient parsing of credentials is where
// parser differentials and smuggling come from: exactly one Authorization
// header field, strict base64 with padding, no control characters, quoted
// SIGN values without escapes, no unknown SIGN parameters, one gzip member
// with nothing after it, and bounds on every length, checked before the
// work they bound (DESIGN §7 rule 1).
//
// # Errors: "not mine" or 400
//
// The sentinels in errors.go tell the caller what to do:
//
//   - ErrAbsent: the request does not carry this scheme's credential (no
//     Authorization header field, or one of another scheme). The middleware
//     lets the next scheme try. The session id extractor does not use it: an
//     absent session id is an empty string and no error.
//   - ErrMalformed: the credential is there but cannot be parsed. The
//     middleware answers 400 INVALID_ARGUMENT (DESIGN Q2) and does not fall
//     through to another scheme. Every specific sentinel (ErrConflict,
//     ErrDuplicate, ErrTooLong, ErrInvalidCharacter,
//     ErrMultipleAuthorization, ErrBasic…, ErrSign…, ErrToken…,
//     ErrBearerMalformed) matches ErrMalformed with errors.Is.
//   - ErrInvalidLookup: the extractor's configuration is wrong; returned by
//     NewSessionIDExtractor at construction, never per request.
//
// The specific sentinels' messages hold no request bytes, so they can be
// shown to clients and logged; the wrapping errors add names and offsets,
// never a password, session id or token.
//
// # Performance
//
// SessionIDExtractor.Extract and ParseBasic run on every request: Extract
// scans the Cookie header fields in place for the one name it needs and
// returns substrings of the header values (no allocation); ParseBasic
// decodes into a stack buffer and allocates once, for the returned strings.
//
// Everything in this package is safe for concurrent use; there is no
// package-level mutable state.
package parser
