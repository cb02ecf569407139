package soap

import (
	"errors"
	"fmt"
)

// The errors of the soap package. Compare with errors.Is, never by string.
//
// ParseEnvelope fails with ErrMalformed for input that is not a SOAP 1.1
// envelope of the vim25 shape; the refined sentinels below match it too, so
// a caller that only needs "400 or not" tests ErrMalformed.
var (
	// ErrMalformed means the request body is not a well-formed SOAP 1.1
	// envelope with exactly one Body holding exactly one vim25 method
	// element. The handler answers 400 with a SOAP Client fault.
	ErrMalformed = errors.New("soap: malformed envelope")

	// ErrUnsafeXML means the body carries XML constructs the parser never
	// accepts: a DOCTYPE or other directive, entity references other than
	// the five predefined ones, processing instructions other than one
	// leading UTF-8 XML declaration, comments. It matches ErrMalformed.
	ErrUnsafeXML error = &refinedError{msg: "soap: unsafe XML", parent: ErrMalformed}

	// ErrXMLLimit means the body nests elements deeper than, or holds more
	// elements than, the parser's limits, or carries more than 64
	// attributes on one element. It matches ErrMalformed.
	ErrXMLLimit error = &refinedError{msg: "soap: XML exceeds the parser's limits", parent: ErrMalformed}

	// ErrDuplicateAttribute means an element carries the same attribute
	// twice (by name, or by namespace URI and local name). It matches
	// ErrMalformed.
	ErrDuplicateAttribute error = &refinedError{msg: "soap: duplicate attribute", parent: ErrMalformed}

	// ErrVersionMismatch means the envelope is not SOAP 1.1: a SOAP 1.2
	// envelope (namespace http://www.w3.org/2003/05/soap-envelope, or
	// Content-Type application/soap+xml) or an envelope in an unknown
	// namespace. The handler answers 400 with a VersionMismatch fault. It
	// matches ErrMalformed.
	ErrVersionMismatch error = &refinedError{msg: "soap: not a SOAP 1.1 envelope", parent: ErrMalformed}

	// ErrTooLarge means the body is longer than the handler's limit
	// (WithMaxBodySize). The handler answers 413.
	ErrTooLarge = errors.New("soap: request body too large")

	// ErrContentType means the request's Content-Type is not text/xml
	// (SOAP 1.1). A browser can send text/plain, form-encoded and multipart
	// bodies cross-site without asking the server first (a "simple"
	// request); text/xml it cannot. The handler answers 415.
	ErrContentType = errors.New("soap: Content-Type must be text/xml")

	// ErrCrossSite means a browser marked the request as coming from
	// another site (Sec-Fetch-Site, Origin); the handler answers 403 before
	// it reads credentials or the session cookie.
	ErrCrossSite = errors.New("soap: cross-site request refused")

	// ErrInvalidLogin is what an Authenticator (or a TokenLogin) wraps when
	// the credentials are wrong; the handler answers the InvalidLogin fault.
	// Any other error from them means "could not decide" and is answered
	// with 503.
	ErrInvalidLogin = errors.New("soap: invalid login")

	// ErrConfig means NewHandler was given an unusable configuration (a nil
	// Manager or option, a non-positive limit).
	ErrConfig = errors.New("soap: invalid configuration")
)

// refinedError is a sentinel that also matches a broader sentinel.
type refinedError struct {
	msg    string
	parent error
}

func (e *refinedError) Error() string { return e.msg }
func (e *refinedError) Unwrap() error { return e.parent }

// malformed returns an error matching sentinel whose message adds the
// formatted detail. Attacker bytes in args must already be quoted and
// truncated (%.20q).
func malformed(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
