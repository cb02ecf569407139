package verifier

import (
	"fmt"
	"net"
	"slices"
	"strconv"
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
	// DefaultMaxEncodedTokenSize bounds a request token as it is on the
	// wire (WithMaxEncodedTokenSize): 96 KiB holds the base64 of any gzip
	// stream of a DefaultMaxTokenSize token, even one that does not
	// compress (64 KiB × 4/3 plus gzip framing), and the JSON string of a
	// real token with its escapes; real tokens are a few KiB.
	DefaultMaxEncodedTokenSize = 96 << 10
	// DefaultReplayShare is the number of live replay entries one
	// holder-of-key certificate may hold (WithReplayShare): with the
	// default skews and a Java signer (10 min validity) an entry lives
	// about 20 min, so a holder may sign about 3.4 requests per second on
	// average; at least 256 holders are needed to fill the default memory
	// cache (DefaultReplayCacheSize).
	DefaultReplayShare = 4096
	// DefaultReplaySubjectShare is the number of live replay entries one
	// token subject (user) may hold whatever holder-of-key keys it signs
	// with (WithReplaySubjectShare): 4 × DefaultReplayShare, so a user may
	// use four keys at full rate; at least 64 accounts are needed to fill
	// the default memory cache (DefaultReplayCacheSize).
	DefaultReplaySubjectShare = 4 * DefaultReplayShare
	// maxNonceLen bounds a SIGN nonce.
	maxNonceLen = 128
)

// RequestOption configures a RequestVerifier. Options are applied in order
// by NewRequestVerifier; an invalid value makes it fail with
// ErrInvalidOption.
type RequestOption func(*requestConfig) error

type requestConfig struct {
	clock          func() time.Time // nil: the token verifier's
	futureSkew     time.Duration
	pastSkew       time.Duration
	maxWindow      time.Duration
	allowBearer    bool
	jsonAlgs       map[string]requestAlg
	profiles       []canonical.Profile
	replay         ReplayCache
	replaySize     int
	replayShare    int
	userShare      int
	hosts          []allowedHost
	noSign         bool
	maxBody        int
	maxToken       int
	maxWireToken   int
	wireCacheSize  int
	canonicalDepth int
}

func defaultRequestConfig() requestConfig {
	return requestConfig{
		futureSkew:     DefaultClockSkew,
		pastSkew:       DefaultClockSkew,
		maxWindow:      DefaultMaxWindow,
		jsonAlgs:       jsonAlgorithms(),
		maxBody:        DefaultMaxBodySize,
		replayShare:    DefaultReplayShare,
		userShare:      DefaultReplaySubjectShare,
		maxToken:       DefaultMaxTokenSize,
		maxWireToken:   DefaultMaxEncodedTokenSize,
		wireCacheSize:  DefaultWireTokenCacheSize,
		canonicalDepth: canonical.DefaultMaxDepth,
	}
}

// WithRequestClock sets the clock for request timestamps, nonces, replay
// TTLs and the default memory replay cache, apart from the clock tokens are
// checked at. Default: the TokenVerifier's clock (WithClock, itself
// time.Now by default), so that one clock rules the whole request, which
// is what a server wants.
//
// WARNING: two clocks mean a token and the request that carries it are
// judged at different times. The option exists for one reason: replaying a
// dated artefact, such as a captured token whose lifetime has passed
// (WithClock in its lifetime), against requests signed now by a client
// that reads the real time for its nonce (WithRequestClock(time.Now)).
// Outside such tests leave it unset.
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
			if p != canonical.Java && !slices.Contains(c.profiles, p) {
				c.profiles = append(c.profiles, p)
			}
		}
		return nil
	}
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

// WithReplayShare bounds the live replay entries of one holder-of-key
// certificate (DESIGN Q22), in whatever ReplayCache is used: a request that
// would exceed it is refused with ErrReplayQuota (also ErrStoreUnavailable:
// fail closed, HTTP 503) until older entries of that holder expire, while
// other holders are not affected. An entry lives until its request could no
// longer pass the time checks: JSON-RPC expires + past skew, SIGN nonce
// time + past skew, at most future skew + WithMaxWindow + past skew (80 min
// at the defaults). Must be positive. Default: DefaultReplayShare (4096).
func WithReplayShare(n int) RequestOption {
	return func(c *requestConfig) error {
		if n <= 0 {
			return newError(fmt.Sprintf("replay share %d", n), ErrInvalidOption)
		}
		c.replayShare = n
		return nil
	}
}

// WithReplaySubjectShare bounds the live replay entries of one token
// subject — the user the verified token names, name and domain compared
// case-insensitively (NewReplaySubject) — whatever holder-of-key
// certificates its requests are signed with, in whatever ReplayCache is
// used (DESIGN Q22). It is counted on top of WithReplayShare, so one
// account that gets tokens for many fresh key pairs from the STS cannot
// fill the cache for everyone: a request that would exceed it is refused
// with ErrReplayQuota (also ErrStoreUnavailable: fail closed, HTTP 503)
// for that user only, until older entries of that user expire. Must be
// positive. Default: DefaultReplaySubjectShare (16384).
func WithReplaySubjectShare(n int) RequestOption {
	return func(c *requestConfig) error {
		if n <= 0 {
			return newError(fmt.Sprintf("replay subject share %d", n), ErrInvalidOption)
		}
		c.userShare = n
		return nil
	}
}

// WithAllowedHosts sets the public host names of this server for the SIGN
// scheme (DESIGN Q21): a SIGN request is verified only when the host of its
// Host header is one of them. An entry is "host" (any port) or "host:port"
// (that port only; the port as it is signed, spec §8.2: the Host header's
// explicit port, or 80 when it has none). IPv6 addresses are written in
// brackets ("[::1]", "[::1]:8443"); names are compared case-insensitively.
// Each call adds to the list. An entry that is empty, carries a scheme, a
// path, a wildcard or a bad port is a configuration error
// (ErrInvalidOption).
//
// Required unless WithoutSIGN: NewRequestVerifier fails with
// ErrNoAllowedHosts without it. The SIGN signature covers the host and
// port, but the client signs whatever host it believes it talks to: without
// the list, a header signed for http://evil.example:8080/api/session and
// relayed here with "Host: evil.example:8080" would log in. JSON-RPC bodies
// are not bound to a host (spec §7 signs no host), so the list does not
// apply to them.
func WithAllowedHosts(hosts ...string) RequestOption {
	return func(c *requestConfig) error {
		if len(hosts) == 0 {
			return newError("WithAllowedHosts without a host", ErrNoAllowedHosts, ErrInvalidOption)
		}
		for _, h := range hosts {
			ah, err := parseAllowedHost(h)
			if err != nil {
				return err
			}
			c.hosts = append(c.hosts, ah)
		}
		return nil
	}
}

// WithoutSIGN builds a verifier for JSON-RPC bodies only: VerifySign answers
// ErrSignDisabled (reason scheme_not_allowed), and no WithAllowedHosts is
// needed. Use it for offline checks and servers that do not accept
// "Authorization: SIGN". Combining it with WithAllowedHosts is a
// configuration error.
func WithoutSIGN() RequestOption {
	return func(c *requestConfig) error {
		c.noSign = true
		return nil
	}
}

// allowedHost is one WithAllowedHosts entry, in the form requestHostPort
// returns (lower case, IPv6 in brackets); port "" matches any port.
type allowedHost struct {
	host, port string
}

// parseAllowedHost reads a WithAllowedHosts entry.
func parseAllowedHost(s string) (allowedHost, error) {
	bad := func(why string) (allowedHost, error) {
		return allowedHost{}, newError(fmt.Sprintf("allowed host %.80q: %s", s, why), ErrInvalidOption)
	}
	if s == "" {
		return bad("empty")
	}
	if strings.ContainsAny(s, "/\\?#@*,; \t\r\n") {
		return bad("want host or host:port, no scheme, path, user, wildcard or spaces")
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return bad("bad port")
		}
	} else if strings.Count(s, ":") == 1 {
		return bad("bad port")
	}
	bracketed := strings.HasPrefix(s, "[")
	host = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if host == "" || strings.ContainsAny(host, "[]") {
		return bad("empty host or stray bracket")
	}
	if bracketed || strings.IndexByte(host, ':') >= 0 {
		if net.ParseIP(host) == nil {
			return bad("not an IPv6 address")
		}
		host = "[" + host + "]"
	}
	return allowedHost{host: host, port: port}, nil
}

// hostAllowed reports whether the signed host and port (requestHostPort)
// match an allowed entry.
func (c *requestConfig) hostAllowed(host, port string) bool {
	for _, a := range c.hosts {
		if a.host == host && (a.port == "" || a.port == port) {
			return true
		}
	}
	return false
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
// token (checked while gunzipping) and the samlToken JSON string. The wire
// form is bounded first, by WithMaxEncodedTokenSize. Must be positive.
// Default: DefaultMaxTokenSize (64 KiB).
func WithMaxRequestTokenSize(n int) RequestOption {
	return func(c *requestConfig) error {
		if n <= 0 {
			return newError(fmt.Sprintf("max token size %d", n), ErrInvalidOption)
		}
		c.maxToken = n
		return nil
	}
}

// WithMaxEncodedTokenSize bounds a token in a request as it is on the wire:
// the base64 SIGN token parameter and the raw samlToken JSON string
// (escapes included). It is checked first, before the token is hashed,
// unescaped, base64-decoded or gunzipped (ErrEncodedTokenTooLarge, also
// ErrTokenTooLarge and ErrMalformedToken), so that a large token costs
// nothing but its length. It is its own limit: raising
// WithMaxRequestTokenSize does not raise it (raise both for larger tokens).
// Must be positive. Default: DefaultMaxEncodedTokenSize (96 KiB).
func WithMaxEncodedTokenSize(n int) RequestOption {
	return func(c *requestConfig) error {
		if n <= 0 {
			return newError(fmt.Sprintf("max encoded token size %d", n), ErrInvalidOption)
		}
		c.maxWireToken = n
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
