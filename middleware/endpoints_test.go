package middleware_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

var basicBob = http.Header{"Authorization": {basic("bob", "pw")}}

func withHeader(h http.Header, kv ...string) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Add(kv[i], kv[i+1])
	}
	return out
}

func TestLoginShapes(t *testing.T) {
	tests := []struct {
		name         string
		givenPath    string
		givenHeader  http.Header
		expectStatus int
		expectCookie bool
		decode       func(body []byte) (string, error)
	}{
		{
			name: "ok, legacy login wraps the id in value", givenPath: "/rest/com/vmware/cis/session", givenHeader: basicBob,
			expectStatus: 200, expectCookie: true,
			decode: func(b []byte) (string, error) {
				var v struct{ Value string }
				err := json.Unmarshal(b, &v)
				return v.Value, err
			},
		},
		{
			name: "ok, /api login returns a bare string", givenPath: "/api/session", givenHeader: basicBob,
			expectStatus: 201, expectCookie: true,
			decode: func(b []byte) (s string, err error) { err = json.Unmarshal(b, &s); return },
		},
		{
			name: "ok, vmware-use-header-authn suppresses the cookie", givenPath: "/api/session", givenHeader: withHeader(basicBob, "vmware-use-header-authn", "test"),
			expectStatus: 201, expectCookie: false,
			decode: func(b []byte) (s string, err error) { err = json.Unmarshal(b, &s); return },
		},
		{
			name: "ok, vmware-use-header-authn counts when empty", givenPath: "/rest/com/vmware/cis/session", givenHeader: withHeader(basicBob, "vmware-use-header-authn", ""),
			expectStatus: 200, expectCookie: false,
			decode: func(b []byte) (string, error) {
				var v struct{ Value string }
				err := json.Unmarshal(b, &v)
				return v.Value, err
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t)
			rec := s.do(t, http.MethodPost, tc.givenPath, tc.givenHeader)
			if rec.Code != tc.expectStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.expectStatus, rec.Body)
			}
			id, err := tc.decode(rec.Body.Bytes())
			if err != nil || len(id) != 43 {
				t.Fatalf("id %q, err %v", id, err)
			}
			cookies := rec.Result().Cookies()
			if tc.expectCookie != (len(cookies) == 1) {
				t.Fatalf("cookies %v, want one=%v", rec.Header()["Set-Cookie"], tc.expectCookie)
			}
			if tc.expectCookie {
				c := cookies[0]
				if c.Name != "vmware-api-session-id" || c.Value != id || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
					t.Errorf("cookie %+v", c)
				}
			}
			// The new session works by header.
			who := s.do(t, http.MethodGet, "/api/whoami", http.Header{"Vmware-Api-Session-Id": {id}})
			if who.Code != 200 || !strings.Contains(who.Body.String(), `"name":"bob"`) {
				t.Errorf("whoami: %d %s", who.Code, who.Body)
			}
		})
	}
}

func TestLoginNeedsANonSessionCredential(t *testing.T) {
	s := newTestServer(t)
	id := s.login(t)
	for _, path := range []string{"/api/session", "/rest/com/vmware/cis/session"} {
		rec := s.do(t, http.MethodPost, path, http.Header{"Vmware-Api-Session-Id": {id}})
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s: login by session id: %d %s", path, rec.Code, rec.Body)
		}
		if rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no challenge", path)
		}
	}
}

func TestGetSessionShapesAndLastAccessed(t *testing.T) {
	s := newTestServer(t)
	created := s.clock.Now()
	id := s.login(t)
	s.clock.Advance(90 * time.Second)
	rec := s.do(t, http.MethodGet, "/api/session", http.Header{"Vmware-Api-Session-Id": {id}})
	if rec.Code != 200 {
		t.Fatalf("GET /api/session: %d %s", rec.Code, rec.Body)
	}
	var info middleware.SessionInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil {
		t.Fatal(err)
	}
	want := middleware.SessionInfo{User: "bob", CreatedTime: created.Format(vapisec.TimestampLayout), LastAccessedTime: created.Add(90 * time.Second).Format(vapisec.TimestampLayout)}
	if info != want {
		t.Errorf("info %+v, want %+v", info, want)
	}

	s.clock.Advance(time.Minute)
	rec = s.do(t, http.MethodPost, "/rest/com/vmware/cis/session?~action=get", http.Header{"Vmware-Api-Session-Id": {id}})
	if rec.Code != 200 {
		t.Fatalf("legacy get: %d %s", rec.Code, rec.Body)
	}
	var legacy struct{ Value middleware.SessionInfo }
	if err := json.Unmarshal(rec.Body.Bytes(), &legacy); err != nil {
		t.Fatal(err)
	}
	if legacy.Value.LastAccessedTime != created.Add(150*time.Second).Format(vapisec.TimestampLayout) {
		t.Errorf("last_accessed_time not updated: %+v", legacy.Value)
	}

	rec = s.do(t, http.MethodPost, "/rest/com/vmware/cis/session?~action=frobnicate", http.Header{"Vmware-Api-Session-Id": {id}})
	if rec.Code != http.StatusNotFound {
		t.Errorf("unknown action: %d %s", rec.Code, rec.Body)
	}
}

func TestLogout(t *testing.T) {
	tests := []struct {
		name         string
		givenPath    string
		byCookie     bool
		expectStatus int
	}{
		{name: "ok, legacy logout answers 200 without body", givenPath: "/rest/com/vmware/cis/session", expectStatus: 200},
		{name: "ok, /api logout answers 204", givenPath: "/api/session", expectStatus: 204},
		{name: "ok, logout by cookie clears the cookie", givenPath: "/api/session", byCookie: true, expectStatus: 204},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t)
			id := s.login(t)
			h := http.Header{"Vmware-Api-Session-Id": {id}}
			if tc.byCookie {
				h = http.Header{"Cookie": {"vmware-api-session-id=" + id}, "Sec-Fetch-Site": {"same-origin"}}
			}
			rec := s.do(t, http.MethodDelete, tc.givenPath, h)
			if rec.Code != tc.expectStatus || rec.Body.Len() != 0 {
				t.Fatalf("logout: %d %q", rec.Code, rec.Body)
			}
			cleared := false
			for _, c := range rec.Result().Cookies() {
				cleared = cleared || (c.Name == "vmware-api-session-id" && c.MaxAge < 0)
			}
			if cleared != tc.byCookie {
				t.Errorf("cookie cleared=%v, want %v (%v)", cleared, tc.byCookie, rec.Header()["Set-Cookie"])
			}
			for _, path := range []string{"/api/whoami", "/api/session"} {
				rec = s.do(t, http.MethodGet, path, h)
				if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "vapisec.reason.unknown_session") {
					t.Errorf("%s after logout: %d %s", path, rec.Code, rec.Body)
				}
			}
			rec = s.do(t, http.MethodDelete, tc.givenPath, h)
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("second logout: %d", rec.Code)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	t.Run("ok, sliding idle timeout keeps a used session alive", func(t *testing.T) {
		s := newTestServer(t)
		id := s.login(t)
		for i := 0; i < 10; i++ {
			s.clock.Advance(20 * time.Minute)
			if rec := s.do(t, http.MethodGet, "/api/whoami", http.Header{"Vmware-Api-Session-Id": {id}}); rec.Code != 200 {
				t.Fatalf("after %d×20 min: %d %s", i+1, rec.Code, rec.Body)
			}
		}
	})
	t.Run("nok, idle timeout", func(t *testing.T) {
		s := newTestServer(t)
		id := s.login(t)
		s.clock.Advance(31 * time.Minute)
		rec := s.do(t, http.MethodGet, "/api/whoami", http.Header{"Vmware-Api-Session-Id": {id}})
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("idle session: %d %s", rec.Code, rec.Body)
		}
		if !strings.Contains(rec.Body.String(), "vapisec.reason.expired") && !strings.Contains(rec.Body.String(), "vapisec.reason.unknown_session") {
			t.Errorf("reason: %s", rec.Body)
		}
	})
	t.Run("nok, absolute lifetime ends a busy session", func(t *testing.T) {
		s := newTestServer(t)
		id := s.login(t)
		var last int
		for i := 0; i < 13*3; i++ {
			s.clock.Advance(20 * time.Minute)
			last = s.do(t, http.MethodGet, "/api/whoami", http.Header{"Vmware-Api-Session-Id": {id}}).Code
			if last != 200 {
				if elapsed := time.Duration(i+1) * 20 * time.Minute; elapsed < 12*time.Hour {
					t.Fatalf("ended after %v, before 12 h", elapsed)
				}
				break
			}
		}
		if last != http.StatusUnauthorized {
			t.Fatalf("still alive after 13 h: %d", last)
		}
	})
}

func TestStoreUnavailableFailsClosed(t *testing.T) {
	s := newTestServer(t)
	id := s.login(t)
	s.store.setDown(true)
	tests := []struct {
		name   string
		method string
		path   string
		header http.Header
	}{
		{"nok, lookup", http.MethodGet, "/api/whoami", http.Header{"Vmware-Api-Session-Id": {id}}},
		{"nok, login", http.MethodPost, "/api/session", basicBob},
		{"nok, logout", http.MethodDelete, "/api/session", http.Header{"Vmware-Api-Session-Id": {id}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := s.do(t, tc.method, tc.path, tc.header)
			if rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), "vapisec.reason.store_unavailable") || strings.Contains(rec.Body.String(), "connection refused") {
				t.Errorf("body %s", rec.Body)
			}
		})
	}
	golden(t, "store-unavailable", s.do(t, http.MethodGet, "/api/whoami", http.Header{"Vmware-Api-Session-Id": {id}}).Body.Bytes())
	s.store.setDown(false)
	if rec := s.do(t, http.MethodGet, "/api/whoami", http.Header{"Vmware-Api-Session-Id": {id}}); rec.Code != 200 {
		t.Errorf("after the store is back: %d", rec.Code)
	}
}

func TestOptions(t *testing.T) {
	t.Run("ok, DisableReasons leaves the reason message out", func(t *testing.T) {
		s := newTestServer(t, func(c *middleware.Config) { c.Errors.DisableReasons = true })
		rec := s.do(t, http.MethodGet, "/api/whoami", http.Header{"Vmware-Api-Session-Id": {"gone"}})
		if rec.Code != 401 || strings.Contains(rec.Body.String(), "vapisec.reason") {
			t.Errorf("%d %s", rec.Code, rec.Body)
		}
	})
	t.Run("ok, InsecureNoSecureFlag drops Secure only", func(t *testing.T) {
		s := newTestServer(t, func(c *middleware.Config) { c.Cookie.InsecureNoSecureFlag = true; c.Cookie.Path = "/api" })
		rec := s.do(t, http.MethodPost, "/api/session", basicBob)
		c := rec.Result().Cookies()[0]
		if c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/api" {
			t.Errorf("cookie %+v", c)
		}
	})
	t.Run("ok, custom realm and challenges", func(t *testing.T) {
		s := newTestServer(t, func(c *middleware.Config) { c.Errors.Realm = "vCenter" })
		rec := s.do(t, http.MethodGet, "/api/whoami", nil)
		if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="vCenter"` {
			t.Errorf("challenge %q", got)
		}
	})
	t.Run("ok, lookup order header first", func(t *testing.T) {
		s := newTestServer(t, func(c *middleware.Config) {
			c.SessionLookup = "header:vmware-api-session-id,cookie:vmware-api-session-id"
		})
		id := s.login(t)
		rec := s.do(t, http.MethodGet, "/api/whoami", http.Header{"Vmware-Api-Session-Id": {id}, "Cookie": {"vmware-api-session-id=" + id}})
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"source":"header"`) {
			t.Errorf("%d %s", rec.Code, rec.Body)
		}
	})
}

func TestSharedEchoErrorsAreNotMutated(t *testing.T) {
	before := *echo.ErrUnauthorized
	s := newTestServer(t)
	s.do(t, http.MethodGet, "/api/whoami", http.Header{"Authorization": {basic("bob", "nope")}})
	s.do(t, http.MethodGet, "/api/whoami", nil)
	if echo.ErrUnauthorized.Internal != before.Internal || echo.ErrUnauthorized.Message != before.Message {
		t.Errorf("echo.ErrUnauthorized was modified: %+v", echo.ErrUnauthorized)
	}
}

func TestConfigErrors(t *testing.T) {
	store, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(store)
	if err != nil {
		t.Fatal(err)
	}
	users, _ := middleware.NewStaticUsers(map[string]string{"u": "p"})
	tests := []struct {
		name      string
		build     func() error
		expectErr error
	}{
		{"nok, session without manager", func() error { _, err := middleware.SessionConfig{}.ToMiddleware(); return err }, middleware.ErrNoManager},
		{"nok, session with a bad lookup", func() error {
			_, err := middleware.SessionConfig{Manager: m, Lookup: "body:x"}.ToMiddleware()
			return err
		}, middleware.ErrInvalidConfig},
		{"nok, basic without authenticator", func() error { _, err := middleware.BasicConfig{}.ToMiddleware(); return err }, middleware.ErrNoAuthenticator},
		{"nok, require with an unknown scheme", func() error {
			_, err := middleware.RequireConfig{Schemes: []vapisec.SchemeID{"nope"}}.ToMiddleware()
			return err
		}, middleware.ErrInvalidConfig},
		{"nok, chain without manager", func() error { _, err := middleware.Chain(middleware.Config{Authenticator: users}); return err }, middleware.ErrNoManager},
		{"nok, endpoints without a login scheme", func() error {
			return middleware.RegisterSessionEndpoints(echo.New(), middleware.Config{Manager: m})
		}, middleware.ErrNoLoginScheme},
		{"nok, static user with a colon", func() error { _, err := middleware.NewStaticUsers(map[string]string{"a:b": "p"}); return err }, middleware.ErrInvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.build(); !errors.Is(err, tc.expectErr) {
				t.Errorf("err %v, want %v", err, tc.expectErr)
			}
		})
	}
	defer func() {
		if recover() == nil {
			t.Error("SessionWithConfig without a manager did not panic")
		}
	}()
	middleware.SessionWithConfig(middleware.SessionConfig{})
}
