package middleware_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// oauthRPC is the JSON-RPC test server with an AccessTokenVerifier (the
// one the OAuth middleware uses) and the issuer it trusts.
type oauthRPC struct {
	*testServer
	env *oauthEnv // the issuer and forge helpers of oauth_test.go
}

func newOAuthRPCServer(t *testing.T) *oauthRPC {
	t.Helper()
	env := newOAuthEnv(t) // makes the issuer
	s := newRPCServer(t, func(c *middleware.Config) { c.AccessTokenVerifier = mustVerifierOf(t, env) })
	return &oauthRPC{testServer: s, env: env}
}

func oauthCtx(tok string) string {
	b, _ := json.Marshal(tok)
	return `{"accessToken":` + string(b) + `,"schemeId":"com.vmware.vapi.std.security.oauth"}`
}

// TestJSONRPCAccessTokenLogin: GoSDK's OauthSecurityContext on JSON-RPC
// ({schemeId: oauth, accessToken}) goes through the chain's
// AccessTokenVerifier: a call with it runs as the token's subject (scheme
// oauth, source body), and session create with it opens a session for
// that principal.
func TestJSONRPCAccessTokenLogin(t *testing.T) {
	s := newOAuthRPCServer(t)
	tok := s.env.token(t)
	rec := s.post(t, "/api", nil, rpcBody("com.example", "whoami", oauthCtx(tok)))
	r, err := decodeReply(rec.Body.Bytes())
	var out string
	if err != nil || rec.Code != http.StatusOK || !r.HasOutput || json.Unmarshal(r.Output, &out) != nil ||
		out != "com.vmware.vapi.std.security.oauth body carol@corp.example" {
		t.Fatalf("call with accessToken: %d %s (%v)", rec.Code, rec.Body, err)
	}
	rec = s.post(t, "/api", nil, rpcBody("com.vmware.cis.session", "create", oauthCtx(tok)))
	r, err = decodeReply(rec.Body.Bytes())
	var id string
	if err != nil || rec.Code != http.StatusOK || !r.HasOutput || json.Unmarshal(r.Output, &id) != nil || id == "" {
		t.Fatalf("session create with accessToken: %d %s (%v)", rec.Code, rec.Body, err)
	}
	rec = s.post(t, "/api", nil, rpcBody("com.example", "whoami", sessionCtx(id)))
	if r, err = decodeReply(rec.Body.Bytes()); err != nil || json.Unmarshal(r.Output, &out) != nil || !strings.HasSuffix(out, " carol@corp.example") ||
		!strings.HasPrefix(out, string(vapisec.SchemeSession)) {
		t.Fatalf("call in the session: %d %s (%v)", rec.Code, rec.Body, err)
	}
}

// TestForgedJSONRPCAccessTokenIsRefused: the body form of the OAuth scheme
// is a second door to the same verifier. A token the Authorization:
// Bearer path refuses — forged, tampered, alg:none, expired, for another
// audience — must be refused in the body too, in JSON-RPC form
// (unauthenticated in result.error with the verifier's reason), never
// taken as the principal it names.
func TestForgedJSONRPCAccessTokenIsRefused(t *testing.T) {
	s := newOAuthRPCServer(t)
	env := s.env
	valid := env.token(t)
	parts := strings.Split(valid, ".")
	tampered := parts[0] + "." + jwtSeg(t, `{"iss":"`+oauthIssuer+`","sub":"administrator@vsphere.local","aud":"`+sts.DefaultAccessTokenAudience+`","exp":4102444800}`) + "." + parts[2]
	none := jwtSeg(t, `{"alg":"none","typ":"JWT"}`) + "." + parts[1] + "."
	tests := []struct {
		name         string
		givenToken   string
		expectReason vapisec.Reason
	}{
		{name: "nok, signed by another key", givenToken: env.forge(t, jwt.SigningMethodRS256, env.evilKey, nil, nil), expectReason: vapisec.ReasonBadSignature},
		{name: "nok, claims changed after signing", givenToken: tampered, expectReason: vapisec.ReasonBadSignature},
		{name: "nok, alg none", givenToken: none, expectReason: vapisec.ReasonUnsupportedAlgorithm},
		{name: "nok, expired", givenToken: env.forge(t, jwt.SigningMethodRS256, env.key, nil, func(c jwt.MapClaims) {
			c["iat"], c["exp"] = time.Date(2026, 1, 2, 1, 0, 0, 0, time.UTC).Unix(), time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC).Unix()
		}), expectReason: vapisec.ReasonExpired},
		{name: "nok, other audience", givenToken: env.forge(t, jwt.SigningMethodRS256, env.key, nil, func(c jwt.MapClaims) { c["aud"] = "other-service" }), expectReason: vapisec.ReasonAudienceMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, op := range [][2]string{{"com.example", "whoami"}, {"com.vmware.cis.session", "create"}} {
				rec := s.post(t, "/api", nil, rpcBody(op[0], op[1], oauthCtx(tt.givenToken)))
				expectRPCError(t, rec, "unauthenticated", tt.expectReason.MessageID())
			}
		})
	}
}

// TestJSONRPCAccessTokenMalformed: the accessToken member is held to the
// rules of a Bearer header; a credential of another scheme beside it is
// ambiguous.
func TestJSONRPCAccessTokenMalformed(t *testing.T) {
	s := newOAuthRPCServer(t)
	create := func(sc string) []byte { return rpcBody("com.vmware.cis.session", "create", sc) }
	tests := []struct {
		name        string
		givenHeader http.Header
		givenBody   []byte
		expectKind  string
	}{
		{name: "nok, accessToken missing", givenBody: create(`{"schemeId":"com.vmware.vapi.std.security.oauth"}`), expectKind: "invalid_argument"},
		{name: "nok, accessToken empty", givenBody: create(oauthCtx("")), expectKind: "invalid_argument"},
		{name: "nok, accessToken not a string", givenBody: create(`{"accessToken":["a.b.c"],"schemeId":"com.vmware.vapi.std.security.oauth"}`), expectKind: "invalid_argument"},
		{name: "nok, accessToken with a space", givenBody: create(oauthCtx("a.b c")), expectKind: "invalid_argument"},
		{name: "nok, accessToken too long", givenBody: create(oauthCtx(strings.Repeat("a", 70000))), expectKind: "invalid_argument"},
		{name: "nok, accessToken and Basic", givenHeader: http.Header{"Authorization": {basic("bob", "pw")}}, givenBody: create(oauthCtx(s.env.token(t))), expectKind: "invalid_request"},
		{name: "nok, accessToken and csp-auth-token", givenHeader: http.Header{"Csp-Auth-Token": {s.env.token(t)}}, givenBody: create(oauthCtx(s.env.token(t))), expectKind: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectRPCError(t, s.post(t, "/api", tt.givenHeader, tt.givenBody), tt.expectKind)
		})
	}
}

// TestJSONRPCAccessTokenKeysUnavailable: with the issuer's keys out of
// reach and none cached the body scheme fails closed, as the header does:
// service_unavailable, keys_unavailable.
func TestJSONRPCAccessTokenKeysUnavailable(t *testing.T) {
	env := newOAuthEnv(t)
	v, err := verifier.NewAccessTokenVerifier(verifier.WithAccessTokenIssuer(oauthIssuer), verifier.WithAccessTokenAudiences(sts.DefaultAccessTokenAudience),
		verifier.WithJWKSURL("https://127.0.0.1:1/jwks.json"), verifier.WithJWKSFetchTimeout(2*time.Second),
		verifier.WithAccessTokenClock(func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	s := newRPCServer(t, func(c *middleware.Config) { c.AccessTokenVerifier = v })
	rec := s.post(t, "/api", nil, rpcBody("com.vmware.cis.session", "create", oauthCtx(env.token(t))))
	expectRPCError(t, rec, "service_unavailable", vapisec.ReasonKeysUnavailable.MessageID())
}

func jwtSeg(t *testing.T, s string) string {
	t.Helper()
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}
