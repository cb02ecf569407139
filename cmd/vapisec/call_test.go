package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

func TestCallCmd(t *testing.T) {
	store, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(store)
	if err != nil {
		t.Fatal(err)
	}
	users, err := middleware.NewStaticUsers(map[string]string{"alice@vsphere.local": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := middleware.Config{Manager: m, Authenticator: users}
	e := echo.New()
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		t.Fatal(err)
	}
	chain, err := middleware.Chain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.POST("/api/echo", func(c echo.Context) error {
		b, _ := io.ReadAll(c.Request().Body)
		return c.String(http.StatusOK, middleware.SecurityContextFrom(c).Principal.String()+" "+string(b))
	}, append(chain, middleware.Require())...)
	srv := httptest.NewServer(e)
	defer srv.Close()

	tests := []struct {
		name         string
		givenArgs    []string
		givenStdin   string
		expectCode   int
		expectStdout string
		expectStderr string
	}{
		{name: "ok, basic login, body from stdin", givenArgs: []string{"call", "--url", srv.URL + "/api/echo", "--user", "alice@vsphere.local:pw", "--method", "POST", "--data", "-"}, givenStdin: `{"x":1}`, expectStdout: `alice@vsphere.local {"x":1}`},
		{name: "ok, /api session", givenArgs: []string{"call", "--api-session", "--url", srv.URL + "/api/session", "--user", "alice@vsphere.local:pw"}, expectStdout: `"user":"VSPHERE.LOCAL\\alice"`},
		{name: "nok, wrong password", givenArgs: []string{"call", "--url", srv.URL + "/api/echo", "--user", "alice@vsphere.local:no"}, expectCode: 1, expectStderr: "login failed"},
		{name: "nok, HTTP error status", givenArgs: []string{"call", "--url", srv.URL + "/api/nowhere", "--user", "alice@vsphere.local:pw"}, expectCode: 1, expectStderr: "HTTP 404"},
		{name: "nok, user without password separator", givenArgs: []string{"call", "--url", srv.URL, "--user", "alice"}, expectCode: 2, expectStderr: "NAME:PASSWORD"},
		{name: "nok, no URL", givenArgs: []string{"call", "--user", "a:b"}, expectCode: 2, expectStderr: "--url"},
		{name: "nok, user and token", givenArgs: []string{"call", "--url", srv.URL, "--user", "a:b", "--token", "t.xml"}, expectCode: 2, expectStderr: "exclude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.givenArgs, strings.NewReader(tt.givenStdin), &stdout, &stderr)
			if code != tt.expectCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.expectCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.expectStdout) {
				t.Errorf("stdout %q does not contain %q", stdout.String(), tt.expectStdout)
			}
			if !strings.Contains(stderr.String(), tt.expectStderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.expectStderr)
			}
		})
	}
}
