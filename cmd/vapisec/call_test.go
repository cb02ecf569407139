package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
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

// TestCallCmdBearer: --bearer and --bearer-file log in with
// "Authorization: Bearer"; the call itself carries only the session id.
func TestCallCmdBearer(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization")+"|"+r.Header.Get(vapisec.HeaderSessionID))
		mu.Unlock()
		switch {
		case r.URL.Path == vapisec.LegacySessionPath && r.Method == http.MethodPost:
			if r.Header.Get("Authorization") != "Bearer eyJhbGciOi.J9.sig" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"value":"sid-1"}`)
		case r.URL.Path == vapisec.LegacySessionPath:
			w.WriteHeader(http.StatusOK)
		case r.Header.Get(vapisec.HeaderSessionID) == "sid-1":
			_, _ = io.WriteString(w, "hello")
		default:
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	tokFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokFile, []byte("eyJhbGciOi.J9.sig\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		givenArgs    []string
		givenStdin   string
		expectCode   int
		expectStdout string
		expectStderr string
		expectSeen   []string
	}{
		{name: "ok, --bearer", givenArgs: []string{"call", "--url", srv.URL + "/api/x", "--bearer", "eyJhbGciOi.J9.sig"}, expectStdout: "hello",
			expectSeen: []string{"POST /rest/com/vmware/cis/session Bearer eyJhbGciOi.J9.sig|", "GET /api/x |sid-1", "DELETE /rest/com/vmware/cis/session |sid-1"}},
		{name: "ok, --bearer-file", givenArgs: []string{"call", "--url", srv.URL + "/api/x", "--bearer-file", tokFile}, expectStdout: "hello"},
		{name: "ok, --bearer-file from stdin", givenArgs: []string{"call", "--url", srv.URL + "/api/x", "--bearer-file", "-"}, givenStdin: " eyJhbGciOi.J9.sig\r\n", expectStdout: "hello"},
		{name: "nok, refused token", givenArgs: []string{"call", "--url", srv.URL + "/api/x", "--bearer", "other"}, expectCode: 1, expectStderr: "login failed: HTTP 401"},
		{name: "nok, token with a space sends nothing", givenArgs: []string{"call", "--url", srv.URL + "/api/x", "--bearer", "a b"}, expectCode: 2, expectStderr: "b64token", expectSeen: []string{}},
		{name: "nok, --bearer and --user", givenArgs: []string{"call", "--url", srv.URL, "--bearer", "a", "--user", "a:b"}, expectCode: 2, expectStderr: "exclude"},
		{name: "nok, --bearer and --bearer-file", givenArgs: []string{"call", "--url", srv.URL, "--bearer", "a", "--bearer-file", tokFile}, expectCode: 2, expectStderr: "exclude"},
		{name: "nok, two readers of stdin", givenArgs: []string{"call", "--url", srv.URL, "--bearer-file", "-", "--data", "-"}, expectCode: 2, expectStderr: "stdin"},
		{name: "nok, missing file", givenArgs: []string{"call", "--url", srv.URL, "--bearer-file", filepath.Join(dir, "nope")}, expectCode: 1, expectStderr: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
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
			mu.Lock()
			defer mu.Unlock()
			if tt.expectSeen != nil && strings.Join(seen, "\n") != strings.Join(tt.expectSeen, "\n") {
				t.Errorf("server saw\n%s\nwant\n%s", strings.Join(seen, "\n"), strings.Join(tt.expectSeen, "\n"))
			}
		})
	}
}

// TestCallCmdBearerAgainstServeDev: "vapisec call --bearer-file" with a
// token of "vapisec oauth token" logs in to serve --dev (its development
// issuer), calls whoami within the session as the token's subject, and
// logs out; a token signed for another issuer is a failed login.
func TestCallCmdBearerAgainstServeDev(t *testing.T) {
	dir := t.TempDir()
	ts := newDevServer(t, serveOptions{dev: true, devDir: dir})
	token := func(issuer string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run([]string{"oauth", "token", "--key", filepath.Join(dir, "sts.key.pem"), "--issuer", issuer, "--subject", "carol@vsphere.local"}, nil, &out, &errOut); code != 0 {
			t.Fatalf("oauth token: exit %d %s", code, errOut.String())
		}
		f := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(f, out.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"call", "--url", ts.URL + "/api/vapisec/whoami", "--bearer-file", token(ts.URL + "/vapisec/oauth")}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), `"scheme":"com.vmware.vapi.std.security.session_id"`) || !strings.Contains(out.String(), `"name":"carol"`) {
		t.Errorf("whoami in the bearer session: %s", out.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"call", "--url", ts.URL + "/api/vapisec/whoami", "--bearer-file", token("https://other-issuer.invalid")}, nil, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "login failed: HTTP 401") {
		t.Errorf("token of another issuer: exit %d, stderr %s", code, errOut.String())
	}
}
