package verifier

import (
	"crypto/x509"
	"fmt"
	"slices"
	"time"
)

// Defaults of the TokenVerifier options.
const (
	// DefaultClockSkew is the clock tolerance applied to token lifetimes,
	// the Java runtime's DEFAULT_CLOCK_TOLERANCE_SEC (600 s).
	DefaultClockSkew = 600 * time.Second
	// DefaultMaxTokenSize bounds the size of a token in bytes (64 KiB); a
	// vCenter token with a few hundred groups stays well below it.
	DefaultMaxTokenSize = 64 << 10
	// DefaultCacheSize is the number of verified tokens kept in the cache.
	DefaultCacheSize = 1024
	// DefaultMaxXMLDepth bounds the element nesting of a token (a vCenter
	// token nests 7 deep).
	DefaultMaxXMLDepth = 32
	// DefaultMaxXMLElements bounds the number of elements in a token.
	DefaultMaxXMLElements = 4096
)

// TokenOption configures a TokenVerifier. Options are applied in order by
// NewTokenVerifier; an invalid value makes it fail with ErrInvalidOption.
type TokenOption func(*tokenConfig) error

// tokenConfig is the immutable configuration of a TokenVerifier (trust
// anchors live apart, in the swappable trust state).
type tokenConfig struct {
	anchors     TrustAnchors
	clock       func() time.Time
	skew        time.Duration
	audiences   []string
	maxSize     int
	sigAlgs     []string
	digestAlgs  []string
	cacheSize   int
	maxDepth    int
	maxElements int
}

func defaultTokenConfig() tokenConfig {
	return tokenConfig{
		clock:       time.Now,
		skew:        DefaultClockSkew,
		maxSize:     DefaultMaxTokenSize,
		sigAlgs:     defaultSignatureAlgorithms,
		digestAlgs:  allDigestAlgorithms,
		cacheSize:   DefaultCacheSize,
		maxDepth:    DefaultMaxXMLDepth,
		maxElements: DefaultMaxXMLElements,
	}
}

// WithTrustedCertificates pins STS signing certificates: a token verifies
// when the first certificate of its ds:KeyInfo is byte-for-byte one of them
// (or, with no KeyInfo, when exactly one certificate is pinned and no root is
// configured) and the certificate is valid at the verifier's clock. Repeated
// use adds certificates. Default: none; at least one trusted certificate or
// root is required.
func WithTrustedCertificates(certs ...*x509.Certificate) TokenOption {
	return func(c *tokenConfig) error {
		for _, cert := range certs {
			if cert == nil {
				return newError("nil trusted certificate", ErrInvalidOption)
			}
		}
		c.anchors.Certificates = append(c.anchors.Certificates, certs...)
		return nil
	}
}

// WithTrustedRoots configures CA roots: a token verifies when the
// certificates of its ds:KeyInfo form a chain from the first (the signing
// certificate) to one of the roots, using only the embedded certificates as
// intermediates, checked at the verifier's clock, revocation not checked,
// and the signing certificate is a trusted signer: it carries one of
// WithTrustedSignerNames and/or its key matches one of
// WithTrustedSignerSPKIPins (when both are set, both must match), and its
// KeyUsage extension, when present, includes digitalSignature (a
// certificate without the extension is accepted, as RFC 5280 §4.2.1.3
// allows). Roots without any signer identity make NewTokenVerifier fail
// with ErrNoTrustedSigner. Repeated use adds roots. Default: none.
//
// WARNING: a CA root alone does not identify an STS. Every certificate the
// CA issues (to solution users, TLS servers, TLS clients, …) chains to it,
// and without a signer identity any of them could sign a token for
// administrator@vsphere.local. Prefer WithTrustedCertificates (pinning the
// STS signing certificate itself); with roots, prefer SPKI pins to names,
// since a name only holds as long as the CA never issues it to anyone else.
func WithTrustedRoots(roots ...*x509.Certificate) TokenOption {
	return func(c *tokenConfig) error {
		for _, cert := range roots {
			if cert == nil {
				return newError("nil trusted root", ErrInvalidOption)
			}
		}
		c.anchors.Roots = append(c.anchors.Roots, roots...)
		return nil
	}
}

// WithTrustedSignerNames names the certificates under WithTrustedRoots that
// may sign tokens: the signing certificate's subject common name must equal
// one of names (exactly), or one of its DNS subject alternative names must
// equal one of them (ignoring ASCII case). Repeated use adds names. Names
// without roots are an error. Default: none.
//
// WARNING: a name is only as good as the CA's issuance policy: a CA that
// issues a certificate with that common name or DNS name to anyone else
// lets them sign tokens. WithTrustedSignerSPKIPins does not depend on it.
func WithTrustedSignerNames(names ...string) TokenOption {
	return func(c *tokenConfig) error {
		for _, n := range names {
			if n == "" {
				return newError("empty trusted signer name", ErrInvalidOption)
			}
		}
		c.anchors.SignerNames = append(c.anchors.SignerNames, names...)
		return nil
	}
}

// WithTrustedSignerSPKIPins pins the public keys of the certificates under
// WithTrustedRoots that may sign tokens: the SHA-256 of the signing
// certificate's DER SubjectPublicKeyInfo, standard base64 (RFC 7469
// pin-sha256; SPKIPin computes it), must be one of pins. A pin survives the
// certificate's renewal with the same key. Repeated use adds pins. Pins
// without roots are an error. Default: none.
func WithTrustedSignerSPKIPins(pins ...string) TokenOption {
	return func(c *tokenConfig) error {
		for _, p := range pins {
			if _, err := parseSPKIPin(p); err != nil {
				return err
			}
		}
		c.anchors.SignerSPKIPins = append(c.anchors.SignerSPKIPins, pins...)
		return nil
	}
}

// WithClock sets the clock used for token lifetimes, certificate validity
// and cache expiry; a RequestVerifier built on this TokenVerifier uses it
// for request timestamps, nonces and replay TTLs too (unless
// WithRequestClock). Default: time.Now.
func WithClock(now func() time.Time) TokenOption {
	return func(c *tokenConfig) error {
		if now == nil {
			return newError("nil clock", ErrInvalidOption)
		}
		c.clock = now
		return nil
	}
}

// WithClockSkew sets the tolerance applied to NotBefore (subtracted) and
// NotOnOrAfter (added). It must not be negative. Default: DefaultClockSkew
// (600 s).
func WithClockSkew(d time.Duration) TokenOption {
	return func(c *tokenConfig) error {
		if d < 0 {
			return newError(fmt.Sprintf("negative clock skew %v", d), ErrInvalidOption)
		}
		c.skew = d
		return nil
	}
}

// WithAudiences sets the audiences this service accepts: every
// AudienceRestriction of a token must name at least one of them. Tokens
// without an AudienceRestriction are accepted. Default: none, audiences are
// not checked.
func WithAudiences(audiences ...string) TokenOption {
	return func(c *tokenConfig) error {
		c.audiences = append(c.audiences, audiences...)
		return nil
	}
}

// WithMaxTokenSize bounds the token size in bytes; larger tokens are rejected
// with ErrTokenTooLarge before any parsing. Default: DefaultMaxTokenSize
// (64 KiB).
func WithMaxTokenSize(n int) TokenOption {
	return func(c *tokenConfig) error {
		if n <= 0 {
			return newError(fmt.Sprintf("max token size %d", n), ErrInvalidOption)
		}
		c.maxSize = n
		return nil
	}
}

// WithSignatureAlgorithms sets the accepted XML-DSig signature methods to
// the given identifiers, which must come from the Signature… constants
// (SHA-1 and HMAC methods are refused). Default: the three RSA methods
// (rsa-sha256/384/512); the ECDSA ones must be enabled explicitly (see
// defaultSignatureAlgorithms for why).
func WithSignatureAlgorithms(uris ...string) TokenOption {
	return func(c *tokenConfig) error {
		if len(uris) == 0 {
			return newError("empty signature algorithm list", ErrInvalidOption)
		}
		for _, u := range uris {
			if !slices.Contains(allSignatureAlgorithms, u) {
				return newError(fmt.Sprintf("signature algorithm %.80q not supported", u), ErrInvalidOption, ErrUnsupportedAlgorithm)
			}
		}
		c.sigAlgs = append([]string(nil), uris...)
		return nil
	}
}

// WithDigestAlgorithms narrows the accepted XML-DSig digest methods to the
// given identifiers, which must come from the Digest… constants (SHA-1 is
// refused). Default: all three Digest… constants.
func WithDigestAlgorithms(uris ...string) TokenOption {
	return func(c *tokenConfig) error {
		if len(uris) == 0 {
			return newError("empty digest algorithm list", ErrInvalidOption)
		}
		for _, u := range uris {
			if !slices.Contains(allDigestAlgorithms, u) {
				return newError(fmt.Sprintf("digest algorithm %.80q not supported", u), ErrInvalidOption, ErrUnsupportedAlgorithm)
			}
		}
		c.digestAlgs = append([]string(nil), uris...)
		return nil
	}
}

// WithCacheSize sets how many verified tokens are cached (keyed by the
// SHA-256 of the token bytes); 0 disables the cache. Default:
// DefaultCacheSize (1024).
func WithCacheSize(n int) TokenOption {
	return func(c *tokenConfig) error {
		if n < 0 {
			return newError(fmt.Sprintf("cache size %d", n), ErrInvalidOption)
		}
		c.cacheSize = n
		return nil
	}
}

// WithMaxXMLDepth bounds the element nesting depth of a token. Default:
// DefaultMaxXMLDepth (32).
func WithMaxXMLDepth(n int) TokenOption {
	return func(c *tokenConfig) error {
		if n <= 0 {
			return newError(fmt.Sprintf("max XML depth %d", n), ErrInvalidOption)
		}
		c.maxDepth = n
		return nil
	}
}

// WithMaxXMLElements bounds the number of elements of a token. Default:
// DefaultMaxXMLElements (4096).
func WithMaxXMLElements(n int) TokenOption {
	return func(c *tokenConfig) error {
		if n <= 0 {
			return newError(fmt.Sprintf("max XML elements %d", n), ErrInvalidOption)
		}
		c.maxElements = n
		return nil
	}
}
