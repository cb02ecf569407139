package conformance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestAccessTokenVariants checks the minted tokens with golang-jwt as the
// oracle: the valid one passes a strict verification with the trusted
// key, issuer and audience; each broken one fails it, and is broken in
// exactly the way its name says (so a target that accepts it has the bug
// the case is about).
func TestAccessTokenVariants(t *testing.T) {
	const iss, aud, kid = "https://idp.example/realms/vc", "vmware-tes:vapi", "k1"
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []crypto.Signer{rsaKey, ecKey} {
		r, err := NewRunner("http://127.0.0.1:1", WithOAuthKey(key, kid, iss, aud), WithSubject("svc@example.com"))
		if err != nil {
			t.Fatal(err)
		}
		cr := &caseRun{r: r}
		method, _ := oauthMethod(key)
		strict := func(tok string) (*jwt.Token, error) {
			return jwt.Parse(tok, func(*jwt.Token) (any, error) { return key.Public(), nil },
				jwt.WithValidMethods([]string{method.Alg()}), jwt.WithIssuer(iss), jwt.WithAudience(aud), jwt.WithExpirationRequired())
		}
		mint := func(v string) string {
			t.Helper()
			tok, err := cr.accessToken(v)
			if err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			return tok
		}
		valid, err := strict(mint("valid"))
		if err != nil {
			t.Fatalf("%s: valid token does not verify: %v", method.Alg(), err)
		}
		if valid.Header["kid"] != kid || valid.Header["typ"] != "at+jwt" {
			t.Errorf("header %v", valid.Header)
		}
		if sub, _ := valid.Claims.GetSubject(); sub != "svc@example.com" {
			t.Errorf("sub %q", sub)
		}
		for _, tc := range []struct {
			variant   string
			expectErr error
		}{
			{"expired", jwt.ErrTokenExpired},
			{"wrong-audience", jwt.ErrTokenInvalidAudience},
			{"wrong-issuer", jwt.ErrTokenInvalidIssuer},
			{"alg-none", jwt.ErrTokenSignatureInvalid},
			{"hs256-public-key", jwt.ErrTokenSignatureInvalid},
			{"unknown-kid", jwt.ErrTokenSignatureInvalid},
			{"tampered", jwt.ErrTokenSignatureInvalid},
		} {
			tok := mint(tc.variant)
			if _, err := strict(tok); !errors.Is(err, tc.expectErr) {
				t.Errorf("%s %s: strict verification gave %v, want %v", method.Alg(), tc.variant, err, tc.expectErr)
			}
			h, p, sig, err := splitToken(tok)
			if err != nil {
				t.Fatal(err)
			}
			switch tc.variant {
			case "alg-none":
				if string(h) != `{"alg":"none","typ":"at+jwt"}` || sig != "" || !strings.Contains(string(p), `"iss":"`+iss+`"`) {
					t.Errorf("alg-none token %s %s %q", h, p, sig)
				}
			case "hs256-public-key":
				der, _ := x509.MarshalPKIXPublicKey(key.Public())
				secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
				if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return secret, nil }, jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(iss), jwt.WithAudience(aud)); err != nil {
					t.Errorf("hs256 token is not HMAC-keyed with the public key PEM: %v", err)
				}
			case "unknown-kid":
				if strings.Contains(string(h), `"kid":"`+kid+`"`) {
					t.Errorf("unknown-kid token has the trusted kid: %s", h)
				}
			case "tampered":
				if !strings.Contains(string(p), `"sub":"administrator@vsphere.local"`) {
					t.Errorf("tampered claims %s", p)
				}
			}
		}
	}
}

// TestAccessTokenVariantsFromGivenToken: with only a given token, the
// valid variant is that token and tampered/alg-none derive from it; the
// minted variants are missing material, not a failure.
func TestAccessTokenVariantsFromGivenToken(t *testing.T) {
	given := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IiLCJleHAiOjQxMDI0NDQ4MDB9.c2ln"
	r, err := NewRunner("http://127.0.0.1:1", WithAccessToken(given))
	if err != nil {
		t.Fatal(err)
	}
	cr := &caseRun{r: r}
	if tok, err := cr.accessToken("valid"); err != nil || tok != given {
		t.Errorf("valid: %q, %v", tok, err)
	}
	if tok, err := cr.accessToken("tampered"); err != nil || !strings.HasSuffix(tok, ".c2ln") {
		t.Errorf("tampered: %q, %v", tok, err)
	} else if _, p, _, _ := splitToken(tok); !strings.Contains(string(p), "administrator@vsphere.local") {
		t.Errorf("tampered claims %s", p)
	}
	if _, err := cr.accessToken("expired"); !errors.Is(err, ErrMissingMaterial) {
		t.Errorf("expired without a key: %v", err)
	}
	for _, bad := range []Option{WithAccessToken("not-a-jwt"), WithOAuthKey(nil, "", "i", "a")} {
		if _, err := NewRunner("http://127.0.0.1:1", bad); !errors.Is(err, ErrInvalidOption) {
			t.Errorf("NewRunner: %v, want ErrInvalidOption", err)
		}
	}
}
