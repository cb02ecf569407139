package canonical

import (
	"errors"
	"fmt"
)

// Input errors. Every error returned for a rejected document is an
// [*InputError] that matches [ErrInvalid] and exactly one of the specific
// sentinels below with [errors.Is].
var (
	// ErrInvalid is the category of every input error: the document is not
	// acceptable and must be rejected (HTTP 400 for a request body).
	ErrInvalid = errors.New("canonical: invalid input")
	// ErrSyntax reports a document that is not JSON (RFC 8259): bad token,
	// unterminated string, raw control character, bad escape, empty input.
	ErrSyntax = errors.New("canonical: syntax error")
	// ErrDuplicateMember reports an object with two members of the same name
	// (after unescaping). vAPI runtimes keep the last one; vapisec rejects
	// (DESIGN.md Q6).
	ErrDuplicateMember = errors.New("canonical: duplicate member")
	// ErrInvalidUTF8 reports bytes that are not valid UTF-8.
	ErrInvalidUTF8 = errors.New("canonical: invalid UTF-8")
	// ErrLoneSurrogate reports an unpaired UTF-16 surrogate, escaped
	// ("\ud800") or raw (CESU-8 bytes ED A0..BF xx).
	ErrLoneSurrogate = errors.New("canonical: lone surrogate")
	// ErrTrailingData reports anything but whitespace after the top-level value.
	ErrTrailingData = errors.New("canonical: trailing data")
	// ErrTooDeep reports objects and arrays nested deeper than the limit
	// (see [WithMaxDepth]).
	ErrTooDeep = errors.New("canonical: nesting too deep")
	// ErrTooLarge reports an input longer than the limit (see [WithMaxSize]).
	ErrTooLarge = errors.New("canonical: input too large")
	// ErrNumberOutOfRange reports a number the profile cannot represent:
	// a non-integer beyond the float64 range in the Java profile (Java fails
	// on Infinity), and in the GoSDK and Python profiles numbers outside the
	// documented bounds (see the package documentation).
	ErrNumberOutOfRange = errors.New("canonical: number out of range")
)

// Configuration errors, returned by [New] (never for input).
var (
	// ErrInvalidOption reports an option with an unusable value.
	ErrInvalidOption = errors.New("canonical: invalid option")
	// ErrUnknownProfile reports a profile name or value that does not exist.
	// It also matches ErrInvalidOption.
	ErrUnknownProfile = fmt.Errorf("%w: unknown profile", ErrInvalidOption)
)

// InputError describes why a document was rejected and where. Its Unwrap
// returns both the specific sentinel (Err) and [ErrInvalid].
type InputError struct {
	// Err is the specific sentinel, e.g. ErrDuplicateMember.
	Err error
	// Offset is the byte offset in the input at which the problem was found.
	Offset int
	// Detail is a short explanation; input text in it is quoted and truncated.
	Detail string
}

// Error returns e.g. `canonical: duplicate member "a" at offset 12`.
func (e *InputError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%v at offset %d", e.Err, e.Offset)
	}
	return fmt.Sprintf("%v %s at offset %d", e.Err, e.Detail, e.Offset)
}

// Unwrap returns the specific sentinel and ErrInvalid.
func (e *InputError) Unwrap() []error { return []error{e.Err, ErrInvalid} }

// inputErr builds an *InputError.
func inputErr(sentinel error, offset int, detail string) error {
	return &InputError{Err: sentinel, Offset: offset, Detail: detail}
}

// quote quotes attacker-controlled text for an error message, truncated to
// 40 characters.
func quote(b []byte) string { return fmt.Sprintf("%.40q", b) }
