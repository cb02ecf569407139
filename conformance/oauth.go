package conformance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// OAuth 2.0 access tokens (scheme com.vmware.vapi.std.security.oauth).
//
// The template {{access-token:VARIANT}} is a JWT access token (the compact
// serialization, without "Bearer "):
//
//	valid             signed by the WithOAuthKey key for its issuer and audience, or the WithAccessToken token
//	tampered          the valid token with "sub" changed after signing (signature kept)
//	alg-none          the valid token's claims with {"alg":"none"} and an empty signature
//	expired           exp an hour ago (beyond any clock skew), iat and nbf two hours ago
//	wrong-audience    aud is an audience the target was not configured with
//	wrong-issuer      iss is an issuer the target does not trust
//	hs256-public-key  HS256 keyed with the PEM of the trusted public key (CVE-2015-9235)
//	unknown-kid       signed by a key the target never saw, under a kid it does not know
//
// valid, tampered and alg-none need WithOAuthKey or WithAccessToken
// (requirement "oauth"); the others need WithOAuthKey (requirement
// "oauth-key"), since only the key holder can mint them.
var oauthVariants = map[string]bool{
	"valid": false, "tampered": false, "alg-none": false,
	"expired": true, "wrong-audience": true, "wrong-issuer": true, "hs256-public-key": true, "unknown-kid": true,
}

// oauthMaterial is what WithOAuthKey sets.
type oauthMaterial struct {
	key      crypto.Signer
	kid      string
	issuer   string
	audience string
}

// WithOAuthKey sets a key the target trusts for OAuth 2.0 access tokens
// (its public half is in the JWKS of issuer, under kid), the issuer the
// target is configured with and one audience it accepts; the runner mints
// its own access tokens, valid and broken (see the OAuth cases). The key
// is RSA (tokens are RS256) or ECDSA on P-256, P-384 or P-521 (ES256,
// ES384, ES512). kid may be empty for a JWKS of one key. "vapisec serve
// --dev" writes such a key (see docs/oauth.md). Default: none, which skips
// the OAuth cases that need it.
func WithOAuthKey(key crypto.Signer, kid, issuer, audience string) Option {
	return func(r *config) error {
		if key == nil || issuer == "" || audience == "" {
			return fmt.Errorf("%w: OAuth key, issuer and audience go together", ErrInvalidOption)
		}
		if _, err := oauthMethod(key); err != nil {
			return err
		}
		r.oauth = &oauthMaterial{key: key, kid: kid, issuer: issuer, audience: audience}
		return nil
	}
}

// WithAccessToken sets an OAuth 2.0 JWT access token the target accepts
// (obtained from its identity provider, e.g. with "vapisec oauth token" or
// a client-credentials grant); the cases that need only a valid token (and
// the broken tokens derived from it: tampered, alg:none) run with it.
// Default: none.
func WithAccessToken(token string) Option {
	return func(r *config) error {
		if strings.Count(token, ".") != 2 {
			return fmt.Errorf("%w: access token is not a JWS compact serialization", ErrInvalidOption)
		}
		r.accessToken = token
		return nil
	}
}

func (r *config) hasOAuth() bool { return r.oauth != nil || r.accessToken != "" }

// oauthMethod is the JWS algorithm of key.
func oauthMethod(key crypto.Signer) (jwt.SigningMethod, error) {
	switch k := key.Public().(type) {
	case *rsa.PublicKey:
		return jwt.SigningMethodRS256, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return jwt.SigningMethodES256, nil
		case elliptic.P384():
			return jwt.SigningMethodES384, nil
		case elliptic.P521():
			return jwt.SigningMethodES512, nil
		}
	}
	return nil, fmt.Errorf("%w: OAuth key must be RSA or ECDSA on P-256, P-384 or P-521", ErrInvalidOption)
}

// accessToken returns the token of a variant, minting a fresh one (new
// jti, current times) on every expansion when the runner has the key.
func (cr *caseRun) accessToken(variant string) (string, error) {
	r := cr.r
	needKey, ok := oauthVariants[variant]
	switch {
	case !ok:
		return "", fmt.Errorf("%w: unknown access-token variant %q", ErrInvalidSuite, variant)
	case needKey && r.oauth == nil:
		return "", fmt.Errorf("%w: access-token:%s needs --oauth-key", ErrMissingMaterial, variant)
	case !r.hasOAuth():
		return "", fmt.Errorf("%w: access-token:%s needs --oauth-key or --bearer", ErrMissingMaterial, variant)
	}
	now := r.now()
	switch variant {
	case "valid", "tampered", "alg-none":
		valid := r.accessToken
		if r.oauth != nil {
			var err error
			if valid, err = r.oauth.mint(r.oauthClaims(now, nil), r.oauth.key, r.oauth.kid); err != nil {
				return "", err
			}
		}
		switch variant {
		case "tampered":
			return tamperToken(valid)
		case "alg-none":
			return noneToken(valid)
		}
		return valid, nil
	case "expired":
		return r.oauth.mint(r.oauthClaims(now, map[string]any{"iat": now.Add(-2 * time.Hour).Unix(), "nbf": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}), r.oauth.key, r.oauth.kid)
	case "wrong-audience":
		return r.oauth.mint(r.oauthClaims(now, map[string]any{"aud": "urn:vapisec:conformance:not-this-server"}), r.oauth.key, r.oauth.kid)
	case "wrong-issuer":
		return r.oauth.mint(r.oauthClaims(now, map[string]any{"iss": "https://untrusted-issuer.conformance.invalid"}), r.oauth.key, r.oauth.kid)
	case "hs256-public-key":
		der, err := x509.MarshalPKIXPublicKey(r.oauth.key.Public())
		if err != nil {
			return "", fmt.Errorf("%w: %w", ErrInvalidOption, err)
		}
		secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		return hs256Token(r.oauthClaims(now, nil), r.oauth.kid, secret)
	default: // unknown-kid
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return "", err
		}
		return r.oauth.mint(r.oauthClaims(now, nil), k, "vapisec-conformance-unknown-"+rand.Text()[:12])
	}
}

// oauthClaims are the claims of a valid token (RFC 9068 §2.2), with
// changes applied.
func (r *config) oauthClaims(now time.Time, changes map[string]any) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss": r.oauth.issuer, "sub": r.tokenSubject(), "aud": r.oauth.audience, "client_id": "vapisec-conformance",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": rand.Text(),
	}
	for k, v := range changes {
		c[k] = v
	}
	return c
}

// tokenSubject is the principal of minted tokens: WithSubject, else the
// WithBasic user when it has a domain, else conformance@vsphere.local.
func (r *config) tokenSubject() string {
	switch {
	case r.subject != "":
		return r.subject
	case strings.Contains(r.user, "@"):
		return r.user
	}
	return "conformance@vsphere.local"
}

// mint signs claims with key (its algorithm from oauthMethod) under kid,
// typ at+jwt (RFC 9068).
func (m *oauthMaterial) mint(claims jwt.MapClaims, key crypto.Signer, kid string) (string, error) {
	method, err := oauthMethod(key)
	if err != nil {
		return "", err
	}
	t := jwt.NewWithClaims(method, claims)
	t.Header["typ"] = "at+jwt"
	if kid != "" {
		t.Header["kid"] = kid
	}
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("%w: signing an access token: %w", ErrInvalidOption, err)
	}
	return s, nil
}

// hs256Token signs claims with HMAC-SHA256 keyed with secret, by hand:
// golang-jwt rightly refuses to sign HS256 with anything but a []byte it
// was given on purpose, and this is the attack's token.
func hs256Token(claims jwt.MapClaims, kid string, secret []byte) (string, error) {
	h := map[string]any{"alg": "HS256", "typ": "at+jwt"}
	if kid != "" {
		h["kid"] = kid
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	pb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	in := enc.EncodeToString(hb) + "." + enc.EncodeToString(pb)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(in))
	return in + "." + enc.EncodeToString(mac.Sum(nil)), nil
}

// tamperToken changes "sub" of a signed token, keeping its signature.
func tamperToken(token string) (string, error) {
	h, p, sig, err := splitToken(token)
	if err != nil {
		return "", err
	}
	var claims map[string]any
	if err := json.Unmarshal(p, &claims); err != nil {
		return "", fmt.Errorf("%w: access token claims: %w", ErrInvalidOption, err)
	}
	sub, _ := claims["sub"].(string)
	claims["sub"] = "administrator@vsphere.local"
	if sub == "administrator@vsphere.local" {
		claims["sub"] = "root@vsphere.local"
	}
	pb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(pb) + "." + sig, nil
}

// noneToken is the claims of token under {"alg":"none"} with an empty
// signature (RFC 7519 §6.1 "unsecured JWT").
func noneToken(token string) (string, error) {
	_, p, _, err := splitToken(token)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + enc.EncodeToString(p) + ".", nil
}

func splitToken(token string) (header, payload []byte, sig string, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, nil, "", fmt.Errorf("%w: access token is not a JWS compact serialization", ErrInvalidOption)
	}
	enc := base64.RawURLEncoding
	if header, err = enc.DecodeString(parts[0]); err != nil {
		return nil, nil, "", fmt.Errorf("%w: access token header: %w", ErrInvalidOption, err)
	}
	if payload, err = enc.DecodeString(parts[1]); err != nil {
		return nil, nil, "", fmt.Errorf("%w: access token claims: %w", ErrInvalidOption, err)
	}
	return header, payload, parts[2], nil
}
