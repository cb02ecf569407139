package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/middleware"
)

// handoffServer mounts Handoff globally (e.Use), as the review did, in
// front of a catch-all route.
func handoffServer(t *testing.T, s *testServer, config middleware.HandoffConfig) *echo.Echo {
	t.Helper()
	config.Manager = s.manager
	mw, err := config.ToMiddleware()
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Use(mw)
	e.GET("/*", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	return e
}

// ticketOf acquires a clone ticket of the session id.
func ticketOf(t *testing.T, s *testServer, id string) string {
	t.Helper()
	ticket, err := s.manager.AcquireCloneTicket(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ticket
}

// serveTo sends req to e.
func serveTo(e *echo.Echo, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// expectTicketUnused checks that a refused hand-off left the ticket alone:
// a clean hand-off still redeems it.
func expectTicketUnused(t *testing.T, e *echo.Echo, ticket string) {
	t.Helper()
	rec := serveTo(e, httptest.NewRequest(http.MethodGet, "/ui?ticket="+url.QueryEscape(ticket), nil))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("ticket after a refused hand-off: %d %s", rec.Code, rec.Body)
	}
}

// Mounted with e.Use, a hand-off link for //evil.example/phish used to
// answer 303 Location: //evil.example/phish, a protocol-relative URL that
// browsers follow to evil.example.
func TestHandoffRefusesOpenRedirect(t *testing.T) {
	tests := []struct {
		name           string
		givenTarget    string // request target, when the request line can carry it
		givenPath      string // else URL.Path as a handler could see it
		expectStatus   int
		expectLocation string
	}{
		{name: "nok, protocol-relative //evil", givenTarget: "//evil.example/phish?ticket=T"},
		{name: "nok, three slashes", givenTarget: "///evil.example/phish?ticket=T"},
		{name: "nok, slash backslash", givenTarget: `/\evil.example/phish?ticket=T`},
		{name: "nok, encoded slashes /%2F%2Fevil", givenTarget: "/%2F%2Fevil.example/phish?ticket=T"},
		{name: "nok, encoded slash /%2Fevil", givenTarget: "/%2Fevil.example/phish?ticket=T"},
		{name: "nok, encoded backslash /%5Cevil", givenTarget: "/%5Cevil.example/phish?ticket=T"},
		{name: "nok, encoded backslashes /%5C%5Cevil", givenTarget: "/%5C%5Cevil.example?ticket=T"},
		{name: "nok, encoded tab /%09/evil", givenTarget: "/%09/evil.example?ticket=T"},
		{name: "nok, encoded CR LF", givenTarget: "/x%0D%0ALocation:%20//evil.example?ticket=T"},
		{name: "nok, double backslash", givenPath: `\\evil.example/phish`},
		{name: "nok, backslash slash", givenPath: `\/evil.example`},
		{name: "nok, tab then slashes", givenPath: "/\t/evil.example"},
		{name: "nok, empty path", givenPath: ""},
		{name: "ok, clean path keeps the other parameters", givenTarget: "/ui/page?a=1&ticket=T&b=%2F%2Fx", expectStatus: http.StatusSeeOther, expectLocation: "/ui/page?a=1&b=%2F%2Fx"},
		{name: "ok, root", givenTarget: "/?ticket=T", expectStatus: http.StatusSeeOther, expectLocation: "/"},
		{name: "ok, backslash later in the path stays escaped", givenTarget: `/ui/a%5Cb?ticket=T`, expectStatus: http.StatusSeeOther, expectLocation: "/ui/a%5Cb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t)
			e := handoffServer(t, s, middleware.HandoffConfig{})
			ticket := ticketOf(t, s, s.login(t))
			var req *http.Request
			if tc.givenTarget != "" {
				req = httptest.NewRequest(http.MethodGet, replaceTicket(tc.givenTarget, ticket), nil)
			} else {
				req = httptest.NewRequest(http.MethodGet, "/?ticket="+url.QueryEscape(ticket), nil)
				req.URL.Path, req.URL.RawPath = tc.givenPath, ""
			}
			rec := serveTo(e, req)
			if tc.expectStatus == 0 {
				tc.expectStatus = http.StatusBadRequest
			}
			if rec.Code != tc.expectStatus {
				t.Fatalf("path %q: status %d, want %d; Location %q", req.URL.Path, rec.Code, tc.expectStatus, rec.Header().Get("Location"))
			}
			if got := rec.Header().Get("Location"); got != tc.expectLocation {
				t.Fatalf("Location %q, want %q", got, tc.expectLocation)
			}
			if tc.expectStatus != http.StatusSeeOther {
				expectVAPIError(t, rec, "INVALID_ARGUMENT", "vapi.security.rest.context.error")
				if len(rec.Result().Cookies()) != 0 {
					t.Fatalf("cookie set on a refused hand-off: %v", rec.Header()["Set-Cookie"])
				}
				expectTicketUnused(t, e, ticket)
			}
		})
	}
}

// replaceTicket puts the real ticket where the table says T.
func replaceTicket(target, ticket string) string {
	u, err := url.Parse(target)
	if err != nil || u.Path == "" && u.RawPath == "" {
		// A target url.Parse reads as scheme-relative keeps its text.
		return target[:len(target)-1] + url.QueryEscape(ticket)
	}
	q := u.Query()
	if q.Get("ticket") == "T" {
		q.Set("ticket", ticket)
	}
	return target[:len(target)-len(u.RawQuery)] + q.Encode()
}

// Login CSRF: the attacker sends the victim a link with the attacker's own
// ticket; following it must not swap the victim's live session for the
// attacker's.
func TestHandoffDoesNotReplaceExistingSession(t *testing.T) {
	s := newTestServer(t)
	e := handoffServer(t, s, middleware.HandoffConfig{})
	victim := s.login(t)
	rec := s.do(t, http.MethodPost, "/api/session", http.Header{"Authorization": {basic("alice@vsphere.local", "s3cret:with:colons")}, "Vmware-Use-Header-Authn": {"1"}})
	if rec.Code != http.StatusCreated {
		t.Fatalf("attacker login: %d", rec.Code)
	}
	attackerTicket := ticketOf(t, s, bareString(t, rec))

	req := httptest.NewRequest(http.MethodGet, "/ui/page?ticket="+url.QueryEscape(attackerTicket), nil)
	req.AddCookie(&http.Cookie{Name: "vmware-api-session-id", Value: victim})
	rec = serveTo(e, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("hand-off over a live session: %d, Location %q, want 403", rec.Code, rec.Header().Get("Location"))
	}
	expectVAPIError(t, rec, "UNAUTHORIZED", "vapisec.request.forbidden")
	if len(rec.Result().Cookies()) != 0 {
		t.Fatalf("the victim's cookie was overwritten: %v", rec.Header()["Set-Cookie"])
	}
	if who := s.do(t, http.MethodGet, "/api/whoami", http.Header{"Vmware-Api-Session-Id": {victim}}); who.Code != http.StatusOK {
		t.Fatalf("the victim's session: %d", who.Code)
	}

	// A cookie of an ended session is replaced.
	if err := s.manager.Delete(context.Background(), victim); err != nil {
		t.Fatal(err)
	}
	req = httptest.NewRequest(http.MethodGet, "/ui/page?ticket="+url.QueryEscape(attackerTicket), nil)
	req.AddCookie(&http.Cookie{Name: "vmware-api-session-id", Value: victim})
	if rec := serveTo(e, req); rec.Code != http.StatusSeeOther || len(rec.Result().Cookies()) != 1 {
		t.Fatalf("hand-off over an ended session: %d %v", rec.Code, rec.Header()["Set-Cookie"])
	}
}

// Login CSRF without a session: a page on another site sends the victim's
// browser to a hand-off link carrying the attacker's ticket; the browser
// says so in Sec-Fetch-Site (or Referer), and the hand-off is refused.
func TestHandoffRefusesCrossSiteLoginCSRF(t *testing.T) {
	tests := []struct {
		name         string
		givenHeader  http.Header
		expectStatus int
	}{
		{name: "nok, Sec-Fetch-Site cross-site", givenHeader: http.Header{"Sec-Fetch-Site": {"cross-site"}}, expectStatus: http.StatusForbidden},
		{name: "nok, Sec-Fetch-Site cross-site without a Referer", givenHeader: http.Header{"Sec-Fetch-Site": {"cross-site"}, "Referer": {""}}, expectStatus: http.StatusForbidden},
		{name: "nok, Sec-Fetch-Site same-site", givenHeader: http.Header{"Sec-Fetch-Site": {"same-site"}, "Referer": {"https://user-content.example.com/x"}}, expectStatus: http.StatusForbidden},
		{name: "nok, cross-site with an untrusted Referer", givenHeader: http.Header{"Sec-Fetch-Site": {"cross-site"}, "Referer": {"https://evil.example/"}}, expectStatus: http.StatusForbidden},
		{name: "nok, no Sec-Fetch-Site, foreign Referer", givenHeader: http.Header{"Referer": {"https://evil.example/page"}}, expectStatus: http.StatusForbidden},
		{name: "nok, no Sec-Fetch-Site, foreign Origin", givenHeader: http.Header{"Origin": {"https://evil.example"}}, expectStatus: http.StatusForbidden},
		{name: "ok, cross-site from a trusted portal", givenHeader: http.Header{"Sec-Fetch-Site": {"cross-site"}, "Referer": {"https://portal.example.com/apps"}}, expectStatus: http.StatusSeeOther},
		{name: "ok, Sec-Fetch-Site none (opened directly)", givenHeader: http.Header{"Sec-Fetch-Site": {"none"}}, expectStatus: http.StatusSeeOther},
		{name: "ok, Sec-Fetch-Site same-origin", givenHeader: http.Header{"Sec-Fetch-Site": {"same-origin"}, "Referer": {"http://example.com/start"}}, expectStatus: http.StatusSeeOther},
		{name: "ok, no Sec-Fetch-Site, own Referer", givenHeader: http.Header{"Referer": {"http://example.com/start"}}, expectStatus: http.StatusSeeOther},
		{name: "ok, non-browser client sends neither", givenHeader: http.Header{}, expectStatus: http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t)
			e := handoffServer(t, s, middleware.HandoffConfig{TrustedOrigins: []string{"https://portal.example.com"}})
			ticket := ticketOf(t, s, s.login(t))
			req := httptest.NewRequest(http.MethodGet, "/ui/page?ticket="+url.QueryEscape(ticket), nil)
			for k, v := range tc.givenHeader {
				req.Header[k] = v
			}
			rec := serveTo(e, req)
			if rec.Code != tc.expectStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.expectStatus, rec.Body)
			}
			if tc.expectStatus == http.StatusForbidden {
				expectVAPIError(t, rec, "UNAUTHORIZED", "vapisec.request.forbidden")
				if len(rec.Result().Cookies()) != 0 {
					t.Fatalf("cookie set on a refused hand-off: %v", rec.Header()["Set-Cookie"])
				}
				expectTicketUnused(t, e, ticket)
			}
		})
	}
}
