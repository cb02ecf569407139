package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/client"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/signer"
)

// stolen is what an attacker's server received in one request.
type stolen struct {
	method, host, path string
	auth, sessionID    string
	cookie             string
	body               string
}

// credentials reports whether s carries anything a server would accept.
func (s stolen) credentials() bool {
	return s.auth != "" || s.sessionID != "" || s.cookie != "" || strings.Contains(s.body, `"signature"`)
}

// attackerServer records every request it gets and answers 201, as a
// relay that logged in with what it received would.
func attackerServer(t *testing.T) (*httptest.Server, func() []stolen) {
	t.Helper()
	var mu sync.Mutex
	var got []stolen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		mu.Lock()
		got = append(got, stolen{method: r.Method, host: r.Host, path: r.URL.Path, auth: r.Header.Get("Authorization"),
			sessionID: r.Header.Get(vapisec.HeaderSessionID), cookie: r.Header.Get("Cookie"), body: string(b)})
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []stolen {
		mu.Lock()
		defer mu.Unlock()
		return append([]stolen(nil), got...)
	}
}

// redirectHandler is a "real" server that answers a login on the legacy
// session path with a session id and cookie (or, with redirectLogin, a 307
// to target) and every other request with a 307 to target + the request's
// path.
func redirectHandler(target string, redirectLogin bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == vapisec.LegacySessionPath && !redirectLogin {
			switch r.Method {
			case http.MethodPost:
				http.SetCookie(w, &http.Cookie{Name: "vmware-api-session-id", Value: "real-session-cookie", Path: "/"})
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, `{"value":"real-session-id"}`)
			default:
				w.WriteHeader(http.StatusOK)
			}
			return
		}
		http.Redirect(w, r, target+r.URL.Path, http.StatusTemporaryRedirect)
	})
}

// onHost rewrites u's host name, keeping its port.
func onHost(t *testing.T, u, host string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.Host = host + ":" + p.Port()
	return p.String()
}

func expectRefused(t *testing.T, err error, from, to string) {
	t.Helper()
	if !errors.Is(err, client.ErrCrossHostRedirect) {
		t.Errorf("error %v, want ErrCrossHostRedirect", err)
		return
	}
	for _, o := range []string{from, to} {
		u, _ := url.Parse(o)
		if !strings.Contains(err.Error(), u.Host) {
			t.Errorf("error %q does not name %s", err, u.Host)
		}
	}
}

func expectNothingStolen(t *testing.T, got []stolen) {
	t.Helper()
	for _, s := range got {
		if s.credentials() {
			t.Errorf("attacker received credentials: %s %s%s auth=%.60q session=%q cookie=%q body=%.80q",
				s.method, s.host, s.path, s.auth, s.sessionID, s.cookie, s.body)
		}
	}
	if len(got) != 0 {
		t.Errorf("attacker received %d requests, want none", len(got))
	}
}

// TestClientDoesNotSendSessionIDAcrossRedirect: the session client's
// http.Client copies the vmware-api-session-id header (and, to another port
// of the same host name, Authorization) to whatever host a 307 names, so a
// redirect hands the attacker a usable session or the login credentials.
func TestClientDoesNotSendSessionIDAcrossRedirect(t *testing.T) {
	key := rsaKey(t)
	token, _ := hokToken(t, key)
	hs, err := signer.NewHeaderSigner(key, token)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		givenHost     string
		givenLogin    client.Option
		givenRedirect string // "call", "login" or "jar" (a call by a client with a cookie jar)
	}{
		{name: "nok, session cookie from the jar, other port", givenHost: "127.0.0.1", givenLogin: client.WithBasicAuth("alice@vsphere.local", "s3cret"), givenRedirect: "jar"},
		{name: "nok, session id on a call, other host name", givenHost: "localhost", givenLogin: client.WithBasicAuth("alice@vsphere.local", "s3cret"), givenRedirect: "call"},
		{name: "nok, session id on a call, other port", givenHost: "127.0.0.1", givenLogin: client.WithBasicAuth("alice@vsphere.local", "s3cret"), givenRedirect: "call"},
		{name: "nok, Basic login, other port", givenHost: "127.0.0.1", givenLogin: client.WithBasicAuth("alice@vsphere.local", "s3cret"), givenRedirect: "login"},
		{name: "nok, SIGN login, other port", givenHost: "127.0.0.1", givenLogin: client.WithTokenLogin(hs), givenRedirect: "login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attacker, got := attackerServer(t)
			target := onHost(t, attacker.URL, tt.givenHost)
			var realURL string
			if tt.givenRedirect == "call" {
				ts := newTestServer(t, time.Minute, middleware.ErrorsConfig{}, func(e *echo.Echo) {
					e.GET("/api/vcenter/moved", func(c echo.Context) error {
						return c.Redirect(http.StatusTemporaryRedirect, target+"/api/vcenter/vm")
					})
				})
				realURL = ts.url
			} else {
				real := httptest.NewServer(redirectHandler(target, tt.givenRedirect == "login"))
				defer real.Close()
				realURL = real.URL
			}
			hc := &http.Client{}
			if tt.givenRedirect == "jar" {
				jar, err := cookiejar.New(nil)
				if err != nil {
					t.Fatal(err)
				}
				hc.Jar = jar
			}
			c, err := client.New(realURL, tt.givenLogin, client.WithKeepAlive(0), client.WithHTTPClient(hc))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			req, _ := c.NewRequest(context.Background(), http.MethodGet, "/api/vcenter/moved", nil)
			res, err := c.Do(req)
			if err == nil {
				res.Body.Close()
			}
			expectRefused(t, err, realURL, target)
			if tt.givenRedirect != "login" && c.SessionID() == "" {
				t.Error("the login itself failed; the redirect was not reached")
			}
			g := got()
			expectNothingStolen(t, g)
			for _, s := range g {
				if s.sessionID == "" || tt.givenRedirect != "call" {
					continue
				}
				// What the attacker can do with it: call the real server.
				relay, _ := http.NewRequest(http.MethodGet, realURL+"/api/vcenter/vm", nil)
				relay.Header.Set(vapisec.HeaderSessionID, s.sessionID)
				if res, err := http.DefaultClient.Do(relay); err == nil {
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					t.Errorf("relayed session id: HTTP %d %q", res.StatusCode, b)
				}
			}
		})
	}
}

// TestNoCredentialsOnHTTPSToHTTPRedirect: an https server (or a tampered
// response) redirects to plain http on the same host name, where anyone on
// the path reads the credentials; http.Client strips nothing there.
func TestNoCredentialsOnHTTPSToHTTPRedirect(t *testing.T) {
	tests := []struct {
		name          string
		givenRedirect string // what is redirected: "call" or "login" (the Transport's case is in package signer)
	}{
		{name: "nok, session client, session id on a call", givenRedirect: "call"},
		{name: "nok, session client, Basic login", givenRedirect: "login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attacker, got := attackerServer(t)
			real := httptest.NewTLSServer(redirectHandler(attacker.URL, tt.givenRedirect == "login"))
			defer real.Close()
			if !strings.HasPrefix(real.URL, "https://127.0.0.1:") || !strings.HasPrefix(attacker.URL, "http://127.0.0.1:") {
				t.Fatalf("servers %s, %s", real.URL, attacker.URL)
			}
			c, err := client.New(real.URL, client.WithBasicAuth("alice@vsphere.local", "s3cret"),
				client.WithHTTPClient(real.Client()), client.WithKeepAlive(0))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			req, _ := c.NewRequest(context.Background(), http.MethodGet, "/api/vcenter/vm", nil)
			res, err := c.Do(req)
			if err == nil {
				res.Body.Close()
			}
			expectRefused(t, err, real.URL, attacker.URL)
			if err != nil && !strings.Contains(err.Error(), "https to http") {
				t.Errorf("error %q does not say https to http", err)
			}
			expectNothingStolen(t, got())
		})
	}
}

// TestClientFollowsSameHostRedirect: the session client follows a
// redirect within the origin, sending the session id there.
func TestClientFollowsSameHostRedirect(t *testing.T) {
	ts := newTestServer(t, time.Minute, middleware.ErrorsConfig{}, func(e *echo.Echo) {
		e.GET("/api/vcenter/moved", func(c echo.Context) error {
			return c.Redirect(http.StatusTemporaryRedirect, "/api/vcenter/vm")
		})
	})
	c := newClient(t, ts, client.WithKeepAlive(0))
	if code, body := get(t, c, "/api/vcenter/moved"); code != http.StatusOK || body != "alice@vsphere.local" {
		t.Fatalf("%d %q", code, body)
	}
}

// TestClientResignsTokenLoginOnSameHostRedirect: http.Client copies
// the SIGN login header, signed for the first URL, to the redirect hop;
// the session client signs it again for the hop's URL.
func TestClientResignsTokenLoginOnSameHostRedirect(t *testing.T) {
	key := rsaKey(t)
	token, cert := hokToken(t, key)
	hs, err := signer.NewHeaderSigner(key, token)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == vapisec.LegacySessionPath {
			http.Redirect(w, r, "/login2", http.StatusTemporaryRedirect)
			return
		}
		mu.Lock()
		auth = append(auth, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"value":"sid"}`)
	}))
	defer srv.Close()
	c, err := client.New(srv.URL, client.WithTokenLogin(hs), client.WithKeepAlive(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auth) != 1 || !strings.HasPrefix(auth[0], "POST /login2 SIGN ") {
		t.Fatalf("server got %q", auth)
	}
	h, err := parser.ParseSignValue(strings.TrimPrefix(auth[0], "POST /login2 "))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login2", nil)
	verifySIGN(t, h, req, nil, cert.PublicKey)
}
