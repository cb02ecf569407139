package verifier

import (
	"fmt"
	"strings"
	"time"

	"github.com/vapisec/vapisec/canonical"
)

// Defaults of the RequestVerifier options.
const (
	// DefaultMaxWindow bounds expires − created of a JSON-RPC timestamp
	// (DESIGN Q11): signers use 10 (Java) or 20 (Python, Go) minutes.
	DefaultMaxWindow = time.Hour
	// DefaultMaxBodySize bounds the request body, in bytes (1 MiB, the
	// canonical package's default).
	DefaultMaxBodySize = canonical.DefaultMaxSize
	// DefaultWireTokenCacheSize is the number of tokens the request
	// verifier remembers by their wire form (JSON string or SIGN base64).
	DefaultWireTokenCacheSize = 1024
	// maxNonceLen bounds a SIGN nonce.
	maxNonceLen = 128
)

// RequestOption configures a RequestVerifier. Options are applied in order
// by NewRequestVerifier; an invalid value makes it fail with
// ErrInvalidOption.
type RequestOption func(*requestConfig) error

type requestConfig struct {
	clock          func() time.Time
	futureSkew     time.Duration
	pastSkew       time.Duration
	maxWindow      time.Duration
	allowBearer    bool
	jsonAlgs       map[string]requestAlg
	profiles       []canonical.Profile
	replay         ReplayCache
	replaySize     int
	hosts          []string
	maxBody        int
	maxToken       int
	wireCacheSize  int
	canonicalDepth int
}

func defaultRequestConfig() requestConfig {
	return requestConfig{
		clock:          time.Now,
		futureSkew:     DefaultClockSkew,
		pastSkew:       DefaultClockSkew,
		maxWindow:      DefaultMaxWindow,
		jsonAlgs:       jsonAlgorithms(),
		maxBody:        DefaultMaxBodySize,
		maxToken:       DefaultMaxTokenSize,
		wireCacheSize:  DefaultWireTokenCacheSize,
		canonicalDepth: canonical.DefaultMaxDepth,
	}
}

// WithRequestClock sets the clock for timestamps, nonces and replay TTLs.
// The token verifier keeps its own clock (WithClock). Default: time.Now.
func WithRequestClock(now func() time.Time) RequestOption {
	return func(c *requestConfig) error {
		if now == nil {
			return newError("nil clock", ErrInvalidOption)
		}
		c.clock = now
		return nil
	}
}

// WithRequestClockSkew sets both WithFutureSkew and WithPastSkew. Default:
// DefaultClockSkew (600 s, Java's tolerance).
func WithRequestClockSkew(d time.Duration) RequestOption {
	return func(c *requestConfig) error {
		if d < 0 {
			return newError(fmt.Sprintf("negative skew %v", d), ErrInvalidOption)
		}
		c.futureSkew, c.pastSkew = d, d
		return nil
	}
}

// WithFutureSkew sets how far in the future a JSON-RPC created (or a SIGN
// nonce time) may lie: created ≤ now + d. Default: DefaultClockSkew.
func WithFutureSkew(d time.Duration) RequestOption {
	return func(c *requestConfig) error {
		if d < 0 {
			return newError(fmt.Sprintf("negative skew %v", d), ErrInvalidOption)
		}
		c.futureSkew = d
		return nil
	}
}

// WithPastSkew sets how far in the past a JSON-RPC expires (or a SIGN nonce
// time) may lie: expires ≥ now − d. It also sets how long replay entries
// live. Default: DefaultClockSkew.
func WithPastSkew(d time.Duration) RequestOption {
	return func(c *requestConfig) error {
		if d < 0 {
			return newError(fmt.Sprintf("negative skew %v", d), ErrInvalidOption)
		}
		c.pastSkew = d
		return nil
	}
}

// WithMaxWindow bounds expires − created of a JSON-RPC timestamp. Must be
// positive. Default: DefaultMaxWindow (1 h).
func WithMaxWindow(d time.Duration) RequestOption {
	return func(c *requestConfig) error {
		if d <= 0 {
			return newError(fmt.Sprintf("max window %v must be positive", d), ErrInvalidOption)
		}
		c.maxWindow = d
		return nil
	}
}

// WithAllowBearer accepts SAML bearer tokens: a JSON-RPC securityCtx of the
// saml_bearer_token scheme and a SIGN header with only a token.
//
// WARNING: a bearer token proves nothing about the sender: whoever holds a
// copy (a log, a proxy, a compromised client) can use it until it expires,
// and bearer requests are not covered by the replay check. vCenter accepts
// them only where its configuration allows (DESIGN Q10). Default: false,
// holder-of-key only.
func WithAllowBearer(allow bool) RequestOption {
	return func(c *requestConfig) error {
		c.allowBearer = allow
		return nil
	}
}

// WithAlgorithms narrows the JSON-RPC signatureAlgorithm allow-list to
// names, each one of RS256, RS384, RS512, ES256, ES384, ES512 (exact case,
// DESIGN Q15). Default: all six. SIGN accepts RSA-SHA256/384/512 always.
func WithAlgorithms(names ...string) RequestOption {
	return func(c *requestConfig) error {
		all := jsonAlgorithms()
		m := make(map[string]requestAlg, len(names))
		for _, n := range names {
			a, ok := all[n]
			if !ok {
				return newError(fmt.Sprintf("algorithm %.40q not one of RS256 RS384 RS512 ES256 ES384 ES512", n), ErrInvalidOption)
			}
			m[n] = a
		}
		if len(m) == 0 {
			return newError("empty algorithm list", ErrInvalidOption)
		}
		c.jsonAlgs = m
		return nil
	}
}

// WithProfiles adds canonical profiles whose form is also accepted for a
// JSON-RPC signature, tried in order after the Java profile fails (DESIGN
// Q5): canonical.GoSDK for signatures made by the vSphere Automation SDK
// for Go, canonical.Python for the Python SDK. Default: none (Java only).
func WithProfiles(profiles ...canonical.Profile) RequestOption {
	return func(c *requestConfig) error {
		for _, p := range profiles {
			if p.String() == fmt.Sprintf("Profile(%d)", int(p)) {
				return newError(fmt.Sprintf("unknown profile %d", int(p)), ErrInvalidOption)
			}
			if p != canonical.Java && !containsProfile(c.profiles, p) {
				c.profiles = append(c.profiles, p)
			}
		}
		return nil
	}
}

func containsProfile(ps []canonical.Profile, p canonical.Profile) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

// WithReplayCache sets where accepted requests are remembered (a shared
// store for several instances). Default: a MemoryReplayCache of
// WithReplayCacheSize entries using the request clock.
func WithReplayCache(rc ReplayCache) RequestOption {
	return func(c *requestConfig) error {
		if rc == nil {
			return newError("nil replay cache", ErrInvalidOption)
		}
		c.replay = rc
		return nil
	}
}

// WithReplayCacheSize sets the size of the default memory replay cache.
// Must be positive. Default: DefaultReplayCacheSize.
func WithReplayCacheSize(n int) RequestOption {
	return func(c *requestConfig) error {
		if n <= 0 {
			return newError(fmt.Sprintf("replay cache size %d", n), ErrInvalidOption)
		}
		c.replaySize = n
		return nil
	}
}

// WithAllowedHosts restricts SIGN requests to these host names (compared
// case-insensitively with the host part of the Host header, without port).
// Default: none, any host (the host is still covered by the signature).
func WithAllowedHosts(hosts ...string) RequestOption {
	return func(c *requestConfig) error {
		for _, h := range hosts {
			if h == "" {
				return newError("empty host", ErrInvalidOption)
			}
			c.hosts = append(c.hosts, strings.ToLower(h))
		}
		return nil
	}
}

// WithMaxBodySize bounds the request body in bytes; it also bounds the
// JSON-RPC canonicalizer's input. Must be positive. Default:
// DefaultMaxBodySize (1 MiB).
func WithMaxBodySize(n int) RequestOption {
	return func(c *requestConfig) error {
		if n <= 0 {
			return newError(fmt.Sprintf("max body size %d", n), ErrInvalidOption)
		}
		c.maxBody = n
		return nil
	}
}

// WithMaxRequestTokenSize bounds a token in a request: the decoded SIGN
// token (checked while gunzipping) and the samlToken JSON string. Must be
// positive. Default: DefaultMaxTokenSize (64 KiB).
func WithMaxRequestTokenSize(n int) RequestOption {
	return func(c *requestConfig) error {
		if n <= 0 {
			return newError(fmt.Sprintf("max token size %d", n), ErrInvalidOption)
		}
		c.maxToken = n
		return nil
	}
}

// WithWireTokenCacheSize sets how many tokens are remembered by their wire
// form, so that a repeated token is neither unescaped nor gunzipped nor
// hashed again; zero disables it. Entries follow the token verifier: they
// expire with the token and are ignored after a trust anchor Reload.
// Default: DefaultWireTokenCacheSize.
func WithWireTokenCacheSize(n int) RequestOption {
	return func(c *requestConfig) error {
		if n < 0 {
			return newError(fmt.Sprintf("wire token cache size %d", n), ErrInvalidOption)
		}
		c.wireCacheSize = n
		return nil
	}
}
