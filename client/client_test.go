package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/client"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

// testServer is a real vapisec server: the session endpoints and a
// protected route, on the in-memory store.
type testServer struct {
	url    string
	logins atomic.Int32
}

// newTestServer starts the server; routes may add unprotected routes.
func newTestServer(t *testing.T, idle time.Duration, errs middleware.ErrorsConfig, routes ...func(*echo.Echo)) *testServer {
	t.Helper()
	store, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(store, session.WithIdleTimeout(idle))
	if err != nil {
		t.Fatal(err)
	}
	users, err := middleware.NewStaticUsers(map[string]string{"alice@vsphere.local": "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := middleware.Config{Manager: m, Authenticator: users, Errors: errs}
	e := echo.New()
	ts := &testServer{}
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.Method == http.MethodPost && r.URL.RawQuery == "" && (r.URL.Path == "/api/session" || r.URL.Path == "/rest/com/vmware/cis/session") {
				ts.logins.Add(1)
			}
			return next(c)
		}
	})
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		t.Fatal(err)
	}
	chain, err := middleware.Chain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	api := e.Group("/api/vcenter", chain...)
	api.GET("/vm", func(c echo.Context) error {
		return c.String(http.StatusOK, middleware.SecurityContextFrom(c).Principal.String())
	}, middleware.Require())
	api.POST("/vm", func(c echo.Context) error {
		b, _ := io.ReadAll(c.Request().Body)
		return c.String(http.StatusOK, "created "+string(b))
	}, middleware.Require())
	// Only HoK may call this: a session gets 401 scheme_not_allowed.
	api.GET("/hok-only", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, middleware.Require(vapisec.SchemeSAMLHoK))
	for _, r := range routes {
		r(e)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	ts.url = srv.URL
	return ts
}

func newClient(t *testing.T, ts *testServer, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(ts.url, append([]client.Option{client.WithBasicAuth("alice@vsphere.local", "s3cret")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func get(t *testing.T, c *client.Client, path string) (int, string) {
	t.Helper()
	req, err := c.NewRequest(context.Background(), http.MethodGet, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestClientLoginUseLogout(t *testing.T) {
	for _, style := range []client.SessionStyle{client.LegacySession, client.APISession} {
		ts := newTestServer(t, time.Minute, middleware.ErrorsConfig{})
		c := newClient(t, ts, client.WithSessionStyle(style))
		if code, body := get(t, c, "/api/vcenter/vm"); code != http.StatusOK || body != "alice@vsphere.local" {
			t.Fatalf("style %d: %d %q", style, code, body)
		}
		id := c.SessionID()
		if len(id) != 43 {
			t.Fatalf("session id %q", id)
		}
		if code, _ := get(t, c, "/api/vcenter/vm"); code != http.StatusOK || c.SessionID() != id || ts.logins.Load() != 1 {
			t.Errorf("second call: %d, id changed %v, %d logins", code, c.SessionID() != id, ts.logins.Load())
		}
		if err := c.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if c.SessionID() != "" {
			t.Error("id kept after Close")
		}
		req, _ := http.NewRequest(http.MethodGet, ts.url+"/api/vcenter/vm", nil)
		req.Header.Set(vapisec.HeaderSessionID, id)
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusUnauthorized {
			t.Errorf("old session after Close: %v %v", res.StatusCode, err)
		}
		if _, err := c.Do(req); !errors.Is(err, client.ErrClosed) {
			t.Errorf("Do after Close: %v", err)
		}
	}
}

func TestClientWrongPassword(t *testing.T) {
	ts := newTestServer(t, time.Minute, middleware.ErrorsConfig{})
	c, err := client.New(ts.url, client.WithBasicAuth("alice@vsphere.local", "wrong"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	err = c.Login(context.Background())
	if !errors.Is(err, client.ErrLogin) || !strings.Contains(err.Error(), "invalid_credentials") {
		t.Errorf("error %v", err)
	}
}

// TestClientKeepAlive: with a keep-alive shorter than the server's
// idle timeout the session survives idleness; without it, it expires and
// the next request logs in again.
func TestClientKeepAlive(t *testing.T) {
	const idle = 600 * time.Millisecond
	ts := newTestServer(t, idle, middleware.ErrorsConfig{})
	kept := newClient(t, ts, client.WithKeepAlive(idle/4))
	lapsed := newClient(t, ts, client.WithKeepAlive(0))
	for _, c := range []*client.Client{kept, lapsed} {
		if err := c.Login(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	keptID, lapsedID := kept.SessionID(), lapsed.SessionID()
	time.Sleep(2 * idle)
	if code, _ := get(t, kept, "/api/vcenter/vm"); code != http.StatusOK || kept.SessionID() != keptID {
		t.Errorf("kept-alive client: %d, id changed %v", code, kept.SessionID() != keptID)
	}
	if code, _ := get(t, lapsed, "/api/vcenter/vm"); code != http.StatusOK || lapsed.SessionID() == lapsedID {
		t.Errorf("lapsed client: %d, id changed %v", code, lapsed.SessionID() != lapsedID)
	}
	if n := ts.logins.Load(); n != 3 {
		t.Errorf("%d logins, want 3", n)
	}
}

// TestClientRelogin: an expired session is re-established and the
// request (with its body) retried once, with and without server reasons.
func TestClientRelogin(t *testing.T) {
	for _, disable := range []bool{false, true} {
		const idle = 200 * time.Millisecond
		ts := newTestServer(t, idle, middleware.ErrorsConfig{DisableReasons: disable})
		c := newClient(t, ts, client.WithKeepAlive(0))
		if err := c.Login(context.Background()); err != nil {
			t.Fatal(err)
		}
		old := c.SessionID()
		time.Sleep(idle + idle/2)
		req, _ := c.NewRequest(context.Background(), http.MethodPost, "/api/vcenter/vm", strings.NewReader("vm-1"))
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(b) != "created vm-1" {
			t.Errorf("reasons disabled %v: %d %q", disable, res.StatusCode, b)
		}
		if c.SessionID() == old || ts.logins.Load() != 2 {
			t.Errorf("reasons disabled %v: %d logins", disable, ts.logins.Load())
		}
	}
}

func TestClientNoRetry(t *testing.T) {
	const idle = 200 * time.Millisecond
	ts := newTestServer(t, idle, middleware.ErrorsConfig{})
	c := newClient(t, ts, client.WithKeepAlive(0))
	if err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A reason re-login cannot cure: returned as is, body intact.
	code, body := get(t, c, "/api/vcenter/hok-only")
	if code != http.StatusUnauthorized || !strings.Contains(body, "vapisec.reason.scheme_not_allowed") || ts.logins.Load() != 1 {
		t.Errorf("scheme_not_allowed: %d %q, %d logins", code, body, ts.logins.Load())
	}
	// A body that cannot be replayed: no retry.
	time.Sleep(idle + idle/2)
	req, _ := c.NewRequest(context.Background(), http.MethodPost, "/api/vcenter/vm", io.NopCloser(strings.NewReader("vm")))
	req.GetBody = nil
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), "vapisec.reason.expired") || ts.logins.Load() != 1 {
		t.Errorf("unreplayable body: %d %q, %d logins", res.StatusCode, b, ts.logins.Load())
	}
}

// TestClientConcurrent: many goroutines across a session expiry;
// the re-login happens once for them all (run with -race).
func TestClientConcurrent(t *testing.T) {
	const idle = 300 * time.Millisecond
	ts := newTestServer(t, idle, middleware.ErrorsConfig{})
	c := newClient(t, ts, client.WithKeepAlive(0))
	var wg sync.WaitGroup
	run := func() {
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					if code, _ := get(t, c, "/api/vcenter/vm"); code != http.StatusOK {
						t.Errorf("status %d", code)
					}
				}
			}()
		}
		wg.Wait()
	}
	run()
	if n := ts.logins.Load(); n != 1 {
		t.Errorf("%d logins for the first round, want 1", n)
	}
	time.Sleep(idle + idle/2)
	run()
	if n := ts.logins.Load(); n != 2 {
		t.Errorf("%d logins after the expiry, want 2", n)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name      string
		givenURL  string
		givenOpts []client.Option
		expectErr []error
	}{
		{name: "nok, no credentials", givenURL: "https://vc", expectErr: []error{client.ErrNoCredentials}},
		{name: "nok, relative URL", givenURL: "/vc", givenOpts: []client.Option{client.WithBasicAuth("a", "b")}, expectErr: []error{client.ErrInvalidOption}},
		{name: "nok, ftp URL", givenURL: "ftp://vc", givenOpts: []client.Option{client.WithBasicAuth("a", "b")}, expectErr: []error{client.ErrInvalidOption}},
		{name: "nok, empty user", givenURL: "https://vc", givenOpts: []client.Option{client.WithBasicAuth("", "b")}, expectErr: []error{client.ErrInvalidOption}},
		{name: "nok, negative keep-alive", givenURL: "https://vc", givenOpts: []client.Option{client.WithBasicAuth("a", "b"), client.WithKeepAlive(-1)}, expectErr: []error{client.ErrInvalidOption}},
		{name: "nok, relative session path", givenURL: "https://vc", givenOpts: []client.Option{client.WithBasicAuth("a", "b"), client.WithSessionPath("api/session")}, expectErr: []error{client.ErrInvalidOption}},
		{name: "nok, unknown style", givenURL: "https://vc", givenOpts: []client.Option{client.WithBasicAuth("a", "b"), client.WithSessionStyle(9)}, expectErr: []error{client.ErrInvalidOption}},
		{name: "nok, nil token signer", givenURL: "https://vc", givenOpts: []client.Option{client.WithTokenLogin(nil)}, expectErr: []error{client.ErrInvalidOption}},
		{name: "nok, nil clock", givenURL: "https://vc", givenOpts: []client.Option{client.WithBasicAuth("a", "b"), client.WithClock(nil)}, expectErr: []error{client.ErrInvalidOption}},
		{name: "nok, nil option", givenURL: "https://vc", givenOpts: []client.Option{client.WithBasicAuth("a", "b"), nil}, expectErr: []error{client.ErrInvalidOption}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := client.New(tc.givenURL, tc.givenOpts...)
			if c != nil {
				t.Error("client returned with an error")
			}
			for _, want := range tc.expectErr {
				if !errors.Is(err, want) {
					t.Errorf("error %v does not match %v", err, want)
				}
			}
		})
	}
}

// TestClientClockMeasuresIdleness: the keep-alive reads the session when
// the injected clock says the client has been idle, not by time.Now: a
// clock that runs a minute per reading makes every timer tick find the
// client idle, a frozen clock never does.
func TestClientClockMeasuresIdleness(t *testing.T) {
	tests := []struct {
		name        string
		givenClock  func() func() time.Time
		expectReads bool
	}{
		{name: "ok, fast clock, idle at every tick", givenClock: func() func() time.Time {
			var mu sync.Mutex
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			return func() time.Time {
				mu.Lock()
				defer mu.Unlock()
				at = at.Add(time.Minute)
				return at
			}
		}, expectReads: true},
		{name: "ok, frozen clock, never idle", givenClock: func() func() time.Time {
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			return func() time.Time { return at }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reads atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.RawQuery == "~action=get" {
					reads.Add(1)
				}
				_, _ = io.WriteString(w, `{"value":"sid"}`)
			}))
			defer srv.Close()
			c, err := client.New(srv.URL, client.WithBasicAuth("a", "b"), client.WithKeepAlive(20*time.Millisecond), client.WithClock(tt.givenClock()))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			if err := c.Login(context.Background()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
			if got := reads.Load() > 0; got != tt.expectReads {
				t.Errorf("%d keep-alive reads, want some: %v", reads.Load(), tt.expectReads)
			}
		})
	}
}
