package verifier_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	vapisec "github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/verifier"
)

// expectOAErr checks err against every sentinel of expect (nil: success).
func expectOAErr(t *testing.T, err error, expect ...error) {
	t.Helper()
	if len(expect) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("accepted, expected %v", expect)
	}
	for _, e := range expect {
		if !errors.Is(err, e) {
			t.Fatalf("error %v does not match %v", err, e)
		}
	}
}

func TestAccessTokenVerifierAcceptsValidTokens(t *testing.T) {
	k := getOAKeys(t)
	v := newOAVerifier(t, k)
	cases := []struct {
		name        string
		givenMethod jwt.SigningMethod
		givenKey    any
		givenKid    string
	}{
		{name: "ok, RS256", givenMethod: jwt.SigningMethodRS256, givenKey: k.rsa, givenKid: "rsa-1"},
		{name: "ok, PS256", givenMethod: jwt.SigningMethodPS256, givenKey: k.rsa, givenKid: "rsa-1"},
		{name: "ok, RS512", givenMethod: jwt.SigningMethodRS512, givenKey: k.rsa, givenKid: "rsa-1"},
		{name: "ok, ES256", givenMethod: jwt.SigningMethodES256, givenKey: k.ec, givenKid: "ec-1"},
		{name: "ok, EdDSA", givenMethod: jwt.SigningMethodEdDSA, givenKey: k.ed, givenKid: "ed-1"},
		{name: "ok, RS256 without kid", givenMethod: jwt.SigningMethodRS256, givenKey: k.rsa},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]any{"kid": tc.givenKid}
			if tc.givenKid == "" {
				h["kid"] = nil
			}
			tok := mint(t, tc.givenMethod, tc.givenKey, oaClaims(), h)
			at, err := v.Verify(context.Background(), tok)
			expectOAErr(t, err)
			if at.Principal != (vapisec.Principal{Name: "alice", Domain: "vsphere.local"}) || at.Subject != "alice@vsphere.local" {
				t.Fatalf("principal %+v", at.Principal)
			}
			if want := []string{`vsphere.local\Administrators`, "admins"}; strings.Join(at.Groups, "|") != strings.Join(want, "|") {
				t.Fatalf("groups %q, want %q", at.Groups, want)
			}
			sc := at.SecurityContext(vapisec.SourceAuthorization)
			if sc.Scheme != vapisec.SchemeOAuth || !sc.Authenticated || sc.Token.Issuer != oaIssuer || sc.Token.ID != "tok-1" {
				t.Fatalf("security context %+v", sc)
			}
			if got := verifier.ReasonOf(err); got != "" {
				t.Fatalf("reason %q", got)
			}
		})
	}
}

func TestNewAccessTokenVerifierRequiresIssuerAndAudience(t *testing.T) {
	k := getOAKeys(t)
	cases := []struct {
		name       string
		givenOpts  []verifier.AccessTokenOption
		expectErrs []error
	}{
		{name: "nok, no issuer", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenAudiences("a"), verifier.WithJWKS(trustedJWKS(k))}, expectErrs: []error{verifier.ErrNoIssuer, verifier.ErrInvalidOption}},
		{name: "nok, no audience", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer(oaIssuer), verifier.WithJWKS(trustedJWKS(k))}, expectErrs: []error{verifier.ErrNoAudience, verifier.ErrInvalidOption}},
		{name: "nok, empty audience", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer(oaIssuer), verifier.WithAccessTokenAudiences("")}, expectErrs: []error{verifier.ErrNoAudience}},
		{name: "nok, discovery over plain http to a remote host", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer("http://idp.example.test"), verifier.WithAccessTokenAudiences("a")}, expectErrs: []error{verifier.ErrInvalidOption}},
		{name: "nok, JWKS URL over plain http to a remote host", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer(oaIssuer), verifier.WithAccessTokenAudiences("a"), verifier.WithJWKSURL("http://idp.example.test/keys")}, expectErrs: []error{verifier.ErrInvalidOption}},
		{name: "nok, HS256 in the allow-list without a secret", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer(oaIssuer), verifier.WithAccessTokenAudiences("a"), verifier.WithJWKS(trustedJWKS(k)), verifier.WithAccessTokenAlgorithms("RS256", "HS256")}, expectErrs: []error{verifier.ErrInvalidOption}},
		{name: "nok, none in the allow-list", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer(oaIssuer), verifier.WithAccessTokenAudiences("a"), verifier.WithJWKS(trustedJWKS(k)), verifier.WithAccessTokenAlgorithms("none")}, expectErrs: []error{verifier.ErrInvalidOption}},
		{name: "nok, short HMAC secret", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer(oaIssuer), verifier.WithAccessTokenAudiences("a"), verifier.WithHMACSecret([]byte("short"))}, expectErrs: []error{verifier.ErrInvalidOption}},
		{name: "nok, JWKS with only an RSA-1024 key", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer(oaIssuer), verifier.WithAccessTokenAudiences("a"), verifier.WithJWKS(weakJWKS(t))}, expectErrs: []error{verifier.ErrInvalidJWKS, verifier.ErrInvalidOption}},
		{name: "nok, JWKS with only an HMAC (oct) key", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer(oaIssuer), verifier.WithAccessTokenAudiences("a"), verifier.WithJWKS(jwksOf(map[string]any{"kty": "oct", "k": b64([]byte("0123456789abcdef0123456789abcdef"))}))}, expectErrs: []error{verifier.ErrInvalidJWKS}},
		{name: "nok, missing JWKS file", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer(oaIssuer), verifier.WithAccessTokenAudiences("a"), verifier.WithJWKSFile("/nonexistent/jwks.json")}, expectErrs: []error{verifier.ErrInvalidOption}},
		{name: "ok, discovery over http on loopback", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer("http://127.0.0.1:1/realms/x"), verifier.WithAccessTokenAudiences("a")}},
		{name: "ok, JWKS file", givenOpts: []verifier.AccessTokenOption{verifier.WithAccessTokenIssuer(oaIssuer), verifier.WithAccessTokenAudiences("a"), verifier.WithJWKSFile(writeJWKS(t, trustedJWKS(k)))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifier.NewAccessTokenVerifier(tc.givenOpts...)
			expectOAErr(t, err, tc.expectErrs...)
		})
	}
}

func weakJWKS(tb testing.TB) []byte {
	// A 1024-bit modulus: the top bit set, 128 bytes.
	n := make([]byte, 128)
	n[0] = 0xC1
	n[127] = 0x01
	return jwksOf(map[string]any{"kty": "RSA", "kid": "weak", "n": b64(n), "e": "AQAB"})
}

func TestAlgNoneTokenIsRefused(t *testing.T) {
	k := getOAKeys(t)
	v := newOAVerifier(t, k)
	for _, alg := range []string{"none", "None", "NONE"} {
		hdr := b64([]byte(`{"alg":"` + alg + `","typ":"JWT","kid":"rsa-1"}`))
		payload, _ := json.Marshal(oaClaims())
		for _, tok := range []string{hdr + "." + b64(payload) + ".", hdr + "." + b64(payload) + "." + b64([]byte("x"))} {
			_, err := v.Verify(context.Background(), tok)
			expectOAErr(t, err, verifier.ErrUnsupportedAlgorithm)
			if r := verifier.ReasonOf(err); r != vapisec.ReasonUnsupportedAlgorithm {
				t.Fatalf("alg %s: reason %q", alg, r)
			}
		}
	}
}

// TestHS256KeyedWithTheRSAPublicKeyIsRefused is the CVE-2015-9235 class:
// an attacker signs HS256 with the bytes of the issuer's public key, hoping
// the verifier uses "the key" as an HMAC secret.
func TestHS256KeyedWithTheRSAPublicKeyIsRefused(t *testing.T) {
	k := getOAKeys(t)
	der, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	jwkBytes, _ := json.Marshal(rsaJWK(&k.rsa.PublicKey, "rsa-1"))
	secrets := map[string][]byte{"PEM": pemBytes, "DER": der, "JWK": jwkBytes, "modulus": k.rsa.N.Bytes()}
	t.Run("nok, no shared secret configured", func(t *testing.T) {
		v := newOAVerifier(t, k)
		for name, secret := range secrets {
			tok := mint(t, jwt.SigningMethodHS256, secret, oaClaims(), map[string]any{"kid": "rsa-1"})
			_, err := v.Verify(context.Background(), tok)
			if !errors.Is(err, verifier.ErrUnsupportedAlgorithm) {
				t.Fatalf("%s as HMAC secret: %v", name, err)
			}
		}
	})
	t.Run("nok, a different shared secret configured next to the JWKS", func(t *testing.T) {
		v := newOAVerifier(t, k, verifier.WithHMACSecret([]byte("a-real-shared-secret-of-32-bytes!")))
		for name, secret := range secrets {
			tok := mint(t, jwt.SigningMethodHS256, secret, oaClaims(), map[string]any{"kid": "rsa-1"})
			_, err := v.Verify(context.Background(), tok)
			if !errors.Is(err, verifier.ErrBadSignature) {
				t.Fatalf("%s as HMAC secret: %v", name, err)
			}
		}
		ok := mint(t, jwt.SigningMethodHS256, []byte("a-real-shared-secret-of-32-bytes!"), oaClaims(), nil)
		if _, err := v.Verify(context.Background(), ok); err != nil {
			t.Fatalf("the configured secret: %v", err)
		}
	})
}

func TestKidPointingAtAPathOrSQLIsAnUnknownKey(t *testing.T) {
	k := getOAKeys(t)
	path := writeJWKS(t, trustedJWKS(k))
	v := newOAVerifier(t, k, verifier.WithJWKSFile(path))
	for _, kid := range []string{"../../../../../../etc/passwd", path, "/dev/zero", "' OR '1'='1' --", "rsa-1' OR 1=1;--", "rsa-1\x00", "*"} {
		tok := mint(t, jwt.SigningMethodRS256, k.rsa, oaClaims(), map[string]any{"kid": kid})
		_, err := v.Verify(context.Background(), tok)
		expectOAErr(t, err, verifier.ErrUnknownKey, verifier.ErrUntrustedIssuer)
	}
	// A kid that is not a string.
	tok := mint(t, jwt.SigningMethodRS256, k.rsa, oaClaims(), map[string]any{"kid": 1})
	_, err := v.Verify(context.Background(), tok)
	expectOAErr(t, err, verifier.ErrUnsupportedHeader, verifier.ErrMalformedToken)
}

// TestJKUX5UAndJWKHeadersNeverFetchOrTrustAKey: a token that names its own
// key (jku, x5u URLs at an attacker's server, or an embedded jwk) is
// checked against the configured keys only, and no request goes out.
func TestJKUX5UAndJWKHeadersNeverFetchOrTrustAKey(t *testing.T) {
	k := getOAKeys(t)
	evilJWKS := jwksOf(rsaJWK(&k.evilRSA.PublicKey, "evil-1"))
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the verifier fetched the attacker's %s", r.URL)
		_, _ = w.Write(evilJWKS)
	}))
	defer attacker.Close()
	v := newOAVerifier(t, k)
	headers := []map[string]any{
		{"kid": "evil-1", "jku": attacker.URL + "/jwks.json"},
		{"kid": "evil-1", "x5u": attacker.URL + "/cert.pem"},
		{"kid": "evil-1", "jwk": rsaJWK(&k.evilRSA.PublicKey, "evil-1")},
		{"kid": "rsa-1", "jwk": rsaJWK(&k.evilRSA.PublicKey, "rsa-1"), "jku": attacker.URL + "/jwks.json"},
	}
	for _, h := range headers {
		tok := mint(t, jwt.SigningMethodRS256, k.evilRSA, oaClaims(), h)
		_, err := v.Verify(context.Background(), tok)
		if !errors.Is(err, verifier.ErrUnknownKey) && !errors.Is(err, verifier.ErrBadSignature) {
			t.Fatalf("header %v: %v", h, err)
		}
	}
	// The trusted key's token with a jku is accepted: the member is
	// ignored, not followed.
	tok := mint(t, jwt.SigningMethodRS256, k.rsa, oaClaims(), map[string]any{"kid": "rsa-1", "jku": attacker.URL + "/jwks.json"})
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
}

func TestExpiredTokenWithinSkewIsAcceptedBeyondRefused(t *testing.T) {
	k := getOAKeys(t)
	cases := []struct {
		name       string
		givenExp   time.Duration // relative to testNow
		givenNbf   time.Duration
		expectErrs []error
	}{
		{name: "ok, expired 59 s ago (skew 60 s)", givenExp: -59 * time.Second, givenNbf: -5 * time.Minute},
		{name: "nok, expired 60 s ago", givenExp: -60 * time.Second, givenNbf: -5 * time.Minute, expectErrs: []error{verifier.ErrTokenExpired}},
		{name: "nok, expired an hour ago", givenExp: -time.Hour, givenNbf: -2 * time.Hour, expectErrs: []error{verifier.ErrTokenExpired}},
		{name: "ok, valid from 59 s in the future", givenExp: 5 * time.Minute, givenNbf: 59 * time.Second},
		{name: "nok, valid from 2 min in the future", givenExp: 5 * time.Minute, givenNbf: 2 * time.Minute, expectErrs: []error{verifier.ErrTokenNotYetValid}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newOAVerifier(t, k)
			tok := rsaToken(t, k, func(c jwt.MapClaims) {
				c["exp"] = testNow.Add(tc.givenExp).Unix()
				c["nbf"] = testNow.Add(tc.givenNbf).Unix()
				c["iat"] = testNow.Add(min(tc.givenNbf, 0)).Unix()
			})
			_, err := v.Verify(context.Background(), tok)
			expectOAErr(t, err, tc.expectErrs...)
		})
	}
	t.Run("nok, iat in the future", func(t *testing.T) {
		v := newOAVerifier(t, k)
		_, err := v.Verify(context.Background(), rsaToken(t, k, func(c jwt.MapClaims) { c["iat"] = testNow.Add(3 * time.Minute).Unix() }))
		expectOAErr(t, err, verifier.ErrTokenNotYetValid)
	})
	t.Run("nok, no exp", func(t *testing.T) {
		v := newOAVerifier(t, k)
		_, err := v.Verify(context.Background(), rsaToken(t, k, func(c jwt.MapClaims) { delete(c, "exp") }))
		expectOAErr(t, err, verifier.ErrMissingClaim, verifier.ErrMalformedToken)
	})
	t.Run("nok, exp a string", func(t *testing.T) {
		v := newOAVerifier(t, k)
		_, err := v.Verify(context.Background(), rsaToken(t, k, func(c jwt.MapClaims) { c["exp"] = "tomorrow" }))
		expectOAErr(t, err, verifier.ErrMalformedToken)
	})
	t.Run("nok, lifetime of 25 h", func(t *testing.T) {
		v := newOAVerifier(t, k)
		_, err := v.Verify(context.Background(), rsaToken(t, k, func(c jwt.MapClaims) { c["exp"] = testNow.Add(25 * time.Hour).Unix() }))
		expectOAErr(t, err, verifier.ErrLifetimeTooLong, verifier.ErrMalformedToken)
	})
}

// TestAudienceListWithOneBadMemberIsAccepted pins the rule: a token is for
// us when any member of its aud is a configured audience (RFC 7519
// §4.1.3); the other members name other recipients.
func TestAudienceListWithOneBadMemberIsAccepted(t *testing.T) {
	k := getOAKeys(t)
	cases := []struct {
		name       string
		givenAud   any
		expectErrs []error
	}{
		{name: "ok, string", givenAud: oaAudience},
		{name: "ok, list with one bad member", givenAud: []string{"https://evil.example", oaAudience}},
		{name: "nok, list of bad members only", givenAud: []string{"https://evil.example", "vmware-tes:vapi "}, expectErrs: []error{verifier.ErrAudienceMismatch}},
		{name: "nok, wrong string", givenAud: "VMWARE-TES:VAPI", expectErrs: []error{verifier.ErrAudienceMismatch}},
		{name: "nok, empty list", givenAud: []string{}, expectErrs: []error{verifier.ErrAudienceMismatch}},
		{name: "nok, no aud", givenAud: nil, expectErrs: []error{verifier.ErrAudienceMismatch}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newOAVerifier(t, k)
			_, err := v.Verify(context.Background(), rsaToken(t, k, func(c jwt.MapClaims) {
				if tc.givenAud == nil {
					delete(c, "aud")
				} else {
					c["aud"] = tc.givenAud
				}
			}))
			expectOAErr(t, err, tc.expectErrs...)
			if len(tc.expectErrs) > 0 && verifier.ReasonOf(err) != vapisec.ReasonAudienceMismatch {
				t.Fatalf("reason %q", verifier.ReasonOf(err))
			}
		})
	}
}

func TestIssuerWithATrailingSlashIsRefused(t *testing.T) {
	k := getOAKeys(t)
	v := newOAVerifier(t, k)
	for _, iss := range []string{oaIssuer + "/", strings.ToUpper(oaIssuer), "https://evil.example/oauth2/default", oaIssuer + "#", ""} {
		_, err := v.Verify(context.Background(), rsaToken(t, k, func(c jwt.MapClaims) { c["iss"] = iss }))
		expectOAErr(t, err, verifier.ErrUntrustedIssuer)
		if r := verifier.ReasonOf(err); r != vapisec.ReasonUntrustedIssuer {
			t.Fatalf("iss %q: reason %q", iss, r)
		}
	}
}

func TestOversizedTokenIsRefusedBeforeParsing(t *testing.T) {
	k := getOAKeys(t)
	v := newOAVerifier(t, k, verifier.WithMaxAccessTokenSize(4096))
	tok := rsaToken(t, k, func(c jwt.MapClaims) { c["pad"] = strings.Repeat("A", 4096) })
	_, err := v.Verify(context.Background(), tok)
	expectOAErr(t, err, verifier.ErrTokenTooLarge, verifier.ErrMalformedToken)
	_, err = v.Verify(context.Background(), strings.Repeat("A", 1<<20))
	expectOAErr(t, err, verifier.ErrTokenTooLarge)
}

func TestUnknownCritHeaderIsRefused(t *testing.T) {
	k := getOAKeys(t)
	v := newOAVerifier(t, k)
	for _, h := range []map[string]any{
		{"kid": "rsa-1", "crit": []string{"exp"}, "exp": 1},
		{"kid": "rsa-1", "crit": []string{"b64"}, "b64": false},
		{"kid": "rsa-1", "crit": []string{}},
		{"kid": "rsa-1", "zip": "DEF"},
	} {
		tok := mint(t, jwt.SigningMethodRS256, k.rsa, oaClaims(), h)
		_, err := v.Verify(context.Background(), tok)
		expectOAErr(t, err, verifier.ErrUnsupportedHeader, verifier.ErrMalformedToken)
	}
}

func TestJWEAndNestedJWTAreRefused(t *testing.T) {
	k := getOAKeys(t)
	v := newOAVerifier(t, k)
	// A JWE compact serialization has five parts.
	jwe := b64([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM","kid":"rsa-1"}`)) + "." + b64([]byte("key")) + "." + b64([]byte("iv")) + "." + b64([]byte("ct")) + "." + b64([]byte("tag"))
	_, err := v.Verify(context.Background(), jwe)
	expectOAErr(t, err, verifier.ErrEncryptedToken, verifier.ErrMalformedToken)
	for _, h := range []map[string]any{
		{"kid": "rsa-1", "typ": "JWE"},
		{"kid": "rsa-1", "enc": "A256GCM"},
		{"kid": "rsa-1", "cty": "JWT"},
	} {
		tok := mint(t, jwt.SigningMethodRS256, k.rsa, oaClaims(), h)
		_, err := v.Verify(context.Background(), tok)
		expectOAErr(t, err, verifier.ErrMalformedToken)
	}
}

func TestIDTokenTypeRefusedWhenAccessTokenTypeRequired(t *testing.T) {
	k := getOAKeys(t)
	v := newOAVerifier(t, k, verifier.WithRequireAccessTokenType())
	for typ, ok := range map[string]bool{"at+jwt": true, "application/at+jwt": true, "AT+JWT": true, "JWT": false, "": false} {
		h := map[string]any{"kid": "rsa-1", "typ": typ}
		if typ == "" {
			h["typ"] = nil
		}
		_, err := v.Verify(context.Background(), mint(t, jwt.SigningMethodRS256, k.rsa, oaClaims(), h))
		if ok != (err == nil) {
			t.Fatalf("typ %q: %v", typ, err)
		}
	}
}

func TestRSAKeyWithES256HeaderIsRefused(t *testing.T) {
	k := getOAKeys(t)
	v := newOAVerifier(t, k)
	cases := []struct {
		name        string
		givenMethod jwt.SigningMethod
		givenKey    any
		givenKid    string
	}{
		{name: "nok, ES256 naming the RSA key", givenMethod: jwt.SigningMethodES256, givenKey: k.ec, givenKid: "rsa-1"},
		{name: "nok, RS256 naming the EC key", givenMethod: jwt.SigningMethodRS256, givenKey: k.rsa, givenKid: "ec-1"},
		{name: "nok, EdDSA naming the RSA key", givenMethod: jwt.SigningMethodEdDSA, givenKey: k.ed, givenKid: "rsa-1"},
		{name: "nok, ES384 naming the P-256 key", givenMethod: jwt.SigningMethodES384, givenKey: mustP384(t), givenKid: "ec-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), mint(t, tc.givenMethod, tc.givenKey, oaClaims(), map[string]any{"kid": tc.givenKid}))
			expectOAErr(t, err, verifier.ErrKeyAlgorithmMismatch, verifier.ErrUnsupportedAlgorithm)
		})
	}
	// A JWK "alg" binds the key to that algorithm.
	pinned := jwksOf(map[string]any{"kty": "RSA", "kid": "rsa-1", "alg": "PS256", "n": b64(k.rsa.N.Bytes()), "e": "AQAB"})
	vp := newOAVerifier(t, k, verifier.WithJWKS(pinned))
	_, err := vp.Verify(context.Background(), rsaToken(t, k, nil))
	expectOAErr(t, err, verifier.ErrKeyAlgorithmMismatch)
	_, err = vp.Verify(context.Background(), mint(t, jwt.SigningMethodPS256, k.rsa, oaClaims(), map[string]any{"kid": "rsa-1"}))
	expectOAErr(t, err)
}

func TestTamperedPayloadIsRefused(t *testing.T) {
	k := getOAKeys(t)
	v := newOAVerifier(t, k)
	tok := rsaToken(t, k, nil)
	parts := strings.Split(tok, ".")
	evil := oaClaims()
	evil["sub"] = "Administrator@vsphere.local"
	payload, _ := json.Marshal(evil)
	forged := parts[0] + "." + b64(payload) + "." + parts[2]
	_, err := v.Verify(context.Background(), forged)
	expectOAErr(t, err, verifier.ErrBadSignature)
	if r := verifier.ReasonOf(err); r != vapisec.ReasonBadSignature {
		t.Fatalf("reason %q", r)
	}
	// A signature of another key.
	_, err = v.Verify(context.Background(), mint(t, jwt.SigningMethodRS256, k.evilRSA, oaClaims(), map[string]any{"kid": "rsa-1"}))
	expectOAErr(t, err, verifier.ErrBadSignature)
	// Padded base64 is not the strict encoding.
	_, err = v.Verify(context.Background(), parts[0]+"."+parts[1]+"."+parts[2]+"==")
	expectOAErr(t, err, verifier.ErrMalformedToken)
}

func TestForgedKidsCauseAtMostOneJWKSRefreshPerInterval(t *testing.T) {
	k := getOAKeys(t)
	srv := newJWKSServer(t, trustedJWKS(k))
	clock := newTestClock(testNow)
	v := newOAVerifier(t, k, verifier.WithJWKSURL(srv.URL+"/keys"), verifier.WithAccessTokenClock(clock.now), verifier.WithJWKSRefreshInterval(time.Minute))
	if _, err := v.Verify(context.Background(), rsaToken(t, k, nil)); err != nil {
		t.Fatal(err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d JWKS requests after the first token, want 1", n)
	}
	forge := func(i int) {
		tok := mint(t, jwt.SigningMethodRS256, k.evilRSA, oaClaims(), map[string]any{"kid": "forged-" + strings.Repeat("x", i%7) + string(rune('a'+i%26))})
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, verifier.ErrUnknownKey) {
			t.Errorf("forged kid: %v", err)
		}
	}
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() { defer wg.Done(); forge(i) }()
	}
	wg.Wait()
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d JWKS requests after 200 forged kids within the interval, want 1", n)
	}
	clock.advance(time.Minute)
	for i := range 200 {
		wg.Add(1)
		go func() { defer wg.Done(); forge(i) }()
	}
	wg.Wait()
	if n := srv.requests.Load(); n != 2 {
		t.Fatalf("%d JWKS requests after the interval and 200 more forged kids, want 2", n)
	}
}

func TestRotatedKeyIsPickedUpByOneRefresh(t *testing.T) {
	k := getOAKeys(t)
	srv := newJWKSServer(t, trustedJWKS(k))
	clock := newTestClock(testNow)
	v := newOAVerifier(t, k, verifier.WithJWKSURL(srv.URL+"/keys"), verifier.WithAccessTokenClock(clock.now))
	if _, err := v.Verify(context.Background(), rsaToken(t, k, nil)); err != nil {
		t.Fatal(err)
	}
	// The provider rotates to a new key "rsa-2".
	srv.set(jwksOf(rsaJWK(&k.rsa.PublicKey, "rsa-1"), rsaJWK(&k.evilRSA.PublicKey, "rsa-2")), 0)
	clock.advance(verifier.DefaultJWKSRefreshInterval)
	rotated := mint(t, jwt.SigningMethodRS256, k.evilRSA, oaClaims(), map[string]any{"kid": "rsa-2"})
	if _, err := v.Verify(context.Background(), rotated); err != nil {
		t.Fatal(err)
	}
	if n := srv.requests.Load(); n != 2 {
		t.Fatalf("%d JWKS requests, want 2", n)
	}
}

func TestJWKSDownWithNothingCachedFailsClosed(t *testing.T) {
	k := getOAKeys(t)
	srv := newJWKSServer(t, nil)
	srv.set(nil, http.StatusInternalServerError)
	clock := newTestClock(testNow)
	v := newOAVerifier(t, k, verifier.WithJWKSURL(srv.URL+"/keys"), verifier.WithAccessTokenClock(clock.now))
	_, err := v.Verify(context.Background(), rsaToken(t, k, nil))
	expectOAErr(t, err, verifier.ErrKeysUnavailable)
	if r := verifier.ReasonOf(err); r != vapisec.ReasonKeysUnavailable {
		t.Fatalf("reason %q", r)
	}
	// Still down within the interval: no new request, still refused.
	_, err = v.Verify(context.Background(), rsaToken(t, k, nil))
	expectOAErr(t, err, verifier.ErrKeysUnavailable)
	if n := srv.requests.Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
	// Back up after the interval: accepted.
	srv.set(trustedJWKS(k), 0)
	clock.advance(verifier.DefaultJWKSRefreshInterval)
	if _, err := v.Verify(context.Background(), rsaToken(t, k, func(c jwt.MapClaims) { c["jti"] = "2" })); err != nil {
		t.Fatal(err)
	}
	// Down again after the keys are older than the maximum age: the cached
	// keys stay in use.
	srv.set(nil, http.StatusServiceUnavailable)
	clock.advance(verifier.DefaultJWKSMaxAge)
	if _, err := v.Verify(context.Background(), rsaToken(t, k, func(c jwt.MapClaims) {
		c["iat"], c["nbf"], c["exp"] = clock.now().Unix(), clock.now().Unix(), clock.now().Add(time.Minute).Unix()
	})); err != nil {
		t.Fatal(err)
	}
}

func TestDiscoveryFindsTheJWKSAndChecksTheIssuer(t *testing.T) {
	k := getOAKeys(t)
	var issuer string
	var jwksHits, badIssuer sync.Map
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	issuer = srv.URL + "/realms/dev"
	mux.HandleFunc("/realms/dev/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss := issuer
		if _, ok := badIssuer.Load("on"); ok {
			iss = issuer + "/"
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": iss, "jwks_uri": srv.URL + "/realms/dev/certs"})
	})
	mux.HandleFunc("/realms/dev/certs", func(w http.ResponseWriter, r *http.Request) {
		jwksHits.Store("hit", true)
		_, _ = w.Write(trustedJWKS(k))
	})
	newV := func() *verifier.AccessTokenVerifier {
		v, err := verifier.NewAccessTokenVerifier(verifier.WithAccessTokenIssuer(issuer), verifier.WithAccessTokenAudiences(oaAudience), verifier.WithAccessTokenClock(fixedClock(testNow)))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tok := rsaToken(t, k, func(c jwt.MapClaims) { c["iss"] = issuer })
	if _, err := newV().Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	if _, ok := jwksHits.Load("hit"); !ok {
		t.Fatal("jwks_uri not fetched")
	}
	badIssuer.Store("on", true)
	_, err := newV().Verify(context.Background(), tok)
	expectOAErr(t, err, verifier.ErrKeysUnavailable)
}

func TestJWKSRedirectToAnotherHostIsNotFollowed(t *testing.T) {
	k := getOAKeys(t)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("redirect to another host followed: %s", r.URL)
		_, _ = w.Write(trustedJWKS(k))
	}))
	defer other.Close()
	// 127.0.0.1 and localhost are different hosts.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	redirector := httptest.NewServer(http.RedirectHandler(otherURL+"/keys", http.StatusFound))
	defer redirector.Close()
	v := newOAVerifier(t, k, verifier.WithJWKSURL(redirector.URL+"/keys"))
	_, err := v.Verify(context.Background(), rsaToken(t, k, nil))
	expectOAErr(t, err, verifier.ErrKeysUnavailable)
}

func TestOversizedJWKSIsRefused(t *testing.T) {
	k := getOAKeys(t)
	big := []byte(`{"keys":[],"pad":"` + strings.Repeat("A", verifier.DefaultMaxJWKSSize) + `"}`)
	srv := newJWKSServer(t, big)
	v := newOAVerifier(t, k, verifier.WithJWKSURL(srv.URL+"/keys"))
	_, err := v.Verify(context.Background(), rsaToken(t, k, nil))
	expectOAErr(t, err, verifier.ErrKeysUnavailable)
}

func TestAccessTokenCacheNeverOutlivesExpPlusSkew(t *testing.T) {
	k := getOAKeys(t)
	clock := newTestClock(testNow)
	v := newOAVerifier(t, k, verifier.WithAccessTokenClock(clock.now))
	tok := rsaToken(t, k, nil) // exp = testNow + 4 min
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	if n := verifier.AccessCacheLen(v); n != 1 {
		t.Fatalf("cache holds %d", n)
	}
	clock.advance(4*time.Minute + verifier.DefaultAccessTokenSkew - time.Second)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("within exp + skew: %v", err)
	}
	clock.advance(time.Second)
	_, err := v.Verify(context.Background(), tok)
	expectOAErr(t, err, verifier.ErrTokenExpired)
	if n := verifier.AccessCacheLen(v); n != 0 {
		t.Fatalf("expired entry kept: cache holds %d", n)
	}
}

func TestAccessTokenCacheIsBounded(t *testing.T) {
	k := getOAKeys(t)
	v := newOAVerifier(t, k, verifier.WithAccessTokenCacheSize(8))
	for i := range 40 {
		tok := rsaToken(t, k, func(c jwt.MapClaims) { c["jti"] = i })
		// jti must be a string: every one of these is refused and never cached.
		if _, err := v.Verify(context.Background(), tok); err == nil {
			t.Fatal("numeric jti accepted")
		}
	}
	for i := range 40 {
		tok := rsaToken(t, k, func(c jwt.MapClaims) { c["jti"] = strings.Repeat("j", i+1) })
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := verifier.AccessCacheLen(v); n > 8 {
		t.Fatalf("cache holds %d, bound 8", n)
	}
}

func TestClaimMapping(t *testing.T) {
	k := getOAKeys(t)
	cases := []struct {
		name            string
		givenOpts       []verifier.AccessTokenOption
		givenClaims     func(jwt.MapClaims)
		expectPrincipal vapisec.Principal
		expectGroups    []string
		expectErrs      []error
	}{
		{name: "ok, defaults", expectPrincipal: vapisec.Principal{Name: "alice", Domain: "vsphere.local"}, expectGroups: []string{`vsphere.local\Administrators`, "admins"}},
		{
			name:      "ok, custom subject and domain claims",
			givenOpts: []verifier.AccessTokenOption{verifier.WithSubjectClaim("upn"), verifier.WithDomainClaim("domain"), verifier.WithGroupClaims("group_names")},
			givenClaims: func(c jwt.MapClaims) {
				c["sub"], c["upn"], c["domain"] = "2b8c0f0e-uuid", "alice@corp.example", "corp.example"
			},
			expectPrincipal: vapisec.Principal{Name: "alice", Domain: "corp.example"},
			expectGroups:    []string{`vsphere.local\Administrators`},
		},
		{name: "ok, groups as a single string", givenOpts: []verifier.AccessTokenOption{verifier.WithGroupClaims("groups")}, givenClaims: func(c jwt.MapClaims) { c["groups"] = "one" }, expectPrincipal: vapisec.Principal{Name: "alice", Domain: "vsphere.local"}, expectGroups: []string{"one"}},
		{name: "nok, no sub", givenClaims: func(c jwt.MapClaims) { delete(c, "sub") }, expectErrs: []error{verifier.ErrMissingClaim}},
		{name: "nok, sub a number", givenClaims: func(c jwt.MapClaims) { c["sub"] = 7 }, expectErrs: []error{verifier.ErrMissingClaim}},
		{name: "nok, sub with a newline", givenClaims: func(c jwt.MapClaims) { c["sub"] = "alice\nadmin" }, expectErrs: []error{verifier.ErrMissingClaim}},
		{name: "nok, groups with a number", givenClaims: func(c jwt.MapClaims) { c["groups"] = []any{"a", 1} }, expectErrs: []error{verifier.ErrMissingClaim}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newOAVerifier(t, k, tc.givenOpts...)
			at, err := v.Verify(context.Background(), rsaToken(t, k, tc.givenClaims))
			expectOAErr(t, err, tc.expectErrs...)
			if err != nil {
				return
			}
			if at.Principal != tc.expectPrincipal || strings.Join(at.Groups, "|") != strings.Join(tc.expectGroups, "|") {
				t.Fatalf("principal %+v groups %q", at.Principal, at.Groups)
			}
		})
	}
}

func TestMalformedTokensAreRefusedAsMalformed(t *testing.T) {
	k := getOAKeys(t)
	v := newOAVerifier(t, k)
	for _, tok := range []string{"", ".", "..", "a.b", "a.b.c", "a.b.c.d", "!!!.!!!.!!!", b64([]byte("{")) + ".e30.", b64([]byte(`{"alg":"RS256"}`)) + "." + b64([]byte("[1]")) + "." + b64([]byte("s"))} {
		_, err := v.Verify(context.Background(), tok)
		if err == nil {
			t.Fatalf("%q accepted", tok)
		}
		if r := verifier.ReasonOf(err); r != vapisec.ReasonMalformed && r != vapisec.ReasonBadSignature && r != vapisec.ReasonUnsupportedAlgorithm {
			t.Fatalf("%q: reason %q (%v)", tok, r, err)
		}
	}
}

func TestKeyRemovedAtTheProviderStopsBeingAcceptedFromTheCache(t *testing.T) {
	k := getOAKeys(t)
	srv := newJWKSServer(t, trustedJWKS(k))
	clock := newTestClock(testNow)
	v := newOAVerifier(t, k, verifier.WithJWKSURL(srv.URL+"/keys"), verifier.WithAccessTokenClock(clock.now), verifier.WithJWKSMaxAge(2*time.Minute))
	tok := rsaToken(t, k, nil) // exp = testNow + 4 min
	for range 2 {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	// The provider drops rsa-1 (compromised); the keys come due.
	srv.set(jwksOf(ecJWK(&k.ec.PublicKey, "ec-1")), 0)
	clock.advance(2 * time.Minute)
	_, err := v.Verify(context.Background(), tok)
	expectOAErr(t, err, verifier.ErrUnknownKey)
}
