package middleware_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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
	store, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(store, session.WithMaxSessionsPerUser(1))
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

// issueChannel asks for a channel credential of session id for channel.
func (s *testServer) issueChannel(t testing.TB, id, channel string) *httptest.ResponseRecorder {
	t.Helper()
	return s.doBody(t, http.MethodPost, middleware.DefaultChannelCredentialPath, sessionHeader(id), `{"channel":"`+channel+`"}`)
}

// channelCredential decodes a 201 answer of the channel credential route.
func channelCredential(t testing.TB, rec *httptest.ResponseRecorder) session.ChannelCredential {
	t.Helper()
	if rec.Code != http.StatusCreated {
		t.Fatalf("channel-credential: %d %s", rec.Code, rec.Body)
	}
	var cred session.ChannelCredential
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cred); err != nil || cred.User == "" || cred.Password == "" {
		t.Fatalf("channel-credential body: %+v, %v", cred, err)
	}
	return cred
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
	cred := channelCredential(t, s.issueChannel(t, id, "broker"))
	other := s.login(t)
	otherCred := channelCredential(t, s.issueChannel(t, other, "broker"))
	tests := []struct {
		name         string
		givenPath    string
		givenUser    string
		givenPass    string
		expectStatus int
	}{
		{"ok, its channel", "/broker", cred.User, cred.Password, 200},
		{"nok, another channel", "/metrics", cred.User, cred.Password, 401},
		{"nok, another credential's user", "/broker", otherCred.User, cred.Password, 401},
		{"nok, session id as user", "/broker", id, cred.Password, 401},
		{"nok, session id as password", "/broker", cred.User, id, 401},
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
	if rec := s.do(t, http.MethodGet, "/broker", http.Header{"Authorization": {basic(cred.User, cred.Password)}}); rec.Code != http.StatusUnauthorized {
		t.Fatalf("after logout: %d, want 401", rec.Code)
	}
}

// TestChannelCredentialDoesNotRevealSessionID: the broker a channel
// credential is given to must not learn a usable session (issue 14 item 8).
// The credential has a user name of its own; the session id as user name is
// refused even with the right password.
func TestChannelCredentialDoesNotRevealSessionID(t *testing.T) {
	s := newTestServer(t)
	ok := func(c echo.Context) error {
		return c.String(http.StatusOK, middleware.SecurityContextFrom(c).Principal.Name)
	}
	s.e.GET("/broker", ok, middleware.ChannelBasic(s.manager, "broker"), middleware.Require())

	id := s.login(t)
	rec := s.issueChannel(t, id, "broker")
	body := rec.Body.String()
	cred := channelCredential(t, rec)
	if strings.Contains(body, id) || strings.Contains(cred.User, id) || strings.Contains(cred.Password, id) {
		t.Fatalf("channel credential %s contains the session id", body)
	}
	if !strings.HasPrefix(cred.User, session.ChannelUserPrefix) || !strings.HasPrefix(cred.Password, session.ChannelCredentialPrefix) {
		t.Fatalf("channel credential %+v: want %s… and %s…", cred, session.ChannelUserPrefix, session.ChannelCredentialPrefix)
	}
	if rec := s.do(t, http.MethodGet, "/broker", http.Header{"Authorization": {basic(cred.User, cred.Password)}}); rec.Code != http.StatusOK {
		t.Fatalf("own user name: %d %s", rec.Code, rec.Body)
	}
	if rec := s.do(t, http.MethodGet, "/broker", http.Header{"Authorization": {basic(id, cred.Password)}}); rec.Code != http.StatusUnauthorized {
		t.Fatalf("user = session id: %d %s, want 401", rec.Code, rec.Body)
	}
}

// newQuotaServer is a test server on a memory store bounded to maxEntries
// records, with the Manager options opts.
func newQuotaServer(t testing.TB, maxEntries int, opts ...session.ManagerOption) *testServer {
	t.Helper()
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	mem, err := session.NewMemoryStore(session.WithMaxEntries(maxEntries))
	if err != nil {
		t.Fatal(err)
	}
	store := &faultyStore{Store: mem}
	m, err := session.NewManager(store, append([]session.ManagerOption{session.WithClock(clk.Now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	users, err := middleware.NewStaticUsers(map[string]string{"administrator@vsphere.local": "admin-pw", "bob": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	if err := middleware.RegisterSessionEndpoints(e, middleware.Config{Manager: m, Authenticator: users}); err != nil {
		t.Fatal(err)
	}
	return &testServer{e: e, clock: clk, store: store, manager: m}
}

// loginAs logs user in with Basic and returns the answer.
func (s *testServer) loginAs(t testing.TB, user, pass string) *httptest.ResponseRecorder {
	t.Helper()
	return s.do(t, http.MethodPost, "/api/session", http.Header{"Authorization": {basic(user, pass)}, "Vmware-Use-Header-Authn": {"true"}})
}

// expectQuota fails the test unless rec is a 429 UNABLE_TO_ALLOCATE_RESOURCE
// carrying reason.
func expectQuota(t testing.TB, rec *httptest.ResponseRecorder, reason vapisec.Reason) {
	t.Helper()
	var body middleware.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
	}
	if rec.Code != http.StatusTooManyRequests || body.ErrorType != "UNABLE_TO_ALLOCATE_RESOURCE" ||
		len(body.Messages) != 2 || body.Messages[1].ID != reason.MessageID() {
		t.Fatalf("%d %s, want 429 UNABLE_TO_ALLOCATE_RESOURCE with reason %s", rec.Code, rec.Body, reason)
	}
}

// floodOneUser logs bob in and lets flood(session, i) create records until
// bob is refused; it logs bob in again whenever a session is at its own
// quota (perSession), and stops when bob is at the bound on his records.
// At most budget requests are made. It returns how many records flood
// created in the first session.
func floodOneUser(t *testing.T, s *testServer, budget int, perSession vapisec.Reason, flood func(id string, i int) *httptest.ResponseRecorder) int {
	t.Helper()
	first, id := -1, ""
	created := 0
	for i := range budget {
		if id == "" {
			rec := s.loginAs(t, "bob", "pw")
			if rec.Code != http.StatusCreated {
				expectQuota(t, rec, vapisec.ReasonUserRecordLimit)
				return first
			}
			id = strings.Trim(strings.TrimSpace(rec.Body.String()), `"`)
			continue
		}
		rec := flood(id, i)
		if rec.Code == http.StatusCreated {
			created++
			continue
		}
		var body middleware.ErrorBody
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		if len(body.Messages) == 2 && body.Messages[1].ID == vapisec.ReasonUserRecordLimit.MessageID() {
			expectQuota(t, rec, vapisec.ReasonUserRecordLimit)
			return first
		}
		expectQuota(t, rec, perSession)
		if first < 0 {
			first = created
		}
		id = ""
	}
	t.Fatalf("bob was never refused in %d requests (%d records created)", budget, created)
	return first
}

// TestChannelCredentialFloodDoesNotLockOutOthers: one user POSTing channel
// credentials with ever new channel names used to fill the store until the
// administrator's login answered 503 store_unavailable (issue 14 item 1).
// Each session now holds at most 16, the user at most its records bound,
// and the administrator still logs in.
func TestChannelCredentialFloodDoesNotLockOutOthers(t *testing.T) {
	s := newQuotaServer(t, 64, session.WithMaxRecordsPerUser(40))
	perSession := floodOneUser(t, s, 200, vapisec.ReasonChannelLimit, func(id string, i int) *httptest.ResponseRecorder {
		return s.issueChannel(t, id, fmt.Sprintf("c%d", i))
	})
	if perSession != session.DefaultMaxChannelCredentialsPerSession {
		t.Fatalf("one session created %d channel credentials, want %d", perSession, session.DefaultMaxChannelCredentialsPerSession)
	}
	if rec := s.loginAs(t, "administrator@vsphere.local", "admin-pw"); rec.Code != http.StatusCreated {
		t.Fatalf("administrator's login after the flood: %d %s, want 201", rec.Code, rec.Body)
	}
}

// TestCloneTicketFloodDoesNotLockOutOthers: the same flood with clone
// tickets (issue 14 item 1).
func TestCloneTicketFloodDoesNotLockOutOthers(t *testing.T) {
	s := newQuotaServer(t, 64, session.WithMaxRecordsPerUser(40))
	perSession := floodOneUser(t, s, 200, vapisec.ReasonCloneTicketLimit, func(id string, _ int) *httptest.ResponseRecorder {
		return s.do(t, http.MethodPost, middleware.DefaultCloneTicketPath, sessionHeader(id))
	})
	if perSession != session.DefaultMaxCloneTicketsPerSession {
		t.Fatalf("one session created %d clone tickets, want %d", perSession, session.DefaultMaxCloneTicketsPerSession)
	}
	if rec := s.loginAs(t, "administrator@vsphere.local", "admin-pw"); rec.Code != http.StatusCreated {
		t.Fatalf("administrator's login after the flood: %d %s, want 201", rec.Code, rec.Body)
	}
}

// TestCloneRedeemFloodDoesNotLockOutPasswordLogin: 548 clone ticket +
// redeem pairs from one session used to take all of the user's 550
// sessions, so the user's own password login answered 503 session_limit
// (issue 14 item 5). Derived sessions now have a quota per login session,
// clones of clones included, and the password login keeps working.
func TestCloneRedeemFloodDoesNotLockOutPasswordLogin(t *testing.T) {
	s := newQuotaServer(t, session.DefaultMaxEntries)
	rec := s.loginAs(t, "bob", "pw")
	if rec.Code != http.StatusCreated {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	tree := []string{strings.Trim(strings.TrimSpace(rec.Body.String()), `"`)}
	const budget = session.DefaultMaxSessionsPerUser + 50
	refused := false
	for i := 0; i < budget && !refused; i++ {
		// Clone from the login session and, every other time, from the
		// newest clone: a clone of a clone must not escape the quota.
		from := tree[0]
		if i%2 == 1 {
			from = tree[len(tree)-1]
		}
		ticket := s.do(t, http.MethodPost, middleware.DefaultCloneTicketPath, sessionHeader(from))
		if ticket.Code == http.StatusForbidden { // deeper than MaxDepth: clone from the root
			from = tree[0]
			ticket = s.do(t, http.MethodPost, middleware.DefaultCloneTicketPath, sessionHeader(from))
		}
		if ticket.Code != http.StatusCreated {
			t.Fatalf("clone-ticket %d: %d %s", i, ticket.Code, ticket.Body)
		}
		child := s.do(t, http.MethodPost, "/api/session", http.Header{"Vmware-Api-Clone-Ticket": {bareString(t, ticket)}})
		switch child.Code {
		case http.StatusCreated:
			tree = append(tree, bareString(t, child))
		default:
			expectQuota(t, child, vapisec.ReasonChildSessionLimit)
			refused = true
		}
	}
	if !refused {
		t.Fatalf("%d clone+redeem pairs from one session were all accepted", budget)
	}
	if got := len(tree) - 1; got != session.DefaultMaxChildSessions {
		t.Fatalf("one login session derived %d sessions, want %d", got, session.DefaultMaxChildSessions)
	}
	if rec := s.loginAs(t, "bob", "pw"); rec.Code != http.StatusCreated {
		t.Fatalf("password login after the clone flood: %d %s, want 201", rec.Code, rec.Body)
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

// TestUserRecordLimitOnLegacyLogin: a login beyond the user's records bound
// is a 429 in the /rest envelope too, not a 503 store_unavailable.
func TestUserRecordLimitOnLegacyLogin(t *testing.T) {
	s := newQuotaServer(t, 64, session.WithMaxRecordsPerUser(1))
	if rec := s.loginAs(t, "bob", "pw"); rec.Code != http.StatusCreated {
		t.Fatalf("first login: %d %s", rec.Code, rec.Body)
	}
	rec := s.do(t, http.MethodPost, "/rest/com/vmware/cis/session", http.Header{"Authorization": {basic("bob", "pw")}})
	var body middleware.LegacyErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
	}
	if rec.Code != http.StatusTooManyRequests || body.Type != "com.vmware.vapi.std.errors.unable_to_allocate_resource" ||
		len(body.Value.Messages) != 2 || body.Value.Messages[1].ID != vapisec.ReasonUserRecordLimit.MessageID() {
		t.Fatalf("%d %s, want 429 unable_to_allocate_resource with user_record_limit", rec.Code, rec.Body)
	}
}

// TestCrossSiteChannelBasicPostIsForbidden: channel credentials are Basic
// credentials a browser may cache too, so the Basic CSRF rule covers them
// (issue 14 item 7): a cross-site unsafe request is a 403 before the
// credential is checked; a non-browser client (neither Sec-Fetch-Site nor
// Origin) and a same-origin one pass.
func TestCrossSiteChannelBasicPostIsForbidden(t *testing.T) {
	s := newTestServer(t)
	ok := func(c echo.Context) error {
		return c.String(http.StatusOK, middleware.SecurityContextFrom(c).Principal.Name)
	}
	s.e.POST("/broker", ok, middleware.ChannelBasic(s.manager, "broker"), middleware.Require())
	cred := channelCredential(t, s.issueChannel(t, s.login(t), "broker"))
	auth := basic(cred.User, cred.Password)
	tests := []struct {
		name         string
		givenHeader  http.Header
		expectStatus int
	}{
		{"nok, Sec-Fetch-Site cross-site", http.Header{"Authorization": {auth}, "Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"nok, foreign Origin", http.Header{"Authorization": {auth}, "Origin": {"https://evil.example"}}, http.StatusForbidden},
		{"ok, same-origin", http.Header{"Authorization": {auth}, "Sec-Fetch-Site": {"same-origin"}}, http.StatusOK},
		{"ok, non-browser client", http.Header{"Authorization": {auth}}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rec := s.do(t, http.MethodPost, "/broker", tt.givenHeader); rec.Code != tt.expectStatus {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tt.expectStatus)
			}
		})
	}
}
