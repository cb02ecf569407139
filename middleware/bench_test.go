package middleware_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/middleware"
)

// benchServer serves the same handler bare, behind Session and behind Basic,
// so their costs can be compared request for request.
func benchServer(b *testing.B) (*echo.Echo, string) {
	s := newTestServer(b)
	id := s.login(b)
	chain, err := middleware.Chain(middleware.Config{Manager: s.manager, Authenticator: mustUsers(b)})
	if err != nil {
		b.Fatal(err)
	}
	ok := func(c echo.Context) error { return c.NoContent(http.StatusOK) }
	s.e.GET("/bench/bare", ok)
	s.e.GET("/bench/secured", ok, append(chain, middleware.Require())...)
	return s.e, id
}

func mustUsers(b *testing.B) middleware.Authenticator {
	u, err := middleware.NewStaticUsers(map[string]string{"bob": "pw"})
	if err != nil {
		b.Fatal(err)
	}
	return u
}

// serve runs one request through e; the recorder and request are reused so
// that the figures show the middleware's own allocations.
func serve(b *testing.B, e *echo.Echo, req *http.Request) {
	rec := httptest.NewRecorder()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec.Body.Reset()
		e.ServeHTTP(rec, req)
	}
	b.StopTimer()
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

// BenchmarkMiddleware compares a bare Echo handler with the same handler
// behind the Session and the Basic middleware (ns/op, allocs/op). The
// throughput bar of DESIGN §8 is checked over HTTP by "vapisec bench".
func BenchmarkMiddleware(b *testing.B) {
	e, id := benchServer(b)
	b.Run("bare", func(b *testing.B) {
		serve(b, e, httptest.NewRequest(http.MethodGet, "/bench/bare", nil))
	})
	b.Run("session-header", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/bench/secured", nil)
		req.Header.Set("vmware-api-session-id", id)
		serve(b, e, req)
	})
	b.Run("session-cookie", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/bench/secured", nil)
		req.Header.Set("Cookie", "theme=dark; vmware-api-session-id="+id)
		serve(b, e, req)
	})
	b.Run("basic", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/bench/secured", nil)
		req.SetBasicAuth("bob", "pw")
		serve(b, e, req)
	})
}

// BenchmarkJSONRPCSession compares a bare Echo handler receiving a JSON-RPC
// body with JSONRPCSessionService behind the chain receiving the same body,
// authenticated by a session id in the header, and in the header and the
// body as VMware's SDK sends it (ns/op, allocs/op; the ratio bar is checked
// by "vapisec bench").
func BenchmarkJSONRPCSession(b *testing.B) {
	s := newRPCServer(b)
	id := s.rpcLogin(b, "bob", "pw")
	s.e.POST("/bench/bare-rpc", func(c echo.Context) error {
		body, _ := io.ReadAll(c.Request().Body)
		return c.Blob(http.StatusOK, "application/json", body[:0])
	})
	for _, tc := range []struct{ name, path, sc string }{
		{"bare", "/bench/bare-rpc", sessionCtx(id)},
		{"header", "/api", ""},
		{"header+body", "/api", sessionCtx(id)},
	} {
		body := rpcBody("com.example.vm", "list", tc.sc)
		b.Run(tc.name, func(b *testing.B) {
			rec := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, tc.path, bytes.NewReader(body))
				req.Header.Set("vmware-api-session-id", id)
				rec.Body.Reset()
				s.e.ServeHTTP(rec, req)
			}
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		})
	}
}
