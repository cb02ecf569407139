package signer

import (
	"fmt"
	"time"

	"github.com/vapisec/vapisec/canonical"
)

// DefaultValidity is the timestamp window of a signed JSON-RPC request when
// none is configured: expires = created + 10 minutes, as the Java SDK signs
// (TS_DEF_OFFSET, spec §7.3; the Python and Go SDKs use 20 minutes).
const DefaultValidity = 10 * time.Minute

// DefaultMaxRequestSize bounds the JSON-RPC request a signer accepts and the
// body a HeaderSigner or Transport buffers to sign: 1 MiB.
const DefaultMaxRequestSize = canonical.DefaultMaxSize

// config is what Options set; each signer uses the fields it needs.
type config struct {
	alg      Algorithm
	validity time.Duration
	clock    func() time.Time
	maxSize  int
	nonce    func() (string, error)
}

func newConfig(opts []Option) (config, error) {
	cfg := config{alg: DefaultAlgorithm, validity: DefaultValidity, clock: time.Now, maxSize: DefaultMaxRequestSize}
	for _, o := range opts {
		if o == nil {
			return cfg, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// Option configures a JSONRPCSigner or a HeaderSigner. An option that does
// not apply to a signer is ignored by it.
type Option func(*config) error

// WithAlgorithm sets the signature algorithm. The key must fit it (RSA for
// RS*, ECDSA on the matching curve for ES*); a HeaderSigner accepts only
// RS256, RS384 and RS512 (signature_alg RSA-SHA256, -SHA384, -SHA512).
// Default: DefaultAlgorithm (RS256). Ignored by bearer signers.
func WithAlgorithm(a Algorithm) Option {
	return func(c *config) error {
		if _, ok := a.params(); !ok {
			return fmt.Errorf("%w: %.40q", ErrUnsupportedAlgorithm, string(a))
		}
		c.alg = a
		return nil
	}
}

// WithValidity sets expires − created of the JSON-RPC timestamp block; it
// must be positive and at most a day. Default: DefaultValidity (10
// minutes). Used by the holder-of-key JSONRPCSigner only.
func WithValidity(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 || d > 24*time.Hour {
			return fmt.Errorf("%w: validity %v not in (0, 24h]", ErrInvalidOption, d)
		}
		c.validity = d
		return nil
	}
}

// WithClock sets the clock that dates JSON-RPC timestamp blocks ("created")
// and the time part of default SIGN nonces. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		c.clock = now
		return nil
	}
}

// WithMaxRequestSize bounds the JSON-RPC request to sign and the body a
// HeaderSigner buffers, in bytes; larger ones give ErrBodyTooLarge. Must be
// positive. Default: DefaultMaxRequestSize (1 MiB).
func WithMaxRequestSize(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: max request size %d must be positive", ErrInvalidOption, n)
		}
		c.maxSize = n
		return nil
	}
}

// WithNonceSource sets where a holder-of-key HeaderSigner gets the nonce of
// each request. The nonce must be unique per request (servers keep a replay
// cache) and consist of visible ASCII other than '"', ',' and '\'.
// Default: govmomi's form "<unix milliseconds>:<random non-negative int63>",
// from the WithClock clock and crypto/rand.
func WithNonceSource(next func() (string, error)) Option {
	return func(c *config) error {
		if next == nil {
			return fmt.Errorf("%w: nil nonce source", ErrInvalidOption)
		}
		c.nonce = next
		return nil
	}
}
