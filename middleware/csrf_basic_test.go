package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
)

// Browsers cache Basic credentials and attach them to cross-site form
// posts, like cookies: a page on evil.example that posts to a protected
// route must not act with the user's Basic credentials.
func TestCrossSiteBasicPostIsForbidden(t *testing.T) {
	tests := []struct {
		name         string
		givenMethod  string
		givenHeader  http.Header
		expectStatus int
	}{
		{name: "nok, Sec-Fetch-Site cross-site", givenMethod: http.MethodPost, givenHeader: withHeader(basicBob, "Sec-Fetch-Site", "cross-site"), expectStatus: http.StatusForbidden},
		{name: "nok, Sec-Fetch-Site same-site", givenMethod: http.MethodPost, givenHeader: withHeader(basicBob, "Sec-Fetch-Site", "same-site"), expectStatus: http.StatusForbidden},
		{name: "nok, foreign Origin", givenMethod: http.MethodPost, givenHeader: withHeader(basicBob, "Origin", "https://evil.example"), expectStatus: http.StatusForbidden},
		{name: "nok, Origin null", givenMethod: http.MethodPost, givenHeader: withHeader(basicBob, "Origin", "null"), expectStatus: http.StatusForbidden},
		{name: "nok, cross-site with a wrong password is refused before the password is checked", givenMethod: http.MethodPost, givenHeader: http.Header{"Authorization": {basic("bob", "wrong")}, "Sec-Fetch-Site": {"cross-site"}}, expectStatus: http.StatusForbidden},
		{name: "nok, DELETE cross-site", givenMethod: http.MethodDelete, givenHeader: withHeader(basicBob, "Sec-Fetch-Site", "cross-site"), expectStatus: http.StatusForbidden},
		{name: "ok, Sec-Fetch-Site same-origin", givenMethod: http.MethodPost, givenHeader: withHeader(basicBob, "Sec-Fetch-Site", "same-origin"), expectStatus: http.StatusOK},
		{name: "ok, Sec-Fetch-Site none", givenMethod: http.MethodPost, givenHeader: withHeader(basicBob, "Sec-Fetch-Site", "none"), expectStatus: http.StatusOK},
		{name: "ok, own Origin", givenMethod: http.MethodPost, givenHeader: withHeader(basicBob, "Origin", "http://example.com"), expectStatus: http.StatusOK},
		{name: "ok, trusted Origin", givenMethod: http.MethodPost, givenHeader: withHeader(basicBob, "Origin", "https://ui.example.com"), expectStatus: http.StatusOK},
		{name: "ok, GET cross-site is a safe method", givenMethod: http.MethodGet, givenHeader: withHeader(basicBob, "Sec-Fetch-Site", "cross-site"), expectStatus: http.StatusOK},
	}
	s := newTestServer(t, func(cfg *middleware.Config) { cfg.TrustedOrigins = []string{"https://ui.example.com"} })
	s.e.DELETE("/api/action", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, mustChain(t, s)...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := "/api/action"
			if tc.givenMethod == http.MethodGet {
				path = "/api/whoami"
			}
			rec := s.do(t, tc.givenMethod, path, tc.givenHeader)
			if rec.Code != tc.expectStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.expectStatus, rec.Body)
			}
			if tc.expectStatus == http.StatusForbidden {
				expectVAPIError(t, rec, "UNAUTHORIZED", "vapisec.request.forbidden")
			}
		})
	}

	// The standalone Basic middleware applies the same rule.
	t.Run("nok, standalone Basic middleware", func(t *testing.T) {
		users, err := middleware.NewStaticUsers(map[string]string{"bob": "pw"})
		if err != nil {
			t.Fatal(err)
		}
		e := echo.New()
		e.POST("/x", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, middleware.Basic(users), middleware.Require())
		for _, h := range []http.Header{withHeader(basicBob, "Sec-Fetch-Site", "cross-site"), withHeader(basicBob, "Origin", "https://evil.example")} {
			req := httptest.NewRequest(http.MethodPost, "/x", nil)
			req.Header = h
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusForbidden {
				t.Errorf("%v: status %d, want 403: %s", h, rec.Code, rec.Body)
			}
		}
	})
}

// A cross-site form that posts the browser's cached Basic credentials to
// the login endpoints would mint a session (and a cookie) for the victim's
// account on the attacker's initiative.
func TestCrossSiteBasicLoginIsForbidden(t *testing.T) {
	for _, path := range []string{"/api/session", "/rest/com/vmware/cis/session"} {
		for _, h := range []http.Header{
			withHeader(basicBob, "Sec-Fetch-Site", "cross-site"),
			withHeader(basicBob, "Origin", "https://evil.example"),
		} {
			t.Run(path, func(t *testing.T) {
				s := newTestServer(t)
				rec := s.do(t, http.MethodPost, path, h)
				if rec.Code != http.StatusForbidden {
					t.Fatalf("status %d, want 403: %s", rec.Code, rec.Body)
				}
				if len(rec.Result().Cookies()) != 0 {
					t.Errorf("cookie set on a refused login: %v", rec.Header()["Set-Cookie"])
				}
				sessions, err := s.manager.Sessions(context.Background(), vapisec.ParsePrincipal("bob"))
				if err != nil || len(sessions) != 0 {
					t.Errorf("sessions of bob after a refused login: %v, %v", sessions, err)
				}
			})
		}
	}
}

// Non-browser clients (govc, pyVmomi, curl) send neither Sec-Fetch-Site
// nor Origin: Basic keeps working for them on protected routes and at login.
func TestNonBrowserBasicClientUnaffected(t *testing.T) {
	s := newTestServer(t)
	for _, tc := range []struct {
		path         string
		expectStatus int
	}{
		{"/api/action", http.StatusOK},
		{"/api/session", http.StatusCreated},
		{"/rest/com/vmware/cis/session", http.StatusOK},
	} {
		rec := s.do(t, http.MethodPost, tc.path, basicBob)
		if rec.Code != tc.expectStatus {
			t.Errorf("POST %s: status %d, want %d: %s", tc.path, rec.Code, tc.expectStatus, rec.Body)
		}
	}
}

func mustChain(t *testing.T, s *testServer) []echo.MiddlewareFunc {
	t.Helper()
	users, err := middleware.NewStaticUsers(map[string]string{"bob": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	chain, err := middleware.Chain(middleware.Config{Manager: s.manager, Authenticator: users})
	if err != nil {
		t.Fatal(err)
	}
	return append(chain, middleware.Require())
}
