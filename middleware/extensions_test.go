package middleware_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

// doBody is testServer.do with a request body.
func (s *testServer) doBody(t testing.TB, method, target string, header http.Header, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

func bareString(t testing.TB, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	return s
}

func sessionHeader(id string) http.Header { return http.Header{"Vmware-Api-Session-Id": {id}} }

func (s *testServer) cloneTicket(t testing.TB, id string) string {
	t.Helper()
	rec := s.do(t, http.MethodPost, middleware.DefaultCloneTicketPath, sessionHeader(id))
	if rec.Code != http.StatusCreated {
		t.Fatalf("clone-ticket: %d %s", rec.Code, rec.Body)
	}
	return bareString(t, rec)
}

func TestCloneTicketLogin(t *testing.T) {
	tests := []struct {
		name         string
		givenPath    string
		givenHeader  func(ticket, parent string) http.Header
		expectStatus int
		expectCookie bool
	}{
		{name: "ok, /api create with the ticket", givenPath: "/api/session",
			givenHeader:  func(tk, _ string) http.Header { return http.Header{"Vmware-Api-Clone-Ticket": {tk}} },
			expectStatus: 201, expectCookie: true},
		{name: "ok, legacy create with the ticket", givenPath: "/rest/com/vmware/cis/session",
			givenHeader:  func(tk, _ string) http.Header { return http.Header{"Vmware-Api-Clone-Ticket": {tk}} },
			expectStatus: 200, expectCookie: true},
		{name: "ok, vmware-use-header-authn: no Set-Cookie", givenPath: "/api/session",
			givenHeader: func(tk, _ string) http.Header {
				return http.Header{"Vmware-Api-Clone-Ticket": {tk}, "Vmware-Use-Header-Authn": {"1"}}
			},
			expectStatus: 201},
		{name: "nok, ticket with Basic credentials", givenPath: "/api/session",
			givenHeader:  func(tk, _ string) http.Header { return withHeader(basicBob, "Vmware-Api-Clone-Ticket", tk) },
			expectStatus: 400},
		{name: "nok, ticket with the parent's session id", givenPath: "/api/session",
			givenHeader: func(tk, p string) http.Header {
				return withHeader(sessionHeader(p), "Vmware-Api-Clone-Ticket", tk)
			},
			expectStatus: 400},
		{name: "nok, session id as ticket", givenPath: "/api/session",
			givenHeader:  func(_, p string) http.Header { return http.Header{"Vmware-Api-Clone-Ticket": {p}} },
			expectStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t)
			parent := s.login(t)
			ticket := s.cloneTicket(t, parent)
			rec := s.do(t, http.MethodPost, tt.givenPath, tt.givenHeader(ticket, parent))
			if rec.Code != tt.expectStatus {
				t.Fatalf("create: %d %s", rec.Code, rec.Body)
			}
			if got := len(rec.Result().Cookies()) > 0; got != tt.expectCookie {
				t.Fatalf("Set-Cookie present = %v, want %v", got, tt.expectCookie)
			}
		})
	}
}

func TestCloneTicketCascadeHTTP(t *testing.T) {
	s := newTestServer(t)
	parent := s.login(t)
	ticket := s.cloneTicket(t, parent)
	if rec := s.do(t, http.MethodGet, "/api/whoami", sessionHeader(ticket)); rec.Code != http.StatusUnauthorized {
		t.Fatalf("ticket as session id: %d, want 401", rec.Code)
	}
	rec := s.do(t, http.MethodPost, "/api/session", http.Header{"Vmware-Api-Clone-Ticket": {ticket}, "Vmware-Use-Header-Authn": {"1"}})
	if rec.Code != http.StatusCreated {
		t.Fatalf("clone: %d %s", rec.Code, rec.Body)
	}
	child := bareString(t, rec)
	if rec := s.do(t, http.MethodPost, "/api/session", http.Header{"Vmware-Api-Clone-Ticket": {ticket}}); rec.Code != http.StatusUnauthorized {
		t.Fatalf("second redemption: %d, want 401", rec.Code)
	}
	if rec := s.do(t, http.MethodGet, "/api/whoami", sessionHeader(child)); rec.Code != http.StatusOK {
		t.Fatalf("child: %d", rec.Code)
	}
	if rec := s.do(t, http.MethodDelete, "/api/session", sessionHeader(parent)); rec.Code != http.StatusNoContent {
		t.Fatalf("logout: %d", rec.Code)
	}
	if rec := s.do(t, http.MethodGet, "/api/whoami", sessionHeader(child)); rec.Code != http.StatusUnauthorized {
		t.Fatalf("child after the parent's logout: %d, want 401", rec.Code)
	}
}

func TestCloneTicketSessionLimit(t *testing.T) {
	m, err := session.NewManager(session.NewMemoryStore(), session.WithMaxSessionsPerUser(1))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, func(c *middleware.Config) { c.Manager = m })
	parent := s.login(t)
	ticket := s.cloneTicket(t, parent)
	rec := s.do(t, http.MethodPost, "/api/session", http.Header{"Vmware-Api-Clone-Ticket": {ticket}})
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "session_limit") {
		t.Fatalf("clone beyond the cap: %d %s", rec.Code, rec.Body)
	}
	if infos, _ := m.Sessions(t.Context(), mustPrincipal("bob")); len(infos) != 1 {
		t.Fatalf("%d sessions, want 1: nothing leaked", len(infos))
	}
}

func TestChannelCredentialHTTP(t *testing.T) {
	s := newTestServer(t)
	chBasic := middleware.ChannelBasic(s.manager, "broker")
	ok := func(c echo.Context) error {
		return c.String(http.StatusOK, middleware.SecurityContextFrom(c).Principal.Name)
	}
	s.e.GET("/broker", ok, chBasic, middleware.Require())
	s.e.GET("/metrics", ok, middleware.ChannelBasic(s.manager, "metrics"), middleware.Require())

	id := s.login(t)
	rec := s.doBody(t, http.MethodPost, middleware.DefaultChannelCredentialPath, sessionHeader(id), `{"channel":"broker"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("channel-credential: %d %s", rec.Code, rec.Body)
	}
	cred := bareString(t, rec)
	other := s.login(t)
	tests := []struct {
		name         string
		givenPath    string
		givenUser    string
		givenPass    string
		expectStatus int
	}{
		{"ok, its channel", "/broker", id, cred, 200},
		{"nok, another channel", "/metrics", id, cred, 401},
		{"nok, wrong session id", "/broker", other, cred, 401},
		{"nok, session id as password", "/broker", id, id, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.do(t, http.MethodGet, tt.givenPath, http.Header{"Authorization": {basic(tt.givenUser, tt.givenPass)}})
			if rec.Code != tt.expectStatus {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
		})
	}
	if rec := s.doBody(t, http.MethodPost, middleware.DefaultChannelCredentialPath, sessionHeader(id), `{"channel":""}`); rec.Code != http.StatusBadRequest {
		t.Fatalf("empty channel: %d", rec.Code)
	}
	s.do(t, http.MethodDelete, "/api/session", sessionHeader(id))
	if rec := s.do(t, http.MethodGet, "/broker", http.Header{"Authorization": {basic(id, cred)}}); rec.Code != http.StatusUnauthorized {
		t.Fatalf("after logout: %d, want 401", rec.Code)
	}
}

func TestCSRF(t *testing.T) {
	tests := []struct {
		name         string
		givenHeader  func(id string) http.Header
		expectStatus int
	}{
		{"nok, cross-site POST with the cookie", func(id string) http.Header {
			return http.Header{"Cookie": {"vmware-api-session-id=" + id}, "Sec-Fetch-Site": {"cross-site"}}
		}, 403},
		{"nok, foreign Origin with the cookie", func(id string) http.Header {
			return http.Header{"Cookie": {"vmware-api-session-id=" + id}, "Origin": {"https://evil.example"}}
		}, 403},
		{"nok, cookie without any origin information", func(id string) http.Header {
			return http.Header{"Cookie": {"vmware-api-session-id=" + id}}
		}, 403},
		{"ok, same-origin POST with the cookie", func(id string) http.Header {
			return http.Header{"Cookie": {"vmware-api-session-id=" + id}, "Sec-Fetch-Site": {"same-origin"}}
		}, 201},
		{"ok, same Origin with the cookie", func(id string) http.Header {
			return http.Header{"Cookie": {"vmware-api-session-id=" + id}, "Origin": {"http://example.com"}}
		}, 201},
		{"ok, cross-site POST with the header", func(id string) http.Header {
			return http.Header{"Vmware-Api-Session-Id": {id}, "Sec-Fetch-Site": {"cross-site"}}
		}, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t)
			id := s.login(t)
			rec := s.do(t, http.MethodPost, middleware.DefaultCloneTicketPath, tt.givenHeader(id))
			if rec.Code != tt.expectStatus {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestHandoff(t *testing.T) {
	s := newTestServer(t)
	s.e.GET("/ui/page", func(c echo.Context) error { return c.NoContent(http.StatusOK) },
		middleware.Handoff(s.manager))
	id := s.login(t)
	ticket := s.cloneTicket(t, id)
	rec := s.do(t, http.MethodGet, "/ui/page?a=1&ticket="+ticket, nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/ui/page?a=1" {
		t.Fatalf("hand-off: %d Location %q", rec.Code, rec.Header().Get("Location"))
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || !cookies[0].Secure || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie %+v", cookies)
	}
	if rec := s.do(t, http.MethodGet, "/api/whoami", sessionHeader(cookies[0].Value)); rec.Code != http.StatusOK {
		t.Fatalf("handed-off session: %d", rec.Code)
	}
	if rec := s.do(t, http.MethodGet, "/ui/page?ticket="+ticket, nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("reused ticket: %d, want 401", rec.Code)
	}
	if rec := s.do(t, http.MethodGet, "/ui/page", nil); rec.Code != http.StatusOK {
		t.Fatalf("without a ticket: %d", rec.Code)
	}
}

func TestAdminSessions(t *testing.T) {
	s := newTestServer(t, func(c *middleware.Config) { c.Admins = []string{"alice@vsphere.local"} })
	rec := s.do(t, http.MethodPost, "/api/session", http.Header{"Authorization": {basic("alice@vsphere.local", "s3cret:with:colons")}, "Vmware-Use-Header-Authn": {"1"}})
	if rec.Code != http.StatusCreated {
		t.Fatalf("admin login: %d", rec.Code)
	}
	admin := bareString(t, rec)
	bob := s.login(t)
	s.login(t)
	if rec := s.do(t, http.MethodGet, middleware.DefaultAdminSessionsPath+"?user=bob", sessionHeader(bob)); rec.Code != http.StatusForbidden {
		t.Fatalf("non-admin: %d, want 403", rec.Code)
	}
	rec = s.do(t, http.MethodGet, middleware.DefaultAdminSessionsPath+"?user=bob", sessionHeader(admin))
	var list []middleware.AdminSession
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list) != 2 {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	if rec := s.do(t, http.MethodDelete, middleware.DefaultAdminSessionsPath+"/"+list[0].Key, sessionHeader(admin)); rec.Code != http.StatusNoContent {
		t.Fatalf("terminate one: %d", rec.Code)
	}
	rec = s.do(t, http.MethodDelete, middleware.DefaultAdminSessionsPath+"?user=bob", sessionHeader(admin))
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"terminated":1}` {
		t.Fatalf("terminate user: %d %s", rec.Code, rec.Body)
	}
	if rec := s.do(t, http.MethodGet, "/api/whoami", sessionHeader(bob)); rec.Code != http.StatusUnauthorized {
		t.Fatalf("bob after termination: %d", rec.Code)
	}
}

func mustPrincipal(s string) vapisec.Principal { return vapisec.ParsePrincipal(s) }

// TestChainStopsCrossSiteRequestForgery: on application routes behind
// Chain (where the CSRF check runs inside the Session middleware) and
// behind a hand-made chain with the CSRF middleware, a cross-site unsafe
// request carried by the session cookie is refused; the same request with
// the session header, or from the same origin, passes.
func TestChainStopsCrossSiteRequestForgery(t *testing.T) {
	s := newTestServer(t)
	ok := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	chain, err := middleware.Chain(middleware.Config{Manager: s.manager})
	if err != nil {
		t.Fatal(err)
	}
	s.e.POST("/api/chain", ok, append(chain, middleware.Require())...)
	s.e.POST("/api/custom", ok, middleware.Session(s.manager), middleware.CSRF(), middleware.Require())
	id := s.login(t)
	tests := []struct {
		name         string
		givenHeader  http.Header
		expectStatus int
	}{
		{"nok, cross-site with the cookie", http.Header{"Cookie": {"vmware-api-session-id=" + id}, "Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"nok, foreign Origin with the cookie", http.Header{"Cookie": {"vmware-api-session-id=" + id}, "Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"ok, same-origin with the cookie", http.Header{"Cookie": {"vmware-api-session-id=" + id}, "Sec-Fetch-Site": {"same-origin"}}, http.StatusNoContent},
		{"ok, cross-site with the header", http.Header{"Vmware-Api-Session-Id": {id}, "Sec-Fetch-Site": {"cross-site"}}, http.StatusNoContent},
	}
	// An application that already runs Session for every request, and
	// Chain on its routes: the request arrives authenticated, and the
	// chain's check still applies.
	global := echo.New()
	global.Use(middleware.Session(s.manager))
	global.POST("/api/global", ok, append(chain, middleware.Require())...)
	for _, path := range []string{"/api/chain", "/api/custom", "/api/global"} {
		for _, tt := range tests {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodPost, path, nil)
				req.Header = tt.givenHeader.Clone()
				rec := httptest.NewRecorder()
				if path == "/api/global" {
					global.ServeHTTP(rec, req)
				} else {
					s.e.ServeHTTP(rec, req)
				}
				if rec.Code != tt.expectStatus {
					t.Fatalf("%d, want %d: %s", rec.Code, tt.expectStatus, rec.Body)
				}
			})
		}
	}
}
