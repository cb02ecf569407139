package middleware_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// clock is a settable clock for the session manager.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// faultyStore is the real memory store with a switch that makes every call
// fail, as an unreachable Redis would.
type faultyStore struct {
	session.Store
	mu   sync.Mutex
	down bool
}

var errDown = errors.New("connection refused")

func (f *faultyStore) isDown() bool   { f.mu.Lock(); defer f.mu.Unlock(); return f.down }
func (f *faultyStore) setDown(v bool) { f.mu.Lock(); defer f.mu.Unlock(); f.down = v }

func (f *faultyStore) Insert(ctx context.Context, key session.Key, rec session.Record, limits session.Limits) error {
	if f.isDown() {
		return errDown
	}
	return f.Store.Insert(ctx, key, rec, limits)
}

func (f *faultyStore) Touch(ctx context.Context, key session.Key, now time.Time) (session.Record, error) {
	if f.isDown() {
		return session.Record{}, errDown
	}
	return f.Store.Touch(ctx, key, now)
}

func (f *faultyStore) Delete(ctx context.Context, key session.Key) error {
	if f.isDown() {
		return errDown
	}
	return f.Store.Delete(ctx, key)
}

// testServer is an Echo server with the vapisec chain, the session endpoints
// and a whoami route, as an application would mount them.
type testServer struct {
	e       *echo.Echo
	clock   *clock
	store   *faultyStore
	manager *session.Manager
}

func newTestServer(t testing.TB, mutate ...func(*middleware.Config)) *testServer {
	t.Helper()
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	mem, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	store := &faultyStore{Store: mem}
	m, err := session.NewManager(store, session.WithClock(clk.Now), session.WithIdleTimeout(30*time.Minute), session.WithMaxLifetime(12*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	users, err := middleware.NewStaticUsers(map[string]string{"alice@vsphere.local": "s3cret:with:colons", "bob": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := middleware.Config{Manager: m, Authenticator: users}
	for _, f := range mutate {
		f(&cfg)
	}
	e := echo.New()
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		t.Fatal(err)
	}
	chain, err := middleware.Chain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	whoami := func(c echo.Context) error { return c.JSON(http.StatusOK, middleware.SecurityContextFrom(c)) }
	e.GET("/api/whoami", whoami, append(chain, middleware.Require())...)
	e.GET("/rest/whoami", whoami, append(chain, middleware.Require())...)
	e.GET("/api/anonymous", whoami, append(chain, middleware.AllowAnonymous())...)
	e.GET("/api/basic-only", whoami, append(chain, middleware.Require(vapisec.SchemeUserPass))...)
	// An unsafe protected route, for the CSRF rules.
	e.POST("/api/action", whoami, append(chain, middleware.Require())...)
	return &testServer{e: e, clock: clk, store: store, manager: m}
}

func (s *testServer) do(t testing.TB, method, target string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

// login creates a session by Basic on /api/session and returns its id.
func (s *testServer) login(t testing.TB) string {
	t.Helper()
	rec := s.do(t, http.MethodPost, "/api/session", http.Header{"Authorization": {basic("bob", "pw")}, "Vmware-Use-Header-Authn": {"true"}})
	if rec.Code != http.StatusCreated {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	return strings.Trim(strings.TrimSpace(rec.Body.String()), `"`)
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// golden compares got with testdata/golden/<name>.json (rewritten with -update).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("body differs from %s\n got: %s\nwant: %s", path, got, want)
	}
}

// vapiError is a decoded vAPI error body, /api or /rest shape.
type vapiError struct {
	ErrorType string // upper case, e.g. UNAUTHENTICATED
	IDs       []string
}

// decodeVAPIError decodes an /api error body or a /rest
// {"type":…,"value":…} wrapper into its error type and message ids.
func decodeVAPIError(body []byte) (vapiError, error) {
	var v struct {
		ErrorType string                `json:"error_type"`
		Messages  []middleware.Message  `json:"messages"`
		Type      string                `json:"type"`
		Value     *middleware.ErrorBody `json:"value"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return vapiError{}, err
	}
	msgs := v.Messages
	et := v.ErrorType
	if v.Value != nil {
		msgs = v.Value.Messages
		et = strings.ToUpper(strings.TrimPrefix(v.Type, "com.vmware.vapi.std.errors."))
	}
	if et == "" || len(msgs) == 0 {
		return vapiError{}, errors.New("not a vAPI error body")
	}
	out := vapiError{ErrorType: et}
	for _, m := range msgs {
		out.IDs = append(out.IDs, m.ID)
	}
	return out, nil
}

// expectVAPIError checks that rec carries a vAPI error of errorType whose
// messages include the id wantID.
func expectVAPIError(t testing.TB, rec *httptest.ResponseRecorder, errorType, wantID string) {
	t.Helper()
	got, err := decodeVAPIError(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if got.ErrorType != errorType || !slices.Contains(got.IDs, wantID) {
		t.Fatalf("error %+v, want %s with message %s", got, errorType, wantID)
	}
}
