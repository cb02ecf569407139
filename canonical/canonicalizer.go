package canonical

import (
	"errors"
	"fmt"
	"sync"
)

// Canonicalizer turns JSON documents into their canonical bytes for one
// configuration. Build it once with [New] and reuse it: it is safe for
// concurrent use and keeps pooled scratch buffers, so a warm call allocates
// nothing but the output it is asked to grow. Do not copy a Canonicalizer
// after first use.
type Canonicalizer struct {
	cfg  config
	pool sync.Pool // of *state
}

// Result is what [Canonicalizer.AppendResult] returns.
type Result struct {
	// Canonical is dst with the canonical bytes appended.
	Canonical []byte
	// Dropped reports whether the member named by [WithoutMember] was
	// present (and left out).
	Dropped bool
	// DroppedValue is the raw JSON text of the dropped member's value exactly
	// as it appears in src (a sub-slice of src, not a copy); nil when
	// nothing was dropped.
	DroppedValue []byte
}

// New returns a Canonicalizer configured by opts. Defaults: the [Java]
// profile, [DefaultMaxSize], [DefaultMaxDepth], no member dropped. A nil or
// invalid option returns an error matching [ErrInvalidOption].
func New(opts ...Option) (*Canonicalizer, error) {
	cfg := config{profile: Java, maxSize: DefaultMaxSize, maxDepth: DefaultMaxDepth}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return &Canonicalizer{cfg: cfg}, nil
}

// Profile returns the configured profile.
func (c *Canonicalizer) Profile() Profile { return c.cfg.profile }

// Canonicalize returns the canonical bytes of the JSON document src in a new
// slice. A rejected document returns nil and an [*InputError] matching
// [ErrInvalid] and a specific sentinel.
func (c *Canonicalizer) Canonicalize(src []byte) ([]byte, error) {
	out, err := c.Append(make([]byte, 0, len(src)+len(src)/8+8), src)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Append appends the canonical bytes of src to dst and returns the extended
// slice. On error it returns dst unchanged (its spare capacity may have been
// written to) and an [*InputError].
func (c *Canonicalizer) Append(dst, src []byte) ([]byte, error) {
	r, err := c.AppendResult(dst, src)
	return r.Canonical, err
}

// AppendResult is [Canonicalizer.Append] that also reports whether the
// member configured with [WithoutMember] was present, and its raw value.
func (c *Canonicalizer) AppendResult(dst, src []byte) (Result, error) {
	return c.run(dst, src, passCanonical)
}

// Validate checks src exactly as [Canonicalizer.Append] does — the same
// rules, limits and errors: an error from Validate is the error Append
// would return for src, and Validate accepts src only when Append does — but
// builds no canonical form, so it costs less. The Result's Canonical is nil;
// Dropped and DroppedValue are reported as by AppendResult.
func (c *Canonicalizer) Validate(src []byte) (Result, error) {
	r, err := c.run(nil, src, passValidate)
	r.Canonical = nil
	return r, err
}

// AppendIfDropped validates src as [Canonicalizer.Validate] does and
// appends its canonical form to dst only when the member configured with
// [WithoutMember] is present: a JSON-RPC parser needs the canonical bytes
// only when there is a signature to check them against. When the member is
// found, src is canonicalized from its start (what was validated before
// that member is scanned twice; for bodies written in canonical order, as
// VMware's clients write them, that is a short prefix). Without
// WithoutMember it never appends. The Result and error are those of
// AppendResult when the member is present, and those of Validate (with
// Canonical = dst) when it is not.
func (c *Canonicalizer) AppendIfDropped(dst, src []byte) (Result, error) {
	if len(c.cfg.drop) == 0 {
		r, err := c.run(nil, src, passValidate)
		r.Canonical = dst
		return r, err
	}
	r, err := c.run(nil, src, passValidateUntilDrop)
	if err == errNeedCanonical {
		return c.run(dst, src, passCanonical)
	}
	r.Canonical = dst
	return r, err
}

// pass is what one run over the input produces.
type pass int

const (
	passCanonical         pass = iota // check and write the canonical form
	passValidate                      // check only
	passValidateUntilDrop             // check only; stop at the dropped member
)

// errNeedCanonical ends a passValidateUntilDrop run at the member of
// WithoutMember. It never leaves the package.
var errNeedCanonical = errors.New("canonical: the dropped member is present")

func (c *Canonicalizer) run(dst, src []byte, p pass) (Result, error) {
	if len(src) > c.cfg.maxSize {
		return Result{Canonical: dst}, inputErr(ErrTooLarge, c.cfg.maxSize,
			fmt.Sprintf("(%d bytes, limit %d)", len(src), c.cfg.maxSize))
	}
	s, _ := c.pool.Get().(*state)
	if s == nil {
		s = new(state)
	}
	s.reset(&c.cfg, src)
	out := dst
	if p != passCanonical {
		s.validate, s.stopAtDrop = true, p == passValidateUntilDrop
		out = s.vbuf[:0]
	}
	out, err := s.document(out)
	res := Result{Canonical: out}
	if p != passCanonical {
		s.vbuf, res.Canonical = out[:0], dst
	}
	if err != nil {
		res.Canonical = dst
	} else if s.dropped {
		res.Dropped = true
		res.DroppedValue = src[s.dropStart:s.dropEnd:s.dropEnd]
	}
	s.release()
	if s.size() <= maxPooledScratch {
		c.pool.Put(s)
	}
	return res, err
}

// defaultCanonicalizer serves Canonicalize and AppendCanonical without
// options. Its configuration never changes; only its buffer pool does.
var defaultCanonicalizer = mustNew()

// mustNew returns New() and panics if the default configuration is ever
// made invalid: a programming error, caught at package initialization.
func mustNew() *Canonicalizer {
	c, err := New()
	if err != nil {
		panic("canonical: default configuration is invalid: " + err.Error())
	}
	return c
}

// Canonicalize returns the canonical bytes of the JSON document src with the
// given options (default: the [Java] profile). Callers on a hot path should
// build a [Canonicalizer] once instead: with options, every call pays for
// [New].
func Canonicalize(src []byte, opts ...Option) ([]byte, error) {
	if len(opts) == 0 {
		return defaultCanonicalizer.Canonicalize(src)
	}
	c, err := New(opts...)
	if err != nil {
		return nil, err
	}
	return c.Canonicalize(src)
}

// AppendCanonical appends the canonical bytes of src to dst; see
// [Canonicalizer.Append].
func AppendCanonical(dst, src []byte, opts ...Option) ([]byte, error) {
	if len(opts) == 0 {
		return defaultCanonicalizer.Append(dst, src)
	}
	c, err := New(opts...)
	if err != nil {
		return dst, err
	}
	return c.Append(dst, src)
}
