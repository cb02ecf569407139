package middleware_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/verifier"
)

// A body over the limit is 413 on every route the library serves, without
// Echo's BodyLimit middleware: the library's own readers refuse it. An
// oversized body used to be 400 (SIGN, JSON-RPC, channel credential) or
// ignored (Basic login, clone ticket, get and delete session).
func TestOversizedBodyIs413OnEveryRoute(t *testing.T) {
	const host = "vc.example.com"
	s := newSAMLServer(t, verifier.WithAllowedHosts(host))
	id := s.login(t)
	big := bytes.Repeat([]byte(" "), verifier.DefaultMaxBodySize+1)
	small := append([]byte(`{"channel":"c"}`), bytes.Repeat([]byte(" "), 8<<10)...)
	jsonrpc := append([]byte(`{"jsonrpc":"2.0","method":"invoke","id":7,"params":{}}`), big...)
	tests := []struct {
		name          string
		givenMethod   string
		givenPath     string
		givenHeader   http.Header
		givenBody     []byte
		givenChunked  bool
		expectJSONRPC bool
	}{
		{name: "Basic login /api/session", givenMethod: http.MethodPost, givenPath: "/api/session", givenHeader: basicBob, givenBody: big},
		{name: "Basic login /api/session, chunked", givenMethod: http.MethodPost, givenPath: "/api/session", givenHeader: basicBob, givenBody: big, givenChunked: true},
		{name: "Basic login legacy", givenMethod: http.MethodPost, givenPath: "/rest/com/vmware/cis/session", givenHeader: basicBob, givenBody: big},
		{name: "SIGN login", givenMethod: http.MethodPost, givenPath: "/api/session", givenHeader: http.Header{"Authorization": {signHeader(t, "POST", "/api/session", host, big, "1:n1")}}, givenBody: big},
		{name: "SIGN login, chunked", givenMethod: http.MethodPost, givenPath: "/api/session", givenHeader: http.Header{"Authorization": {signHeader(t, "POST", "/api/session", host, big, "1:n2")}}, givenBody: big, givenChunked: true},
		{name: "SIGN-verified route", givenMethod: http.MethodPost, givenPath: "/api/echo", givenHeader: http.Header{"Authorization": {signHeader(t, "POST", "/api/echo", host, big, "1:n3")}}, givenBody: big},
		{name: "JSON-RPC POST /api", givenMethod: http.MethodPost, givenPath: "/api", givenBody: jsonrpc, expectJSONRPC: true},
		{name: "JSON-RPC POST /api, chunked", givenMethod: http.MethodPost, givenPath: "/api", givenBody: jsonrpc, givenChunked: true, expectJSONRPC: true},
		{name: "get session", givenMethod: http.MethodGet, givenPath: "/api/session", givenHeader: sessionHeader(id), givenBody: small},
		{name: "clone ticket", givenMethod: http.MethodPost, givenPath: middleware.DefaultCloneTicketPath, givenHeader: sessionHeader(id), givenBody: small},
		{name: "channel credential", givenMethod: http.MethodPost, givenPath: middleware.DefaultChannelCredentialPath, givenHeader: sessionHeader(id), givenBody: small},
		{name: "channel credential, chunked", givenMethod: http.MethodPost, givenPath: middleware.DefaultChannelCredentialPath, givenHeader: sessionHeader(id), givenBody: small, givenChunked: true},
		{name: "delete session", givenMethod: http.MethodDelete, givenPath: "/api/session", givenHeader: sessionHeader(id), givenBody: small},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(tc.givenBody)
			if tc.givenChunked {
				body = io.MultiReader(body) // no length: sent chunked
			}
			req := httptest.NewRequest(tc.givenMethod, tc.givenPath, body)
			if tc.givenChunked {
				req.ContentLength = -1
			}
			req.Host = host
			for k, v := range tc.givenHeader {
				req.Header[k] = v
			}
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.e.ServeHTTP(rec, req)
			if tc.expectJSONRPC {
				// On the JSON-RPC path a refusal is a result (spec §13.3).
				expectRPCError(t, rec, "invalid_argument", "vapisec.request.too_large")
				return
			}
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413: %.300s", rec.Code, rec.Body)
			}
			expectVAPIError(t, rec, "INVALID_ARGUMENT", "vapisec.request.too_large")
			if strings.Contains(rec.Header().Get("Set-Cookie"), "vmware-api-session-id=") {
				t.Fatalf("a refused request set a cookie")
			}
		})
	}
	// The session survived the refused DELETE.
	if rec := s.do(t, http.MethodGet, "/api/whoami", sessionHeader(id)); rec.Code != http.StatusOK {
		t.Fatalf("session after a refused delete: %d", rec.Code)
	}
}
