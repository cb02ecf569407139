package canonical

import (
	"fmt"
	"unicode/utf8"
)

const (
	// DefaultMaxSize is the input size limit used when [WithMaxSize] is not
	// given: 1 MiB.
	DefaultMaxSize = 1 << 20
	// DefaultMaxDepth is the nesting limit used when [WithMaxDepth] is not
	// given.
	DefaultMaxDepth = 128
	// MaxDepthLimit is the largest value [WithMaxDepth] accepts.
	MaxDepthLimit = 10000
)

// config is what the options set.
type config struct {
	profile  Profile
	maxSize  int
	maxDepth int
	drop     []string
}

// Option configures a [Canonicalizer] ([New], and the package functions
// [Canonicalize] and [AppendCanonical], which build one). Options are applied
// in order; an invalid value makes [New] fail with an error matching
// [ErrInvalidOption].
type Option func(*config) error

// WithProfile selects the canonical form. A value that is not one of the
// declared profiles is an error matching [ErrUnknownProfile]. Default: [Java].
func WithProfile(p Profile) Option {
	return func(c *config) error {
		if !p.valid() {
			return fmt.Errorf("%w %d", ErrUnknownProfile, int(p))
		}
		c.profile = p
		return nil
	}
}

// WithMaxSize sets the largest accepted input in bytes; longer input is
// rejected with [ErrTooLarge] before any parsing. Must be positive.
// Default: [DefaultMaxSize] (1 MiB).
func WithMaxSize(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: max size %d must be positive", ErrInvalidOption, n)
		}
		c.maxSize = n
		return nil
	}
}

// WithMaxDepth sets the deepest accepted nesting of objects and arrays (the
// top-level object or array is depth 1); deeper input is rejected with
// [ErrTooDeep]. Must be in [1, MaxDepthLimit]. Default: [DefaultMaxDepth] (128).
func WithMaxDepth(n int) Option {
	return func(c *config) error {
		if n < 1 || n > MaxDepthLimit {
			return fmt.Errorf("%w: max depth %d not in [1, %d]", ErrInvalidOption, n, MaxDepthLimit)
		}
		c.maxDepth = n
		return nil
	}
}

// WithoutMember leaves out of the output the member found at exactly this
// path of member names from the top-level object, e.g.
// WithoutMember("params", "ctx", "securityCtx", "signature") as a JSON-RPC
// verifier does (spec §7.2). A member of the same name anywhere else is kept;
// a path through an array or a non-object never matches. The dropped value is
// still fully validated, and two members of that name are still a
// [ErrDuplicateMember]. [Canonicalizer.AppendResult] reports whether the
// member was present. The path must be non-empty and valid UTF-8; a later
// WithoutMember replaces an earlier one. Default: nothing is dropped.
func WithoutMember(path ...string) Option {
	return func(c *config) error {
		if len(path) == 0 {
			return fmt.Errorf("%w: empty member path", ErrInvalidOption)
		}
		for _, p := range path {
			if !utf8.ValidString(p) {
				return fmt.Errorf("%w: member path element %.40q is not valid UTF-8", ErrInvalidOption, p)
			}
		}
		c.drop = append([]string(nil), path...)
		return nil
	}
}
