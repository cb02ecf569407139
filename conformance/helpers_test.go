package conformance_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

const (
	testUser     = "alice@vsphere.local"
	testPassword = "s3cret:with-colon"
	testIdle     = time.Second
)

// vapisecHandler builds an in-process vapisec server like "vapisec serve
// --dev": the session endpoints, the extensions and the whoami route.
func vapisecHandler() (http.Handler, error) {
	manager, err := session.NewManager(session.NewMemoryStore(), session.WithIdleTimeout(testIdle))
	if err != nil {
		return nil, err
	}
	users, err := middleware.NewStaticUsers(map[string]string{testUser: testPassword})
	if err != nil {
		return nil, err
	}
	cfg := middleware.Config{Manager: manager, Authenticator: users, Cookie: middleware.CookieConfig{InsecureNoSecureFlag: true}}
	e := echo.New()
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		return nil, err
	}
	chain, err := middleware.Chain(cfg)
	if err != nil {
		return nil, err
	}
	e.GET("/api/vapisec/whoami", func(c echo.Context) error {
		return c.JSON(http.StatusOK, middleware.SecurityContextFrom(c))
	}, append(chain, middleware.Require())...)
	return e, nil
}

// newVapisecServer starts vapisecHandler; wrap, when not nil, sits in front
// of it (the deliberately broken servers).
func newVapisecServer(t testing.TB, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	h, err := vapisecHandler()
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}
