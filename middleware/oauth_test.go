package middleware_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

const oauthIssuer = "https://idp.example.test"

// oauthEnv is a test server with the OAuth scheme, trusting the key of a
// development issuer, and a second key nobody trusts.
type oauthEnv struct {
	*testServer
	issuer  *sts.AccessTokenIssuer
	key     *rsa.PrivateKey
	evilKey *rsa.PrivateKey
}

func newOAuthEnv(t testing.TB, opts ...verifier.AccessTokenOption) *oauthEnv {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	key, _, err := sts.GenerateKeyPair("issuer", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	evil, _, err := sts.GenerateKeyPair("evil", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	env := &oauthEnv{key: key.(*rsa.PrivateKey), evilKey: evil.(*rsa.PrivateKey)}
	env.testServer = newTestServer(t, func(c *middleware.Config) {
		iss, err := sts.NewAccessTokenIssuer(key, oauthIssuer, func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		env.issuer = iss
		all := append([]verifier.AccessTokenOption{
			verifier.WithAccessTokenIssuer(oauthIssuer),
			verifier.WithAccessTokenAudiences(sts.DefaultAccessTokenAudience),
			verifier.WithJWKS(iss.JWKS()),
			verifier.WithAccessTokenClock(func() time.Time { return now }),
		}, opts...)
		v, err := verifier.NewAccessTokenVerifier(all...)
		if err != nil {
			t.Fatal(err)
		}
		c.AccessTokenVerifier = v
	})
	return env
}

func (env *oauthEnv) token(t testing.TB) string {
	t.Helper()
	tok, err := env.issuer.Issue(sts.AccessTokenRequest{Subject: "carol@corp.example", Groups: []string{"corp.example\\Ops"}})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// forge signs claims (a valid set edited by edit) with key and the given
// header members.
func (env *oauthEnv) forge(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, edit func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	claims := jwt.MapClaims{"iss": oauthIssuer, "sub": "carol@corp.example", "aud": sts.DefaultAccessTokenAudience, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	if edit != nil {
		edit(claims)
	}
	tk := jwt.NewWithClaims(method, claims)
	tk.Header["kid"] = env.issuer.KeyID()
	for k, v := range header {
		tk.Header[k] = v
	}
	s, err := tk.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func bearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// expectReason checks the reason message of a vAPI error body.
func expectReason(t testing.TB, rec *httptest.ResponseRecorder, want vapisec.Reason) {
	t.Helper()
	got, err := decodeVAPIError(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	for _, id := range got.IDs {
		if id == want.MessageID() {
			return
		}
	}
	t.Fatalf("reason %s not in %v (body %s)", want, got.IDs, rec.Body)
}

func TestOAuthBearerAndCSPAuthTokenAuthenticate(t *testing.T) {
	env := newOAuthEnv(t)
	tok := env.token(t)
	cases := []struct {
		name         string
		givenHeader  http.Header
		expectSource vapisec.CredentialSource
	}{
		{name: "ok, Authorization: Bearer", givenHeader: bearer(tok), expectSource: vapisec.SourceAuthorization},
		{name: "ok, lower-case scheme", givenHeader: http.Header{"Authorization": {"bearer " + tok}}, expectSource: vapisec.SourceAuthorization},
		{name: "ok, csp-auth-token (Go SDK)", givenHeader: http.Header{vapisec.HeaderCSPAuthToken: {tok}}, expectSource: vapisec.SourceHeader},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := env.do(t, http.MethodGet, "/api/whoami", tc.givenHeader)
			if rec.Code != http.StatusOK {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			var sc vapisec.SecurityContext
			if err := json.Unmarshal(rec.Body.Bytes(), &sc); err != nil {
				t.Fatal(err)
			}
			if sc.Scheme != vapisec.SchemeOAuth || sc.Principal.String() != "carol@corp.example" || sc.Source != tc.expectSource || len(sc.Groups) != 1 || sc.Token == nil || sc.Token.Issuer != oauthIssuer {
				t.Fatalf("security context %+v", sc)
			}
		})
	}
	// Require(SchemeOAuth) accepts it; Require(SchemeUserPass) does not.
	rec := env.do(t, http.MethodGet, "/api/basic-only", bearer(tok))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("basic-only route: %d", rec.Code)
	}
	expectReason(t, rec, vapisec.ReasonSchemeNotAllowed)
}

func TestOAuthRequireScheme(t *testing.T) {
	env := newOAuthEnv(t)
	chain, err := middleware.Chain(middleware.Config{Manager: env.manager, AccessTokenVerifier: mustVerifierOf(t, env)})
	if err != nil {
		t.Fatal(err)
	}
	env.e.GET("/api/oauth-only", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, append(chain, middleware.Require(vapisec.SchemeOAuth))...)
	if rec := env.do(t, http.MethodGet, "/api/oauth-only", bearer(env.token(t))); rec.Code != http.StatusNoContent {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	sid := env.login(t)
	rec := env.do(t, http.MethodGet, "/api/oauth-only", http.Header{"Vmware-Api-Session-Id": {sid}})
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("session on an OAuth-only route: %d", rec.Code)
	}
}

func mustVerifierOf(t testing.TB, env *oauthEnv) *verifier.AccessTokenVerifier {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	v, err := verifier.NewAccessTokenVerifier(verifier.WithAccessTokenIssuer(oauthIssuer), verifier.WithAccessTokenAudiences(sts.DefaultAccessTokenAudience),
		verifier.WithJWKS(env.issuer.JWKS()), verifier.WithAccessTokenClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOAuthAttacksAreRefusedWithInvalidToken runs the attacks of issue 18
// through the HTTP stack: each is a 401 with the RFC 6750 challenge, a
// vAPI error body and its reason, never a fall-through to another scheme.
func TestOAuthAttacksAreRefusedWithInvalidToken(t *testing.T) {
	env := newOAuthEnv(t)
	pubDER, err := x509.MarshalPKIXPublicKey(&env.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request went out to the attacker: %s", r.URL)
	}))
	defer attacker.Close()
	good := env.token(t)
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tamperedPayload := bytes.Replace(payload, []byte("carol@corp.example"), []byte("admin@corp.example"), 1)
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))

	cases := []struct {
		name         string
		givenToken   string
		expectReason vapisec.Reason
	}{
		{name: "nok, alg none", givenToken: noneHeader + "." + parts[1] + ".", expectReason: vapisec.ReasonUnsupportedAlgorithm},
		{name: "nok, HS256 keyed with the RSA public key (CVE-2015-9235)", givenToken: env.forge(t, jwt.SigningMethodHS256, pubPEM, nil, nil), expectReason: vapisec.ReasonUnsupportedAlgorithm},
		{name: "nok, kid pointing at a path", givenToken: env.forge(t, jwt.SigningMethodRS256, env.evilKey, map[string]any{"kid": "../../../../etc/passwd"}, nil), expectReason: vapisec.ReasonUntrustedIssuer},
		{name: "nok, kid with SQL", givenToken: env.forge(t, jwt.SigningMethodRS256, env.evilKey, map[string]any{"kid": "x' UNION SELECT key FROM keys --"}, nil), expectReason: vapisec.ReasonUntrustedIssuer},
		{name: "nok, jku to the attacker", givenToken: env.forge(t, jwt.SigningMethodRS256, env.evilKey, map[string]any{"kid": "evil", "jku": attacker.URL}, nil), expectReason: vapisec.ReasonUntrustedIssuer},
		{name: "nok, expired beyond the skew", givenToken: env.forge(t, jwt.SigningMethodRS256, env.key, nil, func(c jwt.MapClaims) { c["exp"] = c["iat"].(int64) - 61 }), expectReason: vapisec.ReasonExpired},
		{name: "nok, audience list without us", givenToken: env.forge(t, jwt.SigningMethodRS256, env.key, nil, func(c jwt.MapClaims) { c["aud"] = []string{"a", "b"} }), expectReason: vapisec.ReasonAudienceMismatch},
		{name: "nok, issuer with a trailing slash", givenToken: env.forge(t, jwt.SigningMethodRS256, env.key, nil, func(c jwt.MapClaims) { c["iss"] = oauthIssuer + "/" }), expectReason: vapisec.ReasonUntrustedIssuer},
		{name: "nok, oversized token", givenToken: env.forge(t, jwt.SigningMethodRS256, env.key, nil, func(c jwt.MapClaims) { c["pad"] = strings.Repeat("p", verifier.DefaultMaxAccessTokenSize) }), expectReason: vapisec.ReasonMalformed},
		{name: "nok, unknown crit", givenToken: env.forge(t, jwt.SigningMethodRS256, env.key, map[string]any{"crit": []string{"urn:x"}, "urn:x": true}, nil), expectReason: vapisec.ReasonMalformed},
		{name: "nok, typ JWE", givenToken: env.forge(t, jwt.SigningMethodRS256, env.key, map[string]any{"typ": "JWE"}, nil), expectReason: vapisec.ReasonMalformed},
		{name: "nok, five parts (JWE)", givenToken: "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d", expectReason: vapisec.ReasonMalformed},
		{name: "nok, RSA key with an ES256 header", givenToken: es256WithRSAKid(t, env), expectReason: vapisec.ReasonUnsupportedAlgorithm},
		{name: "nok, tampered payload", givenToken: parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + parts[2], expectReason: vapisec.ReasonBadSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/whoami", "/rest/whoami", "/api/anonymous"} {
				rec := env.do(t, http.MethodGet, path, bearer(tc.givenToken))
				if rec.Code != http.StatusUnauthorized {
					t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
				}
				if got := rec.Header().Get(echo.HeaderWWWAuthenticate); got != `Bearer realm="vapisec", error="invalid_token"` {
					t.Fatalf("%s: WWW-Authenticate %q", path, got)
				}
				expectReason(t, rec, tc.expectReason)
			}
		})
	}
}

func es256WithRSAKid(t testing.TB, env *oauthEnv) string {
	t.Helper()
	ec := mustECKey(t)
	return env.forge(t, jwt.SigningMethodES256, ec, nil, nil)
}

func TestOAuthMalformedHeaderIsInvalidRequest(t *testing.T) {
	env := newOAuthEnv(t)
	tok := env.token(t)
	for name, h := range map[string]http.Header{
		"empty token":              {"Authorization": {"Bearer "}},
		"control character":        {"Authorization": {"Bearer abc\x01def"}},
		"differing csp-auth-token": {"Authorization": {"Bearer " + tok}, vapisec.HeaderCSPAuthToken: {tok + "x"}},
		"two csp-auth-token":       {vapisec.HeaderCSPAuthToken: {tok, tok}},
	} {
		t.Run(name, func(t *testing.T) {
			rec := env.do(t, http.MethodGet, "/api/whoami", h)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get(echo.HeaderWWWAuthenticate); got != `Bearer realm="vapisec", error="invalid_request"` {
				t.Fatalf("WWW-Authenticate %q", got)
			}
			expectVAPIError(t, rec, "INVALID_ARGUMENT", "vapi.security.rest.context.error")
			if strings.Contains(rec.Body.String(), tok) {
				t.Fatal("the token is echoed in the error body")
			}
		})
	}
}

func TestOAuthMissingCredentialChallengesBearer(t *testing.T) {
	env := newOAuthEnv(t)
	rec := env.do(t, http.MethodGet, "/api/whoami", nil)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("%d", rec.Code)
	}
	if got := rec.Header().Get(echo.HeaderWWWAuthenticate); !strings.Contains(got, `Bearer realm="vapisec"`) || !strings.Contains(got, `Basic realm="vapisec"`) {
		t.Fatalf("WWW-Authenticate %q", got)
	}
}

func TestOAuthJWKSDownWithNothingCachedIs503(t *testing.T) {
	var hits atomic.Int64
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer down.Close()
	env := newOAuthEnv(t, verifier.WithJWKSURL(down.URL+"/keys"))
	for _, path := range []string{"/api/whoami", "/rest/whoami"} {
		rec := env.do(t, http.MethodGet, path, bearer(env.token(t)))
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		expectVAPIError(t, rec, "SERVICE_UNAVAILABLE", "vapisec.service.unavailable")
		expectReason(t, rec, vapisec.ReasonKeysUnavailable)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches, want 1 within the refresh interval", n)
	}
}

func TestOAuthForgedKidsDoNotCauseARefreshStorm(t *testing.T) {
	env := newOAuthEnv(t)
	var hits atomic.Int64
	jwks := env.issuer.JWKS()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write(jwks)
	}))
	defer srv.Close()
	env = newOAuthEnvWithIssuer(t, env, verifier.WithJWKSURL(srv.URL+"/keys"))
	if rec := env.do(t, http.MethodGet, "/api/whoami", bearer(env.token(t))); rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	for i := range 100 {
		tok := env.forge(t, jwt.SigningMethodRS256, env.evilKey, map[string]any{"kid": "forged-" + string(rune('A'+i%50)) + strings.Repeat("z", i)}, nil)
		if rec := env.do(t, http.MethodGet, "/api/whoami", bearer(tok)); rec.Code != http.StatusUnauthorized {
			t.Fatalf("forged kid: %d", rec.Code)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches for one good token and 100 forged kids, want 1", n)
	}
}

// newOAuthEnvWithIssuer rebuilds the server of env around the same issuer
// with extra verifier options.
func newOAuthEnvWithIssuer(t testing.TB, env *oauthEnv, opts ...verifier.AccessTokenOption) *oauthEnv {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	out := &oauthEnv{issuer: env.issuer, key: env.key, evilKey: env.evilKey}
	out.testServer = newTestServer(t, func(c *middleware.Config) {
		all := append([]verifier.AccessTokenOption{
			verifier.WithAccessTokenIssuer(oauthIssuer),
			verifier.WithAccessTokenAudiences(sts.DefaultAccessTokenAudience),
			verifier.WithAccessTokenClock(func() time.Time { return now }),
		}, opts...)
		v, err := verifier.NewAccessTokenVerifier(all...)
		if err != nil {
			t.Fatal(err)
		}
		c.AccessTokenVerifier = v
	})
	return out
}

func TestOAuthLoginCreatesASession(t *testing.T) {
	env := newOAuthEnv(t)
	tok := env.token(t)
	for _, tc := range []struct {
		path       string
		expectCode int
	}{{"/api/session", http.StatusCreated}, {"/rest/com/vmware/cis/session", http.StatusOK}} {
		t.Run(tc.path, func(t *testing.T) {
			h := bearer(tok)
			h.Set("Vmware-Use-Header-Authn", "true")
			rec := env.do(t, http.MethodPost, tc.path, h)
			if rec.Code != tc.expectCode {
				t.Fatalf("login: %d %s", rec.Code, rec.Body)
			}
			var id string
			if tc.path == "/api/session" {
				_ = json.Unmarshal(rec.Body.Bytes(), &id)
			} else {
				var v struct{ Value string }
				_ = json.Unmarshal(rec.Body.Bytes(), &v)
				id = v.Value
			}
			if id == "" {
				t.Fatalf("no session id in %s", rec.Body)
			}
			rec = env.do(t, http.MethodGet, "/api/session", http.Header{"Vmware-Api-Session-Id": {id}})
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `CORP.EXAMPLE\\carol`) {
				t.Fatalf("session: %d %s", rec.Code, rec.Body)
			}
			rec = env.do(t, http.MethodGet, "/api/whoami", http.Header{"Vmware-Api-Session-Id": {id}})
			var sc vapisec.SecurityContext
			_ = json.Unmarshal(rec.Body.Bytes(), &sc)
			if sc.Scheme != vapisec.SchemeSession || sc.Principal.String() != "carol@corp.example" || len(sc.Groups) != 1 {
				t.Fatalf("session context %+v", sc)
			}
		})
	}
	// A refused token creates no session.
	rec := env.do(t, http.MethodPost, "/api/session", bearer(tok+"x"))
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("bad token login: %d", rec.Code)
	}
}

func TestOAuthJSONRPCFailureUsesTheJSONRPCShape(t *testing.T) {
	env := newOAuthEnv(t)
	chain, err := middleware.Chain(middleware.Config{Manager: env.manager, AccessTokenVerifier: mustVerifierOf(t, env)})
	if err != nil {
		t.Fatal(err)
	}
	env.e.POST("/api", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, append(chain, middleware.AllowAnonymous())...)
	body := `{"jsonrpc":"2.0","id":"call-7","method":"invoke","params":{"serviceId":"com.vmware.cis.session","operationId":"get","input":{"STRUCTURE":{"operation-input":{}}},"ctx":{"appCtx":{}}}}`
	req := httptest.NewRequest(http.MethodPost, "/api", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+env.token(t)+"x")
	rec := httptest.NewRecorder()
	env.e.ServeHTTP(rec, req)
	var resp middleware.JSONRPCResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
	}
	if string(resp.ID) != `"call-7"` || !strings.Contains(rec.Body.String(), vapisec.ReasonMalformed.MessageID()) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get(echo.HeaderWWWAuthenticate); got != `Bearer realm="vapisec", error="invalid_token"` {
		t.Fatalf("WWW-Authenticate %q", got)
	}
}

func TestOAuthConfigErrors(t *testing.T) {
	if _, err := (middleware.OAuthConfig{}).ToMiddleware(); err != middleware.ErrNoAccessTokenVerifier {
		t.Fatalf("%v", err)
	}
}

func mustECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
