package conformance

import "errors"

// The errors of the conformance package. Compare with errors.Is.
var (
	// ErrInvalidSuite means vectors.json (or a suite given to NewRunner) is
	// not well-formed: unknown fields, a duplicate or empty id, an unknown
	// level, body kind, template or step kind.
	ErrInvalidSuite = errors.New("conformance: invalid suite")

	// ErrInvalidOption means a runner option is not usable: an empty or
	// non-HTTP target, an unknown level, a bad regular expression.
	ErrInvalidOption = errors.New("conformance: invalid option")

	// ErrInvalidFormat means an unknown report format.
	ErrInvalidFormat = errors.New("conformance: invalid report format")

	// ErrMissingMaterial means a case needs credentials or keys the caller
	// did not supply; the case is skipped.
	ErrMissingMaterial = errors.New("conformance: missing material")

	// ErrUnexpected means the target's answer differs from the case's
	// expectation; the case fails.
	ErrUnexpected = errors.New("conformance: unexpected answer")

	// ErrTransport means a request could not be sent or its answer read.
	ErrTransport = errors.New("conformance: transport error")
)
