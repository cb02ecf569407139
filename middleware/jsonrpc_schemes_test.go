package middleware_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/datavalue"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// rpcBody is a vAPI JSON-RPC request of service.op with securityCtx sc
// (raw JSON, "" for none).
func rpcBody(service, op, sc string) []byte {
	ctx := `{"appCtx":{"opId":"t"}}`
	if sc != "" {
		ctx = `{"appCtx":{"opId":"t"},"securityCtx":` + sc + `}`
	}
	return []byte(`{"jsonrpc":"2.0","method":"invoke","id":"9","params":{"serviceId":"` + service + `","operationId":"` + op +
		`","input":{"STRUCTURE":{"operation-input":{}}},"ctx":` + ctx + `}}`)
}

func userPassCtx(user, pass string) string {
	u, _ := json.Marshal(user)
	p, _ := json.Marshal(pass)
	return `{"password":` + string(p) + `,"schemeId":"com.vmware.vapi.std.security.user_pass","userName":` + string(u) + `}`
}

func sessionCtx(id string) string {
	return `{"schemeId":"com.vmware.vapi.std.security.session_id","sessionId":"` + id + `"}`
}

// newRPCServer is the test server with JSONRPCSessionService on POST /api
// behind the chain; other services answer "<scheme> <source> <principal>".
func newRPCServer(t testing.TB, mutate ...func(*middleware.Config)) *testServer {
	t.Helper()
	var cfg middleware.Config
	s := newTestServer(t, append(mutate, func(c *middleware.Config) { cfg = *c })...)
	chain, err := middleware.Chain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	whoami := func(c echo.Context, call middleware.JSONRPCCall) error {
		sc := middleware.SecurityContextFrom(c)
		return call.Reply(c, datavalue.String(string(sc.Scheme)+" "+string(sc.Source)+" "+sc.Principal.String()))
	}
	h, err := middleware.JSONRPCSessionService(cfg, whoami)
	if err != nil {
		t.Fatal(err)
	}
	s.e.POST("/api", h, append(chain, middleware.AllowAnonymous())...)
	return s
}

// rpcLogin logs user in by user_pass in the body and returns the session id.
func (s *testServer) rpcLogin(t testing.TB, user, pass string) string {
	t.Helper()
	rec := s.post(t, "/api", nil, rpcBody("com.vmware.cis.session", "create", userPassCtx(user, pass)))
	r, err := decodeReply(rec.Body.Bytes())
	var id string
	if err != nil || rec.Code != http.StatusOK || !r.HasOutput || json.Unmarshal(r.Output, &id) != nil || id == "" {
		t.Fatalf("user_pass session.create: %d %s (%v)", rec.Code, rec.Body, err)
	}
	return id
}

// TestJSONRPCSessionServiceWithSDKForms: the session service as VMware's SDK
// drives it (spec §13): user_pass login → {"output":"<id>"}; get with the
// id in the body and the header → com.vmware.cis.session.info; delete →
// {"output":null}; get after delete → unauthenticated in result.error.
func TestJSONRPCSessionServiceWithSDKForms(t *testing.T) {
	s := newRPCServer(t)
	id := s.rpcLogin(t, "bob", "pw")

	sdk := func(op string) *httptest.ResponseRecorder {
		return s.post(t, "/api", sessionHeader(id), rpcBody("com.vmware.cis.session", op, sessionCtx(id)))
	}
	s.clock.Advance(time.Second)
	rec := sdk("get")
	r, err := decodeReply(rec.Body.Bytes())
	if err != nil || rec.Code != 200 || !r.HasOutput {
		t.Fatalf("get: %d %s (%v)", rec.Code, rec.Body, err)
	}
	expect := `{"STRUCTURE":{"com.vmware.cis.session.info":{"created_time":"2026-01-02T03:04:05.000Z","last_accessed_time":"2026-01-02T03:04:06.000Z","user":"bob"}}}`
	if string(r.Output) != expect {
		t.Errorf("get output %s, want %s", r.Output, expect)
	}
	// The scheme and its source reach the handler: the body.
	rec = s.post(t, "/api", sessionHeader(id), rpcBody("com.example.vm", "list", sessionCtx(id)))
	if r, _ := decodeReply(rec.Body.Bytes()); string(r.Output) != `"com.vmware.vapi.std.security.session_id body bob"` {
		t.Errorf("handler saw %s", rec.Body)
	}
	rec = s.post(t, "/api", nil, rpcBody("com.example.vm", "list", userPassCtx("alice@vsphere.local", "s3cret:with:colons")))
	if r, _ := decodeReply(rec.Body.Bytes()); string(r.Output) != `"com.vmware.vapi.std.security.user_pass body alice@vsphere.local"` {
		t.Errorf("handler saw %s", rec.Body)
	}
	rec = sdk("delete")
	if rec.Code != 200 || rec.Body.String() != `{"id":"9","jsonrpc":"2.0","result":{"output":null}}` {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	// A dead session id, in the header and the body as the SDK sends it:
	// unauthenticated in result.error, never a REST body.
	expectRPCError(t, sdk("get"), "unauthenticated", vapisec.ReasonUnknownSession.MessageID())
	// The same with the id in the header only.
	expectRPCError(t, s.post(t, "/api", sessionHeader(id), rpcBody("com.vmware.cis.session", "get", "")), "unauthenticated", vapisec.ReasonUnknownSession.MessageID())
}

// TestJSONRPCSecurityCtxRefusals: every malformed or refused securityCtx
// gets its JSON-RPC form: a vAPI error in result.error (HTTP 200), or a
// JSON-RPC error member only when the body is no vAPI request.
func TestJSONRPCSecurityCtxRefusals(t *testing.T) {
	s := newRPCServer(t)
	id := s.rpcLogin(t, "bob", "pw")
	create := func(sc string) []byte { return rpcBody("com.vmware.cis.session", "create", sc) }
	tests := []struct {
		name         string
		givenHeader  http.Header
		givenBody    []byte
		expectCode   int // JSON-RPC error member code; 0: result.error
		expectKind   string
		expectReason vapisec.Reason
	}{
		{name: "nok, wrong password", givenBody: create(userPassCtx("bob", "nope")), expectKind: "unauthenticated", expectReason: vapisec.ReasonInvalidCredentials},
		{name: "nok, unknown user", givenBody: create(userPassCtx("mallory", "pw")), expectKind: "unauthenticated", expectReason: vapisec.ReasonInvalidCredentials},
		{name: "nok, no credential", givenBody: create(""), expectKind: "unauthenticated", expectReason: vapisec.ReasonMissing},
		{name: "nok, unknown scheme", givenBody: create(`{"schemeId":"com.example.magic"}`), expectKind: "unauthenticated", expectReason: vapisec.ReasonSchemeNotAllowed},
		{name: "nok, oauth not enabled", givenBody: create(`{"accessToken":"x.y.z","schemeId":"com.vmware.vapi.std.security.oauth"}`), expectKind: "unauthenticated", expectReason: vapisec.ReasonSchemeNotAllowed},
		{name: "nok, SAML without a verifier", givenBody: create(`{"samlToken":"<x/>","schemeId":"com.vmware.vapi.std.security.saml_bearer_token"}`), expectKind: "unauthenticated", expectReason: vapisec.ReasonSchemeNotAllowed},
		{name: "nok, schemeId not a string", givenBody: create(`{"schemeId":7,"userName":"bob","password":"pw"}`), expectKind: "invalid_argument", expectReason: vapisec.ReasonMalformed},
		{name: "nok, userName not a string", givenBody: create(`{"schemeId":"com.vmware.vapi.std.security.user_pass","userName":["bob"],"password":"pw"}`), expectKind: "invalid_argument", expectReason: vapisec.ReasonMalformed},
		{name: "nok, sessionId missing", givenBody: create(`{"schemeId":"com.vmware.vapi.std.security.session_id"}`), expectKind: "invalid_argument", expectReason: vapisec.ReasonMalformed},
		{name: "nok, sessionId not a string", givenBody: create(`{"schemeId":"com.vmware.vapi.std.security.session_id","sessionId":{"id":"x"}}`), expectKind: "invalid_argument", expectReason: vapisec.ReasonMalformed},
		{name: "nok, huge sessionId", givenBody: create(sessionCtx(strings.Repeat("a", 100000))), expectKind: "invalid_argument", expectReason: vapisec.ReasonMalformed},
		{name: "nok, sessionId with a space", givenBody: create(sessionCtx("a b")), expectKind: "invalid_argument", expectReason: vapisec.ReasonMalformed},
		{name: "nok, body session and Basic", givenHeader: http.Header{"Authorization": {basic("bob", "pw")}}, givenBody: rpcBody("com.vmware.cis.session", "get", sessionCtx(id)), expectKind: "invalid_request", expectReason: vapisec.ReasonMalformed},
		{name: "nok, session create with a session", givenBody: create(sessionCtx(id)), expectKind: "unauthenticated", expectReason: vapisec.ReasonSchemeNotAllowed},
		{name: "nok, unknown session operation", givenBody: rpcBody("com.vmware.cis.session", "renew", sessionCtx(id)), expectKind: "operation_not_found"},
		{name: "nok, securityCtx not an object", givenBody: create(`"bob:pw"`), expectCode: -32600},
		{name: "nok, not JSON", givenBody: []byte(`{"jsonrpc":"2.0",`), expectCode: -32700},
		{name: "nok, not JSON-RPC 2.0", givenBody: []byte(`{"jsonrpc":"1.0","method":"invoke","id":1}`), expectCode: -32600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.post(t, "/api", tt.givenHeader, tt.givenBody)
			if tt.expectCode != 0 {
				expectRPCCode(t, rec, tt.expectCode)
				return
			}
			var ids []string
			if tt.expectReason != "" {
				ids = append(ids, tt.expectReason.MessageID())
			}
			expectRPCError(t, rec, tt.expectKind, ids...)
		})
	}
}

// TestHeaderSessionOfOneUserWithBodySessionOfAnotherIsRefused: a request
// whose vmware-api-session-id header names alice's session and whose body
// names bob's is refused (invalid_request): neither identity is taken,
// whichever one a later layer would have read.
func TestHeaderSessionOfOneUserWithBodySessionOfAnotherIsRefused(t *testing.T) {
	s := newRPCServer(t)
	alice := s.rpcLogin(t, "alice@vsphere.local", "s3cret:with:colons")
	bob := s.rpcLogin(t, "bob", "pw")
	rec := s.post(t, "/api", sessionHeader(alice), rpcBody("com.example.vm", "list", sessionCtx(bob)))
	expectRPCError(t, rec, "invalid_request", vapisec.ReasonMalformed.MessageID())
	// The same id in both places is what the SDK sends: accepted.
	rec = s.post(t, "/api", sessionHeader(bob), rpcBody("com.example.vm", "list", sessionCtx(bob)))
	if r, _ := decodeReply(rec.Body.Bytes()); !strings.Contains(string(r.Output), " bob") {
		t.Fatalf("same id in header and body: %s", rec.Body)
	}
}

// TestHeaderSessionWithBodyUserPassIsAmbiguous: a session id in the header
// and user_pass credentials in the body are two schemes on one request:
// refused (invalid_request), not authenticated as either.
func TestHeaderSessionWithBodyUserPassIsAmbiguous(t *testing.T) {
	s := newRPCServer(t)
	alice := s.rpcLogin(t, "alice@vsphere.local", "s3cret:with:colons")
	for _, body := range [][]byte{
		rpcBody("com.example.vm", "list", userPassCtx("bob", "pw")),
		rpcBody("com.vmware.cis.session", "create", userPassCtx("bob", "pw")),
	} {
		rec := s.post(t, "/api", sessionHeader(alice), body)
		expectRPCError(t, rec, "invalid_request", vapisec.ReasonMalformed.MessageID())
	}
	// Basic in the header and user_pass in the body: ambiguous too.
	rec := s.post(t, "/api", http.Header{"Authorization": {basic("alice@vsphere.local", "s3cret:with:colons")}}, rpcBody("com.example.vm", "list", userPassCtx("bob", "pw")))
	expectRPCError(t, rec, "invalid_request")
}

// TestBodyUserPassCannotBypassBasicStrictness: user_pass in the body is held
// to Basic's rules, even with an authenticator that would accept anything:
// a missing password is not an empty one, and NUL or other control
// characters, an empty user, a colon in the user name or over-long
// credentials are malformed (invalid_argument), never handed to the
// authenticator.
func TestBodyUserPassCannotBypassBasicStrictness(t *testing.T) {
	var seen []string
	acceptAll := middleware.AuthenticatorFunc(func(_ context.Context, user, pass string) (middleware.Identity, error) {
		seen = append(seen, user)
		return middleware.Identity{Principal: vapisec.ParsePrincipal(user)}, nil
	})
	s := newRPCServer(t, func(c *middleware.Config) { c.Authenticator = acceptAll })
	tests := []struct {
		name      string
		givenCtx  string
		expectLog bool
	}{
		{name: "ok, well-formed", givenCtx: userPassCtx("bob", "pw"), expectLog: true},
		{name: "ok, empty password as in Basic", givenCtx: userPassCtx("bob", ""), expectLog: true},
		{name: "nok, password member missing", givenCtx: `{"schemeId":"com.vmware.vapi.std.security.user_pass","userName":"bob"}`},
		{name: "nok, password null", givenCtx: `{"password":null,"schemeId":"com.vmware.vapi.std.security.user_pass","userName":"bob"}`},
		{name: "nok, userName missing", givenCtx: `{"password":"pw","schemeId":"com.vmware.vapi.std.security.user_pass"}`},
		{name: "nok, empty user", givenCtx: userPassCtx("", "pw")},
		{name: "nok, NUL in the user name", givenCtx: `{"password":"pw","schemeId":"com.vmware.vapi.std.security.user_pass","userName":"bob\u0000admin"}`},
		{name: "nok, NUL in the password", givenCtx: `{"password":"pw\u0000","schemeId":"com.vmware.vapi.std.security.user_pass","userName":"bob"}`},
		{name: "nok, C1 control", givenCtx: userPassCtx("bob\u0085", "pw")},
		{name: "nok, DEL", givenCtx: userPassCtx("bob", "p\x7fw")},
		{name: "nok, newline", givenCtx: userPassCtx("bob\nadmin", "pw")},
		{name: "nok, colon in the user name", givenCtx: userPassCtx("bob:x", "pw")},
		{name: "nok, over-long", givenCtx: userPassCtx("bob", strings.Repeat("p", 4000))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = nil
			rec := s.post(t, "/api", nil, rpcBody("com.example.vm", "list", tt.givenCtx))
			if tt.expectLog {
				if r, err := decodeReply(rec.Body.Bytes()); err != nil || !r.HasOutput {
					t.Fatalf("%d %s (%v)", rec.Code, rec.Body, err)
				}
				return
			}
			expectRPCError(t, rec, "invalid_argument", vapisec.ReasonMalformed.MessageID())
			if len(seen) != 0 {
				t.Fatalf("the authenticator saw %q", seen)
			}
		})
	}
}

// TestSmuggledSecondSecurityCtxIsRefused: a body with two securityCtx
// members (bob's session, then user_pass of alice) is not a valid request
// (-32600): no parser downstream may pick "the other one".
func TestSmuggledSecondSecurityCtxIsRefused(t *testing.T) {
	s := newRPCServer(t)
	bob := s.rpcLogin(t, "bob", "pw")
	body := []byte(`{"jsonrpc":"2.0","method":"invoke","id":"9","params":{"serviceId":"com.example.vm","operationId":"list","input":{"STRUCTURE":{"operation-input":{}}},"ctx":{"securityCtx":` +
		sessionCtx(bob) + `,"appCtx":{},"securityCtx":` + userPassCtx("alice@vsphere.local", "wrong") + `}}}`)
	rec := s.post(t, "/api", nil, body)
	if rec.Code != http.StatusBadRequest {
		t.Errorf("status %d", rec.Code)
	}
	expectRPCCode(t, rec, -32600)
	// A duplicate member inside the securityCtx itself, too.
	rec = s.post(t, "/api", nil, rpcBody("com.example.vm", "list", `{"schemeId":"com.vmware.vapi.std.security.session_id","sessionId":"`+bob+`","sessionId":"other"}`))
	expectRPCCode(t, rec, -32600)
}

// newBearerServer: the RPC server with a SAML verifier trusting a fresh
// STS, bearer allowed or not; it returns a bearer token of carol.
func newBearerServer(t *testing.T, allowBearer bool) (*testServer, []byte) {
	t.Helper()
	now := time.Now()
	key, cert, err := sts.GenerateKeyPair("test sts", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := sts.New(key, cert)
	if err != nil {
		t.Fatal(err)
	}
	token, err := issuer.Issue(sts.IssueRequest{Subject: "carol@vsphere.local"})
	if err != nil {
		t.Fatal(err)
	}
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(cert))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, verifier.WithAllowBearer(allowBearer), verifier.WithoutSIGN())
	if err != nil {
		t.Fatal(err)
	}
	return newRPCServer(t, func(c *middleware.Config) { c.RequestVerifier = rv }), token
}

// TestBodySAMLBearerRefusedWhenBearerDisabled: a samlToken bearer
// securityCtx authenticates nobody unless bearer is enabled
// (scheme_not_allowed), and logs in when it is.
func TestBodySAMLBearerRefusedWhenBearerDisabled(t *testing.T) {
	for _, allow := range []bool{false, true} {
		s, token := newBearerServer(t, allow)
		tok, _ := json.Marshal(string(token))
		sc := `{"samlToken":` + string(tok) + `,"schemeId":"com.vmware.vapi.std.security.saml_bearer_token"}`
		rec := s.post(t, "/api", nil, rpcBody("com.vmware.cis.session", "create", sc))
		if !allow {
			expectRPCError(t, rec, "unauthenticated", vapisec.ReasonSchemeNotAllowed.MessageID())
			continue
		}
		r, err := decodeReply(rec.Body.Bytes())
		if err != nil || !r.HasOutput {
			t.Fatalf("bearer enabled: %d %s (%v)", rec.Code, rec.Body, err)
		}
		var id string
		_ = json.Unmarshal(r.Output, &id)
		rec = s.post(t, "/api", sessionHeader(id), rpcBody("com.example.vm", "list", sessionCtx(id)))
		if r, _ := decodeReply(rec.Body.Bytes()); !strings.Contains(string(r.Output), "carol@vsphere.local") {
			t.Fatalf("session of the bearer login: %s", rec.Body)
		}
	}
}

// TestJSONRPCCloneTicketLogin: session create with vmware-api-clone-ticket
// redeems the ticket once, as on REST.
func TestJSONRPCCloneTicketLogin(t *testing.T) {
	s := newRPCServer(t)
	parent := s.rpcLogin(t, "bob", "pw")
	ticket := s.cloneTicket(t, parent)
	hdr := http.Header{"Vmware-Api-Clone-Ticket": {ticket}}
	rec := s.post(t, "/api", hdr, rpcBody("com.vmware.cis.session", "create", ""))
	r, err := decodeReply(rec.Body.Bytes())
	var child string
	if err != nil || !r.HasOutput || json.Unmarshal(r.Output, &child) != nil || child == "" || child == parent {
		t.Fatalf("clone-ticket create: %d %s (%v)", rec.Code, rec.Body, err)
	}
	rec = s.post(t, "/api", sessionHeader(child), rpcBody("com.example.vm", "list", sessionCtx(child)))
	if r, _ := decodeReply(rec.Body.Bytes()); !strings.Contains(string(r.Output), " bob") {
		t.Fatalf("child session: %s", rec.Body)
	}
	// Used once.
	expectRPCError(t, s.post(t, "/api", hdr, rpcBody("com.vmware.cis.session", "create", "")), "unauthenticated")
	// With a body credential too: refused.
	ticket = s.cloneTicket(t, parent)
	rec = s.post(t, "/api", http.Header{"Vmware-Api-Clone-Ticket": {ticket}}, rpcBody("com.vmware.cis.session", "create", userPassCtx("bob", "pw")))
	expectRPCError(t, rec, "invalid_request")
}

// TestJSONRPCStoreDownIsServiceUnavailable: a session id while the store
// is down: service_unavailable in result.error, fail closed.
func TestJSONRPCStoreDownIsServiceUnavailable(t *testing.T) {
	s := newRPCServer(t)
	id := s.rpcLogin(t, "bob", "pw")
	s.store.setDown(true)
	defer s.store.setDown(false)
	expectRPCError(t, s.post(t, "/api", sessionHeader(id), rpcBody("com.vmware.cis.session", "get", sessionCtx(id))), "service_unavailable", vapisec.ReasonStoreUnavailable.MessageID())
	expectRPCError(t, s.post(t, "/api", sessionHeader(id), rpcBody("com.vmware.cis.session", "get", "")), "service_unavailable", vapisec.ReasonStoreUnavailable.MessageID())
}

// TestStandaloneMiddlewaresAnswerJSONRPCForm: the Session middleware and
// Require used without the chain still answer a JSON-RPC call in its form
// (result.error, the request's id), never with a REST body.
func TestStandaloneMiddlewaresAnswerJSONRPCForm(t *testing.T) {
	s := newTestServer(t)
	e := echo.New()
	ok := func(c echo.Context) error { return c.String(http.StatusOK, "reached") }
	e.POST("/api", ok, middleware.Session(s.manager), middleware.Require())
	body := []byte(`{"jsonrpc":"2.0","method":"invoke","id":77,"params":{"serviceId":"com.example.vm","operationId":"list"}}`)
	for _, hdr := range []http.Header{sessionHeader("no-such-session"), nil} {
		req := httptest.NewRequest(http.MethodPost, "/api", bytes.NewReader(body))
		for k, v := range hdr {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		r := expectRPCError(t, rec, "unauthenticated")
		if string(r.ID) != "77" {
			t.Errorf("id %s, want 77", r.ID)
		}
	}
}
