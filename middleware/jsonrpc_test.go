package middleware_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/middleware"
)

// TestJSONRPCSessionServiceOther: calls outside com.vmware.cis.session go
// to the application's handler (authenticated only), or get -32601.
func TestJSONRPCSessionServiceOther(t *testing.T) {
	const call = `{"jsonrpc":"2.0","method":"invoke","id":"7a","params":{"serviceId":"com.example.vm","operationId":"list"}}`
	var got middleware.JSONRPCCall
	var gotBody string
	other := func(c echo.Context, call middleware.JSONRPCCall) error {
		got = call
		b, _ := io.ReadAll(c.Request().Body)
		gotBody = string(b)
		return c.JSON(http.StatusOK, middleware.JSONRPCResponse{JSONRPC: "2.0", ID: call.ID, Result: map[string]any{"output": "listed"}})
	}
	tests := []struct {
		name         string
		givenOther   middleware.JSONRPCCallHandler
		givenSession bool
		expectStatus int
		expectCode   int
		expectCall   bool
	}{
		{name: "ok, authenticated call reaches the handler", givenOther: other, givenSession: true, expectStatus: http.StatusOK, expectCall: true},
		{name: "nok, anonymous call", givenOther: other, expectStatus: http.StatusUnauthorized, expectCode: -32000},
		{name: "nok, no handler: method not found", givenSession: true, expectStatus: http.StatusOK, expectCode: -32601},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg middleware.Config
			s := newTestServer(t, func(c *middleware.Config) { cfg = *c })
			chain, err := middleware.Chain(cfg)
			if err != nil {
				t.Fatal(err)
			}
			h, err := middleware.JSONRPCSessionService(cfg, tt.givenOther)
			if err != nil {
				t.Fatal(err)
			}
			s.e.POST("/api", h, append(chain, middleware.AllowAnonymous())...)
			var hdr http.Header
			if tt.givenSession {
				hdr = sessionHeader(s.login(t))
			}
			got, gotBody = middleware.JSONRPCCall{}, ""
			rec := s.post(t, "/api", hdr, []byte(call))
			if rec.Code != tt.expectStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.expectStatus, rec.Body)
			}
			var r middleware.JSONRPCResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
				t.Fatalf("not JSON-RPC: %s", rec.Body)
			}
			if string(r.ID) != `"7a"` {
				t.Fatalf("id %s, want \"7a\"", r.ID)
			}
			if tt.expectCode != 0 && (r.Error == nil || r.Error.Code != tt.expectCode) {
				t.Fatalf("error %+v, want code %d", r.Error, tt.expectCode)
			}
			if called := got.ServiceID != ""; called != tt.expectCall {
				t.Fatalf("handler called %v, want %v", called, tt.expectCall)
			}
			if tt.expectCall && (got.ServiceID != "com.example.vm" || got.OperationID != "list" || string(got.ID) != `"7a"` || gotBody != call) {
				t.Fatalf("call %+v body %q", got, gotBody)
			}
		})
	}
}
