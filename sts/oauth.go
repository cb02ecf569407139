package sts

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultAccessTokenLifetime is the lifetime of an access token when the
// request sets none (5 minutes, a common provider default).
const DefaultAccessTokenLifetime = 5 * time.Minute

// DefaultAccessTokenAudience is the audience of development access tokens,
// GoSDK's JwtAuthenticationHandler default.
const DefaultAccessTokenAudience = "vmware-tes:vapi"

// AccessTokenIssuer issues OAuth 2.0 access tokens as signed JWTs (RFC
// 9068, RS256) with one RSA key, and publishes that key as a JWKS and an
// OpenID Connect discovery document: the signing half of a development
// OpenID provider (vapisec serve --dev, vapisec oauth token, tests). It is
// safe for concurrent use.
//
// WARNING: for tests and development only (see the package documentation):
// whoever calls Issue gets a token for any subject.
type AccessTokenIssuer struct {
	key    *rsa.PrivateKey
	kid    string
	issuer string
	clock  func() time.Time
}

// NewAccessTokenIssuer returns an issuer of tokens whose "iss" is issuer,
// signed with key (RSA). The key id is the key's RFC 7638 thumbprint. clock
// dates the tokens; nil means time.Now.
func NewAccessTokenIssuer(key crypto.Signer, issuer string, clock func() time.Time) (*AccessTokenIssuer, error) {
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, key)
	}
	if issuer == "" {
		return nil, fmt.Errorf("%w: empty issuer", ErrInvalidOption)
	}
	if clock == nil {
		clock = time.Now
	}
	return &AccessTokenIssuer{key: rk, kid: thumbprint(&rk.PublicKey), issuer: issuer, clock: clock}, nil
}

// Issuer returns the issuer ("iss").
func (i *AccessTokenIssuer) Issuer() string { return i.issuer }

// KeyID returns the kid of the signing key.
func (i *AccessTokenIssuer) KeyID() string { return i.kid }

// JWKS returns the JWK Set (RFC 7517 §5) with the public signing key.
func (i *AccessTokenIssuer) JWKS() []byte {
	b, _ := json.Marshal(map[string]any{"keys": []any{rsaJWK(&i.key.PublicKey, i.kid)}})
	return b
}

// DiscoveryDocument returns an OpenID Connect discovery document (OpenID
// Connect Discovery 1.0 §3) naming the issuer and jwksURI.
func (i *AccessTokenIssuer) DiscoveryDocument(jwksURI string) []byte {
	b, _ := json.Marshal(map[string]any{
		"issuer":                                i.issuer,
		"jwks_uri":                              jwksURI,
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"token"},
		"subject_types_supported":               []string{"public"},
	})
	return b
}

// AccessTokenRequest describes the access token to issue.
type AccessTokenRequest struct {
	// Subject is the "sub" claim, e.g. "alice@vsphere.local". Required.
	Subject string
	// Groups are written as the "group_names" claim (GoSDK's name).
	Groups []string
	// Audience is the "aud" claim; empty means DefaultAccessTokenAudience.
	Audience []string
	// NotBefore is "iat" and "nbf"; zero means the issuer's clock's now.
	NotBefore time.Time
	// Lifetime is exp − NotBefore; zero means DefaultAccessTokenLifetime.
	Lifetime time.Duration
	// ClientID is the "client_id" claim; empty means "vapisec-dev".
	ClientID string
	// Scope is the "scope" claim; empty leaves it out.
	Scope string
}

// Issue returns a signed access token (compact JWS, header typ "at+jwt").
func (i *AccessTokenIssuer) Issue(req AccessTokenRequest) (string, error) {
	if req.Subject == "" {
		return "", fmt.Errorf("%w: empty subject", ErrInvalidRequest)
	}
	if req.Lifetime < 0 {
		return "", fmt.Errorf("%w: negative lifetime", ErrInvalidRequest)
	}
	nb := req.NotBefore
	if nb.IsZero() {
		nb = i.clock()
	}
	life := req.Lifetime
	if life == 0 {
		life = DefaultAccessTokenLifetime
	}
	aud := req.Audience
	if len(aud) == 0 {
		aud = []string{DefaultAccessTokenAudience}
	}
	client := req.ClientID
	if client == "" {
		client = "vapisec-dev"
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", err
	}
	claims := jwt.MapClaims{
		"iss":       i.issuer,
		"sub":       req.Subject,
		"aud":       aud,
		"iat":       nb.Unix(),
		"nbf":       nb.Unix(),
		"exp":       nb.Add(life).Unix(),
		"jti":       base64.RawURLEncoding.EncodeToString(jti[:]),
		"client_id": client,
	}
	if len(req.Groups) > 0 {
		claims["group_names"] = req.Groups
	}
	if req.Scope != "" {
		claims["scope"] = req.Scope
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = i.kid
	t.Header["typ"] = "at+jwt"
	return t.SignedString(i.key)
}

// rsaJWK is the public JWK of pub.
func rsaJWK(pub *rsa.PublicKey, kid string) map[string]string {
	return map[string]string{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
		"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
}

// thumbprint is the RFC 7638 JWK thumbprint of pub (SHA-256, base64url).
func thumbprint(pub *rsa.PublicKey) string {
	n := base64.RawURLEncoding.EncodeToString(pub.N.Bytes())
	e := base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())
	sum := sha256.Sum256([]byte(`{"e":"` + e + `","kty":"RSA","n":"` + n + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
