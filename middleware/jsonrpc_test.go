package middleware_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/datavalue"
	"github.com/vapisec/vapisec/middleware"
)

// TestJSONRPCSessionServiceOther: calls outside com.vmware.cis.session go
// to the application's handler (authenticated only), or get
// operation_not_found.
func TestJSONRPCSessionServiceOther(t *testing.T) {
	const call = `{"jsonrpc":"2.0","method":"invoke","id":"7a","params":{"serviceId":"com.example.vm","operationId":"list"}}`
	var got middleware.JSONRPCCall
	var gotBody string
	other := func(c echo.Context, call middleware.JSONRPCCall) error {
		got = call
		b, _ := io.ReadAll(c.Request().Body)
		gotBody = string(b)
		return call.Reply(c, datavalue.String("listed"))
	}
	tests := []struct {
		name         string
		givenOther   middleware.JSONRPCCallHandler
		givenSession bool
		expectKind   string // std error in result.error, "" for success
		expectCall   bool
	}{
		{name: "ok, authenticated call reaches the handler", givenOther: other, givenSession: true, expectCall: true},
		{name: "nok, anonymous call", givenOther: other, expectKind: "unauthenticated"},
		{name: "nok, no handler: operation not found", givenSession: true, expectKind: "operation_not_found"},
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
			r, err := decodeReply(rec.Body.Bytes())
			if err != nil || rec.Code != http.StatusOK {
				t.Fatalf("reply %d %s: %v", rec.Code, rec.Body, err)
			}
			if string(r.ID) != `"7a"` {
				t.Fatalf("id %s, want \"7a\"", r.ID)
			}
			if tt.expectKind != "" {
				expectRPCError(t, rec, tt.expectKind)
			} else if string(r.Output) != `"listed"` {
				t.Fatalf("output %s", r.Output)
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
