package parser

import "errors"

// The errors of the parser package. Compare with errors.Is, never by string:
// the messages may change, the identities do not.
//
// They fall into three groups:
//
//   - ErrAbsent: the request does not carry this scheme's credential. The
//     caller lets the next scheme try. It is not a client error.
//   - ErrMalformed: the credential is there but broken; the caller answers
//     400 (INVALID_ARGUMENT). Every specific malformation sentinel below
//     (ErrConflict, ErrBasicBase64, ErrSignSyntax, ErrTokenTooLarge, …)
//     matches ErrMalformed too, so one errors.Is(err, ErrMalformed) is enough
//     to choose the status, and the specific sentinel says why.
//   - ErrInvalidLookup: a configuration error, returned at construction time
//     (NewSessionIDExtractor). It never matches ErrMalformed.
//
// The specific sentinels carry fixed messages without request bytes; errors
// returned by the parsers wrap them and may add the position or name of the
// offending part, but never a password, session id or token.
var (
	// ErrAbsent means the request carries no credential of the scheme asked
	// for: no Authorization header field, or one of another scheme. The
	// session id extractor never returns it (an absent session id is "").
	ErrAbsent = errors.New("parser: credential absent")

	// ErrMalformed is the category of every malformed-credential error: the
	// request is answered with 400.
	ErrMalformed = errors.New("parser: malformed credential")

	// ErrInvalidLookup means a session id lookup string (or an option of
	// NewSessionIDExtractor) is not usable: unknown source, empty or invalid
	// name, duplicate entry, too many entries, non-positive length limit.
	ErrInvalidLookup = errors.New("parser: invalid session id lookup")
)

// Malformations shared by several schemes.
var (
	// ErrConflict means two places of the request carry different values of
	// the same credential: a session id cookie and header that disagree, or
	// an Authorization Bearer token and a csp-auth-token header that differ.
	ErrConflict error = &malformedError{msg: "parser: conflicting credentials"}

	// ErrDuplicate means a credential is sent more than once in the same
	// place: two session id cookies of the configured name (even with equal
	// values), several session id header fields or query parameters, several
	// csp-auth-token header fields.
	ErrDuplicate error = &malformedError{msg: "parser: duplicate credential"}

	// ErrTooLong means a value exceeds its length limit.
	ErrTooLong error = &malformedError{msg: "parser: credential too long"}

	// ErrInvalidCharacter means a session id contains a byte outside visible
	// ASCII (0x21–0x7E), or, in a cookie, outside the RFC 6265 cookie-octet
	// set.
	ErrInvalidCharacter error = &malformedError{msg: "parser: invalid character in credential"}

	// ErrMultipleAuthorization means the request has more than one
	// Authorization header field. It is malformed whatever the schemes are
	// (DESIGN Q2): no scheme gets to pick "its" field.
	ErrMultipleAuthorization error = &malformedError{msg: "parser: more than one Authorization header field"}
)

// Basic (RFC 7617) malformations.
var (
	// ErrBasicScheme means the Authorization value starts with "Basic" (any
	// case) but is not followed by exactly one space and the credentials,
	// e.g. "Basic:xxx", "BasicXxxx", "Basic" or "Basic  xxx".
	ErrBasicScheme error = &malformedError{msg: "parser: malformed Basic scheme"}

	// ErrBasicBase64 means the Basic credentials are not strict standard
	// base64 with padding (RFC 4648 §4; no whitespace, no line breaks, unused
	// bits zero), or are empty.
	ErrBasicBase64 error = &malformedError{msg: "parser: Basic credentials are not valid base64"}

	// ErrBasicUTF8 means the decoded Basic credentials are not valid UTF-8.
	ErrBasicUTF8 error = &malformedError{msg: "parser: Basic credentials are not valid UTF-8"}

	// ErrBasicControl means the decoded user name or password contains a
	// control character (C0, DEL or C1).
	ErrBasicControl error = &malformedError{msg: "parser: control character in Basic credentials"}

	// ErrBasicEmptyUser means the decoded user name is empty.
	ErrBasicEmptyUser error = &malformedError{msg: "parser: empty Basic user name"}

	// ErrBasicNoColon means the decoded credentials contain no ':' between
	// user name and password.
	ErrBasicNoColon error = &malformedError{msg: "parser: Basic credentials without ':'"}
)

// SIGN header (spec §8.1) malformations.
var (
	// ErrSignSyntax means the SIGN parameter list does not follow the
	// grammar: no parameters, an unquoted or unterminated value, a missing
	// '=', garbage between parameters, an empty value, a byte outside
	// visible ASCII (or '"', ',' or '\') in a value.
	ErrSignSyntax error = &malformedError{msg: "parser: malformed SIGN header"}

	// ErrSignDuplicateParam means a SIGN parameter appears twice (names
	// compare case-insensitively).
	ErrSignDuplicateParam error = &malformedError{msg: "parser: duplicate SIGN parameter"}

	// ErrSignUnknownParam means a SIGN parameter other than token,
	// signature_alg, signature, nonce and bodyhash.
	ErrSignUnknownParam error = &malformedError{msg: "parser: unknown SIGN parameter"}

	// ErrSignMissingToken means the SIGN header has no token parameter, its
	// value is empty, or the token decodes to nothing.
	ErrSignMissingToken error = &malformedError{msg: "parser: SIGN header without token"}
)

// SIGN token decoding malformations.
var (
	// ErrTokenBase64 means the token is not strict standard base64 with
	// padding.
	ErrTokenBase64 error = &malformedError{msg: "parser: SIGN token is not valid base64"}

	// ErrTokenGzip means the decoded token is not a valid gzip stream (bad
	// header, corrupt deflate data, checksum or length mismatch, truncated).
	ErrTokenGzip error = &malformedError{msg: "parser: SIGN token is not valid gzip"}

	// ErrTokenTooLarge means the token exceeds its size limit, either as
	// encoded text (checked before any decoding) or as decompressed bytes
	// (a gzip bomb is stopped at the limit).
	ErrTokenTooLarge error = &malformedError{msg: "parser: SIGN token too large"}

	// ErrTokenTrailingData means bytes follow the gzip member that are not
	// another gzip member.
	ErrTokenTrailingData error = &malformedError{msg: "parser: trailing data after SIGN token"}

	// ErrTokenMultipleMembers means the token holds more than one gzip
	// member (concatenated gzip streams).
	ErrTokenMultipleMembers error = &malformedError{msg: "parser: SIGN token has several gzip members"}
)

// Bearer (RFC 6750) malformations.
var (
	// ErrBearerMalformed means a bearer token is empty or contains a byte
	// outside visible ASCII (whitespace, control characters, non-ASCII).
	ErrBearerMalformed error = &malformedError{msg: "parser: malformed bearer token"}
)

// malformedError is a sentinel of a specific malformation that also matches
// ErrMalformed with errors.Is.
type malformedError struct {
	msg string
}

func (e *malformedError) Error() string { return e.msg }

// Unwrap returns ErrMalformed, the category every malformation belongs to.
func (e *malformedError) Unwrap() error { return ErrMalformed }

// JSON-RPC envelope (spec §1) malformations. The middleware answers them
// with a JSON-RPC 2.0 error response (DESIGN §5).
var (
	// ErrJSONRPCParse means the body is not JSON at all (syntax error,
	// invalid UTF-8, lone surrogate, trailing data): JSON-RPC -32700.
	ErrJSONRPCParse error = &malformedError{msg: "parser: JSON-RPC body is not valid JSON"}

	// ErrJSONRPCInvalid means the body is JSON but not an acceptable
	// JSON-RPC 2.0 request (duplicate member names, too deep or large, not
	// an object, wrong "jsonrpc", "method", "id" or "params"): JSON-RPC
	// -32600.
	ErrJSONRPCInvalid error = &malformedError{msg: "parser: invalid JSON-RPC request"}

	// ErrSecurityCtxInvalid means params.ctx.securityCtx is not an object:
	// JSON-RPC -32600; the error Parse returns then also matches
	// ErrJSONRPCInvalid. In CtxTime.Err and CtxSignature.BytesErr, which
	// are not errors of Parse, it means that member cannot be decoded.
	ErrSecurityCtxInvalid error = &malformedError{msg: "parser: invalid JSON-RPC securityCtx"}
)
