package verifier

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// Defaults of the AccessTokenVerifier options.
const (
	// DefaultAccessTokenSkew is the clock tolerance applied to exp, nbf and
	// iat (60 s). It is deliberately smaller than the GoSDK
	// JwtAuthenticationHandler's 10 minutes: an access token lives minutes,
	// not hours, and an OAuth server and its resource servers normally run
	// NTP; a 10-minute tolerance would lengthen a 5-minute token threefold.
	DefaultAccessTokenSkew = 60 * time.Second
	// DefaultMaxAccessTokenLifetime caps exp − iat (or exp − nbf, or exp −
	// now when the token has neither) at 24 hours, the longest lifetime the
	// common identity providers let an administrator configure for access
	// tokens.
	DefaultMaxAccessTokenLifetime = 24 * time.Hour
	// DefaultMaxAccessTokenSize bounds the compact serialization (32 KiB):
	// an Entra ID or Identity Broker token with a few hundred groups stays
	// below it.
	DefaultMaxAccessTokenSize = 32 << 10
	// DefaultAccessTokenCacheSize is the number of verified access tokens
	// kept in the cache.
	DefaultAccessTokenCacheSize = 1024
	// DefaultJWKSRefreshInterval is the minimum time between two fetches of
	// the JWKS (and the discovery document): an unknown kid triggers at
	// most one refresh per interval, however many forged kids arrive.
	DefaultJWKSRefreshInterval = time.Minute
	// DefaultJWKSMaxAge is the age after which a fetched JWKS is fetched
	// again on the next verification (keys removed at the provider stop
	// being accepted after at most this long).
	DefaultJWKSMaxAge = time.Hour
	// DefaultJWKSFetchTimeout bounds one fetch (connection, redirects and
	// body) of the discovery document or the JWKS.
	DefaultJWKSFetchTimeout = 10 * time.Second
	// DefaultMaxJWKSSize bounds the JWKS and discovery documents (1 MiB).
	DefaultMaxJWKSSize = 1 << 20
	// DefaultMaxJWKSKeys bounds the number of keys in a JWKS.
	DefaultMaxJWKSKeys = 100
)

// Default claim names: GoSDK's JwtAuthenticationHandler reads the subject
// from "sub" and groups from "group_names"; "groups" is what most other
// providers (Okta, Keycloak, Entra ID with group claims) use.
const (
	DefaultSubjectClaim = "sub"
)

// DefaultGroupClaims are the claims groups are read from, in order (values
// of all of them are collected, duplicates removed).
var DefaultGroupClaims = []string{"group_names", "groups"}

// AccessTokenOption configures an AccessTokenVerifier. Options are applied
// in order by NewAccessTokenVerifier; an invalid value makes it fail with
// ErrInvalidOption.
type AccessTokenOption func(*accessConfig) error

// keySourceKind says where the keys come from.
type keySourceKind int

const (
	keysDiscovery keySourceKind = iota // default: OIDC discovery from the issuer
	keysFile
	keysURL
	keysStatic
	keysNone // only an HMAC secret
)

type accessConfig struct {
	issuer       string
	audiences    []string
	algs         []string
	hmacSecret   []byte
	clock        func() time.Time
	skew         time.Duration
	maxLifetime  time.Duration
	maxSize      int
	cacheSize    int
	requireATJWT bool
	subjectClaim string
	domainClaim  string
	groupClaims  []string

	source       keySourceKind
	sourceSet    bool
	jwksPath     string
	jwksURL      string
	jwksStatic   []byte
	httpClient   *http.Client
	interval     time.Duration
	maxAge       time.Duration
	fetchTimeout time.Duration
	maxDocSize   int
	maxKeys      int
}

func defaultAccessConfig() accessConfig {
	return accessConfig{
		algs:         slices.Clone(DefaultAccessTokenAlgorithms),
		clock:        time.Now,
		skew:         DefaultAccessTokenSkew,
		maxLifetime:  DefaultMaxAccessTokenLifetime,
		maxSize:      DefaultMaxAccessTokenSize,
		cacheSize:    DefaultAccessTokenCacheSize,
		subjectClaim: DefaultSubjectClaim,
		groupClaims:  slices.Clone(DefaultGroupClaims),
		interval:     DefaultJWKSRefreshInterval,
		maxAge:       DefaultJWKSMaxAge,
		fetchTimeout: DefaultJWKSFetchTimeout,
		maxDocSize:   DefaultMaxJWKSSize,
		maxKeys:      DefaultMaxJWKSKeys,
	}
}

// WithAccessTokenIssuer sets the issuer every token's "iss" must equal, byte for byte
// (no normalization: "https://idp/" and "https://idp" are different
// issuers). Required. With OIDC discovery (the default key source) it is
// also the URL the discovery document is fetched from, and the document's
// "issuer" must equal it.
func WithAccessTokenIssuer(issuer string) AccessTokenOption {
	return func(c *accessConfig) error {
		if issuer == "" {
			return newError("empty issuer", ErrNoIssuer, ErrInvalidOption)
		}
		c.issuer = issuer
		return nil
	}
}

// WithAccessTokenAudiences adds accepted audiences. Required: at least one. A token is
// accepted when at least one of the values of its "aud" claim (a string or
// an array) is one of them (RFC 7519 §4.1.3: the recipient must identify
// itself with a value in the claim); other members of the array are
// ignored, they name other recipients the token is also meant for.
func WithAccessTokenAudiences(audiences ...string) AccessTokenOption {
	return func(c *accessConfig) error {
		for _, a := range audiences {
			if a == "" {
				return newError("empty audience", ErrNoAudience, ErrInvalidOption)
			}
		}
		c.audiences = append(c.audiences, audiences...)
		return nil
	}
}

// WithJWKSFile reads the keys from a JWKS file (RFC 7517 §5). The file is
// read by NewAccessTokenVerifier (an unreadable or empty set is a
// constructor error) and read again when a refresh is due.
func WithJWKSFile(path string) AccessTokenOption {
	return func(c *accessConfig) error {
		if path == "" {
			return newError("empty JWKS path", ErrInvalidOption)
		}
		c.source, c.sourceSet, c.jwksPath = keysFile, true, path
		return nil
	}
}

// WithJWKSURL fetches the keys from a JWKS URL. The URL must be https,
// except for a loopback host (localhost, 127.0.0.0/8, ::1), which may use
// http. Keys are fetched lazily, on the first verification.
func WithJWKSURL(rawURL string) AccessTokenOption {
	return func(c *accessConfig) error {
		if err := checkFetchURL(rawURL); err != nil {
			return newError(err.Error(), ErrInvalidOption)
		}
		c.source, c.sourceSet, c.jwksURL = keysURL, true, rawURL
		return nil
	}
}

// WithJWKS uses a fixed JWKS document (never refreshed), e.g. the
// development issuer's keys. It is parsed by NewAccessTokenVerifier.
func WithJWKS(jwks []byte) AccessTokenOption {
	return func(c *accessConfig) error {
		c.source, c.sourceSet, c.jwksStatic = keysStatic, true, slices.Clone(jwks)
		return nil
	}
}

// WithDiscovery selects OIDC discovery (the default key source): the
// document at issuer + "/.well-known/openid-configuration" (OpenID Connect
// Discovery 1.0 §4; a trailing "/" of the issuer is not doubled) names the
// "jwks_uri"; the document's "issuer" must equal WithAccessTokenIssuer exactly. The
// issuer and jwks_uri must be https URLs except on a loopback host.
func WithDiscovery() AccessTokenOption {
	return func(c *accessConfig) error {
		c.source, c.sourceSet = keysDiscovery, true
		return nil
	}
}

// WithAccessTokenAlgorithms replaces the allow-list of JWS algorithms.
// Default DefaultAccessTokenAlgorithms (RS256/384/512, PS256/384/512,
// ES256/384/512, EdDSA). "none" is never accepted; HS256/384/512 only with
// WithHMACSecret (which adds them by itself). Unknown names are an error.
func WithAccessTokenAlgorithms(algs ...string) AccessTokenOption {
	return func(c *accessConfig) error {
		if len(algs) == 0 {
			return newError("empty algorithm list", ErrInvalidOption)
		}
		for _, a := range algs {
			if _, ok := accessAlgorithms[a]; !ok {
				return newError(fmt.Sprintf("algorithm %s not supported", quote(a)), ErrInvalidOption)
			}
		}
		c.algs = slices.Clone(algs)
		return nil
	}
}

// WithHMACSecret accepts HS256/384/512 tokens signed with this shared
// secret (at least 32 bytes). An HMAC token is only ever checked against
// this secret, never against a JWKS key, and an asymmetric algorithm never
// against the secret. Without a WithJWKS… option or WithDiscovery, the
// verifier then uses no public keys at all.
//
// WARNING: everyone who holds the secret can mint tokens; use it only when
// the issuer and this server are the same trust domain.
func WithHMACSecret(secret []byte) AccessTokenOption {
	return func(c *accessConfig) error {
		if len(secret) < 32 {
			return newError(fmt.Sprintf("HMAC secret of %d bytes, at least 32 needed", len(secret)), ErrInvalidOption)
		}
		c.hmacSecret = slices.Clone(secret)
		for _, a := range []string{"HS256", "HS384", "HS512"} {
			if !slices.Contains(c.algs, a) {
				c.algs = append(c.algs, a)
			}
		}
		if !c.sourceSet {
			c.source = keysNone
		}
		return nil
	}
}

// WithAccessTokenClock sets the clock. Default time.Now.
func WithAccessTokenClock(clock func() time.Time) AccessTokenOption {
	return func(c *accessConfig) error {
		if clock == nil {
			return newError("nil clock", ErrInvalidOption)
		}
		c.clock = clock
		return nil
	}
}

// WithAccessTokenSkew sets the clock tolerance for exp, nbf and iat
// (0 to 10 minutes). Default DefaultAccessTokenSkew (60 s).
func WithAccessTokenSkew(d time.Duration) AccessTokenOption {
	return func(c *accessConfig) error {
		if d < 0 || d > 10*time.Minute {
			return newError(fmt.Sprintf("skew %s outside 0…10m", d), ErrInvalidOption)
		}
		c.skew = d
		return nil
	}
}

// WithMaxAccessTokenLifetime caps a token's lifetime: exp − iat, or exp −
// nbf without iat, or exp − now without either, must not exceed d.
// Default DefaultMaxAccessTokenLifetime (24 h).
func WithMaxAccessTokenLifetime(d time.Duration) AccessTokenOption {
	return func(c *accessConfig) error {
		if d <= 0 {
			return newError(fmt.Sprintf("lifetime %s", d), ErrInvalidOption)
		}
		c.maxLifetime = d
		return nil
	}
}

// WithMaxAccessTokenSize bounds the token in bytes. Default
// DefaultMaxAccessTokenSize (32 KiB).
func WithMaxAccessTokenSize(n int) AccessTokenOption {
	return func(c *accessConfig) error {
		if n <= 0 {
			return newError(fmt.Sprintf("size %d", n), ErrInvalidOption)
		}
		c.maxSize = n
		return nil
	}
}

// WithAccessTokenCacheSize sets the number of verified tokens cached (keyed
// by SHA-256 of the token, kept until exp + skew at most). 0 disables the
// cache. Default DefaultAccessTokenCacheSize.
func WithAccessTokenCacheSize(n int) AccessTokenOption {
	return func(c *accessConfig) error {
		if n < 0 {
			return newError(fmt.Sprintf("cache size %d", n), ErrInvalidOption)
		}
		c.cacheSize = n
		return nil
	}
}

// WithRequireAccessTokenType requires the JOSE header "typ" to be
// "at+jwt" or "application/at+jwt" (RFC 9068 §2.1), so that an ID token or
// another JWT of the same issuer cannot be used as an access token. Default
// off (many providers, and GoSDK tokens, send "JWT"): typ may then be
// absent, "JWT", or one of the two at+jwt forms, anything else is refused.
func WithRequireAccessTokenType() AccessTokenOption {
	return func(c *accessConfig) error {
		c.requireATJWT = true
		return nil
	}
}

// WithSubjectClaim names the string claim the principal is read from
// (vapisec.ParsePrincipal splits "user@domain" and "DOMAIN\user"). Default
// "sub" (GoSDK's JwtAuthenticationHandler); for VMware Identity Broker
// see docs/oauth.md.
func WithSubjectClaim(name string) AccessTokenOption {
	return func(c *accessConfig) error {
		if name == "" {
			return newError("empty subject claim", ErrInvalidOption)
		}
		c.subjectClaim = name
		return nil
	}
}

// WithDomainClaim names a string claim that, when present and non-empty,
// sets the principal's domain (replacing a domain parsed from the subject).
// Default none.
func WithDomainClaim(name string) AccessTokenOption {
	return func(c *accessConfig) error {
		c.domainClaim = name
		return nil
	}
}

// WithGroupClaims replaces the claims groups are read from (each a string
// or an array of strings). Default DefaultGroupClaims ("group_names",
// "groups"). No names: no groups are read.
func WithGroupClaims(names ...string) AccessTokenOption {
	return func(c *accessConfig) error {
		c.groupClaims = slices.Clone(names)
		return nil
	}
}

// WithJWKSHTTPClient sets the HTTP client of the discovery and JWKS
// fetches (e.g. with a private CA). Its Timeout and CheckRedirect are
// replaced in a copy: the fetch timeout applies, and redirects are
// followed only to the same scheme and host (at most 3). Default a client
// on http.DefaultTransport.
func WithJWKSHTTPClient(client *http.Client) AccessTokenOption {
	return func(c *accessConfig) error {
		if client == nil {
			return newError("nil HTTP client", ErrInvalidOption)
		}
		c.httpClient = client
		return nil
	}
}

// WithJWKSRefreshInterval sets the minimum time between two JWKS fetches
// (at least 1 s). Default DefaultJWKSRefreshInterval.
func WithJWKSRefreshInterval(d time.Duration) AccessTokenOption {
	return func(c *accessConfig) error {
		if d < time.Second {
			return newError(fmt.Sprintf("refresh interval %s below 1s", d), ErrInvalidOption)
		}
		c.interval = d
		return nil
	}
}

// WithJWKSMaxAge sets the age after which the keys are fetched again.
// Default DefaultJWKSMaxAge.
func WithJWKSMaxAge(d time.Duration) AccessTokenOption {
	return func(c *accessConfig) error {
		if d <= 0 {
			return newError(fmt.Sprintf("max age %s", d), ErrInvalidOption)
		}
		c.maxAge = d
		return nil
	}
}

// WithJWKSFetchTimeout bounds one fetch. Default DefaultJWKSFetchTimeout.
func WithJWKSFetchTimeout(d time.Duration) AccessTokenOption {
	return func(c *accessConfig) error {
		if d <= 0 {
			return newError(fmt.Sprintf("fetch timeout %s", d), ErrInvalidOption)
		}
		c.fetchTimeout = d
		return nil
	}
}

// validate checks the configuration once all options are applied.
func (c *accessConfig) validate() error {
	if c.issuer == "" {
		return newError("WithAccessTokenIssuer is required", ErrNoIssuer, ErrInvalidOption)
	}
	if len(c.audiences) == 0 {
		return newError("WithAccessTokenAudiences is required", ErrNoAudience, ErrInvalidOption)
	}
	if c.source == keysDiscovery {
		if err := checkFetchURL(c.issuer); err != nil {
			return newError("discovery from the issuer: "+err.Error(), ErrInvalidOption)
		}
	}
	if c.source == keysFile {
		if _, err := os.Stat(c.jwksPath); err != nil {
			return newError(err.Error(), ErrInvalidOption)
		}
	}
	for _, a := range c.algs {
		if strings.HasPrefix(a, "HS") && c.hmacSecret == nil {
			return newError(a+" needs WithHMACSecret", ErrInvalidOption)
		}
	}
	return nil
}
