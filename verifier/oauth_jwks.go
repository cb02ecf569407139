package verifier

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The JWKS is loaded by this small standard-library loader rather than by
// keyfunc/jwkset: the rules of DESIGN Q20 are about *when* a fetch may
// happen (at most one per interval whatever the kids, fail closed without
// a cached key, no redirect to another host, https except loopback, size
// and time limits) and about binding each key to one algorithm family;
// keyfunc's background refresh goroutine, its own rate limiter and its
// acceptance of any key type would have to be worked around to get them.

// keyKind is the family of a public key, which decides the algorithms it
// may verify.
type keyKind int

const (
	kindRSA keyKind = iota + 1
	kindP256
	kindP384
	kindP521
	kindEd25519
	kindHMAC
)

// accessAlgorithm binds a JWS alg to its jwt/v5 method and key family.
type accessAlgorithm struct {
	method jwt.SigningMethod
	kind   keyKind
}

// accessAlgorithms are the JWS algorithms an AccessTokenVerifier can
// accept (RFC 7518 §3.1, RFC 8037). "none" is not one of them.
var accessAlgorithms = map[string]accessAlgorithm{
	"RS256": {jwt.SigningMethodRS256, kindRSA},
	"RS384": {jwt.SigningMethodRS384, kindRSA},
	"RS512": {jwt.SigningMethodRS512, kindRSA},
	"PS256": {jwt.SigningMethodPS256, kindRSA},
	"PS384": {jwt.SigningMethodPS384, kindRSA},
	"PS512": {jwt.SigningMethodPS512, kindRSA},
	"ES256": {jwt.SigningMethodES256, kindP256},
	"ES384": {jwt.SigningMethodES384, kindP384},
	"ES512": {jwt.SigningMethodES512, kindP521},
	"EdDSA": {jwt.SigningMethodEdDSA, kindEd25519},
	"HS256": {jwt.SigningMethodHS256, kindHMAC},
	"HS384": {jwt.SigningMethodHS384, kindHMAC},
	"HS512": {jwt.SigningMethodHS512, kindHMAC},
}

// DefaultAccessTokenAlgorithms is the default allow-list: every asymmetric
// algorithm, bound to its key type (RSA of at least 2048 bits for RS*/PS*,
// P-256/P-384/P-521 for ES256/384/512, Ed25519 for EdDSA).
var DefaultAccessTokenAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// RSA modulus bounds of JWKS keys: below the minimum a key is too weak;
// above the maximum a verification costs too much (DoS).
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// publicKey is one usable key of a JWKS.
type publicKey struct {
	kid  string
	alg  string // the JWK's "alg", "" when absent
	kind keyKind
	key  crypto.PublicKey
}

// keySet is an immutable parsed JWKS.
type keySet struct {
	byKid   map[string][]*publicKey
	all     []*publicKey
	fetched time.Time
}

// rawJWK is a JWK as it appears in a JWKS (RFC 7517 §4, RFC 7518 §6).
type rawJWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	D   string `json:"d"`
}

// parseJWKS parses a JWKS document. Keys that are not signature keys
// ("use" other than "sig"), of an unknown type, symmetric ("oct": an HMAC
// key is never taken from a JWKS), private, malformed, RSA outside
// 2048…8192 bits or with an alg this package does not know are skipped;
// a set without any usable key is ErrInvalidJWKS.
func parseJWKS(data []byte, maxKeys int) (*keySet, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, newError(err.Error(), ErrInvalidJWKS)
	}
	if len(doc.Keys) > maxKeys {
		return nil, newError(fmt.Sprintf("%d keys, limit %d", len(doc.Keys), maxKeys), ErrInvalidJWKS)
	}
	ks := &keySet{byKid: make(map[string][]*publicKey, len(doc.Keys))}
	var skipped []string
	for i, raw := range doc.Keys {
		var j rawJWK
		if err := json.Unmarshal(raw, &j); err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d: %v", i, err))
			continue
		}
		pk, err := j.publicKey()
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d (kid %s): %v", i, quote(j.Kid), err))
			continue
		}
		if pk == nil {
			continue
		}
		ks.all = append(ks.all, pk)
		ks.byKid[pk.kid] = append(ks.byKid[pk.kid], pk)
	}
	if len(ks.all) == 0 {
		return nil, newError("no usable signature key: "+strings.Join(skipped, "; "), ErrInvalidJWKS)
	}
	return ks, nil
}

// publicKey converts j; nil without error for a key that is legitimately
// not for us (encryption use, symmetric).
func (j *rawJWK) publicKey() (*publicKey, error) {
	if j.Use != "" && j.Use != "sig" {
		return nil, nil
	}
	if j.D != "" {
		return nil, errors.New("private key in a JWKS")
	}
	if j.Alg != "" {
		a, ok := accessAlgorithms[j.Alg]
		if !ok || a.kind == kindHMAC {
			return nil, fmt.Errorf("alg %s not supported", quote(j.Alg))
		}
	}
	pk := &publicKey{kid: j.Kid, alg: j.Alg}
	switch j.Kty {
	case "RSA":
		n, err := b64field(j.N, "n")
		if err != nil {
			return nil, err
		}
		e, err := b64field(j.E, "e")
		if err != nil {
			return nil, err
		}
		if len(e) > 4 || len(n) == 0 || n[0] == 0 {
			return nil, errors.New("bad RSA parameters")
		}
		nb := new(big.Int).SetBytes(n)
		ev := int(new(big.Int).SetBytes(e).Int64())
		if ev < 3 || ev%2 == 0 {
			return nil, errors.New("bad RSA exponent")
		}
		if bits := nb.BitLen(); bits < minRSABits || bits > maxRSABits {
			return nil, fmt.Errorf("RSA key of %d bits (accepted %d…%d)", bits, minRSABits, maxRSABits)
		}
		pk.kind, pk.key = kindRSA, &rsa.PublicKey{N: nb, E: ev}
	case "EC":
		var curve elliptic.Curve
		switch j.Crv {
		case "P-256":
			curve, pk.kind = elliptic.P256(), kindP256
		case "P-384":
			curve, pk.kind = elliptic.P384(), kindP384
		case "P-521":
			curve, pk.kind = elliptic.P521(), kindP521
		default:
			return nil, fmt.Errorf("curve %s not supported", quote(j.Crv))
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err := b64field(j.X, "x")
		if err != nil {
			return nil, err
		}
		y, err := b64field(j.Y, "y")
		if err != nil {
			return nil, err
		}
		if len(x) != size || len(y) != size {
			return nil, errors.New("bad EC coordinate length")
		}
		key, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, err
		}
		pk.key = key
	case "OKP":
		if j.Crv != "Ed25519" {
			return nil, fmt.Errorf("curve %s not supported", quote(j.Crv))
		}
		x, err := b64field(j.X, "x")
		if err != nil {
			return nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad Ed25519 key length")
		}
		pk.kind, pk.key = kindEd25519, ed25519.PublicKey(x)
	case "oct":
		return nil, nil
	default:
		return nil, fmt.Errorf("kty %s not supported", quote(j.Kty))
	}
	if pk.alg != "" && accessAlgorithms[pk.alg].kind != pk.kind {
		return nil, fmt.Errorf("alg %s does not fit kty %s", pk.alg, j.Kty)
	}
	return pk, nil
}

func b64field(s, name string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("missing %q", name)
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("bad base64url in %q", name)
	}
	return b, nil
}

// checkFetchURL accepts https URLs, and http URLs whose host is loopback
// (localhost, 127.0.0.0/8, ::1). User information and fragments are
// refused.
func checkFetchURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("URL %s: %v", quote(raw), err)
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("URL %s: not an absolute URL without user or fragment", quote(raw))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("URL %s: http only for a loopback host, use https", quote(raw))
	}
	return fmt.Errorf("URL %s: scheme must be https", quote(raw))
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// keySource holds the current key set and fetches a new one, at most once
// per refresh interval.
type keySource struct {
	cfg    *accessConfig
	client *http.Client
	set    atomic.Pointer[keySet]
	// gen counts the key sets stored: a cached token verified under an
	// older set is verified again (a key removed at the provider stops
	// being accepted from the cache too).
	gen atomic.Uint64

	mu          sync.Mutex // serializes refreshes; guards the fields below
	lastAttempt time.Time
	lastErr     error
	jwksURI     string // discovered jwks_uri
}

func newKeySource(cfg *accessConfig) (*keySource, error) {
	s := &keySource{cfg: cfg}
	base := cfg.httpClient
	if base == nil {
		base = &http.Client{Transport: http.DefaultTransport}
	}
	cl := *base
	cl.Timeout = cfg.fetchTimeout
	cl.CheckRedirect = sameHostRedirects
	s.client = &cl
	switch cfg.source {
	case keysStatic, keysFile:
		data := cfg.jwksStatic
		if cfg.source == keysFile {
			var err error
			if data, err = readLimitedFile(cfg.jwksPath, cfg.maxDocSize); err != nil {
				return nil, newError(err.Error(), ErrInvalidJWKS, ErrInvalidOption)
			}
		}
		ks, err := parseJWKS(data, cfg.maxKeys)
		if err != nil {
			return nil, newError("", err, ErrInvalidOption)
		}
		now := cfg.clock()
		ks.fetched = now
		s.set.Store(ks)
		s.lastAttempt = now
	case keysURL:
		s.jwksURI = cfg.jwksURL
	}
	return s, nil
}

// sameHostRedirects follows at most 3 redirects, each to the scheme and
// host of the original request.
func sameHostRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errors.New("too many redirects")
	}
	if req.URL.Scheme != via[0].URL.Scheme || req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("redirect to another host %s refused", quote(req.URL.Host))
	}
	return nil
}

func readLimitedFile(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimit(f, limit)
}

func readLimit(r io.Reader, limit int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, fmt.Errorf("document larger than %d bytes", limit)
	}
	return data, nil
}

// current returns the key set, refreshing first when there is none or it
// is older than the maximum age (within the refresh interval rule). With
// no key set at all it returns ErrKeysUnavailable.
func (s *keySource) current(ctx context.Context, now time.Time) (*keySet, error) {
	ks := s.set.Load()
	switch {
	case ks == nil:
		s.refresh(ctx, now, true)
		ks = s.set.Load()
	case now.Sub(ks.fetched) >= s.cfg.maxAge:
		// Stale but usable: one caller fetches, the others go on with
		// the keys they have instead of waiting for a slow provider.
		s.refresh(ctx, now, false)
		ks = s.set.Load()
	}
	if ks == nil {
		s.mu.Lock()
		cause := s.lastErr
		s.mu.Unlock()
		detail := "no key fetched yet"
		if cause != nil {
			detail = cause.Error()
		}
		return nil, newError(detail, ErrKeysUnavailable)
	}
	return ks, nil
}

// refresh fetches the key set unless a fetch was attempted less than the
// refresh interval ago (successful or not): however many requests with
// unknown kids arrive, the provider sees at most one fetch per interval.
// With wait, concurrent callers wait for the fetch in progress, then see
// its result; without, they return at once when a fetch is in progress. A
// failed fetch keeps the previous key set.
func (s *keySource) refresh(ctx context.Context, now time.Time, wait bool) {
	if s.cfg.source == keysStatic {
		return
	}
	if wait {
		s.mu.Lock()
	} else if !s.mu.TryLock() {
		return
	}
	defer s.mu.Unlock()
	if !s.lastAttempt.IsZero() && now.Sub(s.lastAttempt) < s.cfg.interval {
		return
	}
	s.lastAttempt = now
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.fetchTimeout)
	defer cancel()
	data, err := s.fetch(ctx)
	if err == nil {
		var ks *keySet
		if ks, err = parseJWKS(data, s.cfg.maxKeys); err == nil {
			ks.fetched = now
			s.set.Store(ks)
			s.gen.Add(1)
		}
	}
	s.lastErr = err
}

// fetch returns the JWKS bytes from the configured source. The caller
// holds s.mu.
func (s *keySource) fetch(ctx context.Context) ([]byte, error) {
	if s.cfg.source == keysFile {
		return readLimitedFile(s.cfg.jwksPath, s.cfg.maxDocSize)
	}
	if s.jwksURI == "" {
		uri, err := s.discover(ctx)
		if err != nil {
			return nil, err
		}
		s.jwksURI = uri
	}
	return s.get(ctx, s.jwksURI)
}

// discover reads the OIDC discovery document of the issuer.
func (s *keySource) discover(ctx context.Context) (string, error) {
	data, err := s.get(ctx, strings.TrimSuffix(s.cfg.issuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		return "", err
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", newError("discovery document: "+err.Error(), ErrInvalidJWKS)
	}
	if doc.Issuer != s.cfg.issuer {
		return "", newError(fmt.Sprintf("discovery document issuer %s is not %s", quote(doc.Issuer), quote(s.cfg.issuer)), ErrInvalidJWKS)
	}
	if err := checkFetchURL(doc.JWKSURI); err != nil {
		return "", newError("discovery document jwks_uri: "+err.Error(), ErrInvalidJWKS)
	}
	return doc.JWKSURI, nil
}

// get fetches rawURL with the limits of the configuration.
func (s *keySource) get(ctx context.Context, rawURL string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", rawURL, resp.StatusCode)
	}
	data, err := readLimit(resp.Body, s.cfg.maxDocSize)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", rawURL, err)
	}
	return data, nil
}
