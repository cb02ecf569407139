package client_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/client"
	"github.com/vapisec/vapisec/internal/relaytest"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/signer"
)

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
			attacker, got := relaytest.AttackerServer(t)
			target := relaytest.OnHost(t, attacker.URL, tt.givenHost)
			var realURL string
			if tt.givenRedirect == "call" {
				ts := newTestServer(t, time.Minute, middleware.ErrorsConfig{}, func(e *echo.Echo) {
					e.GET("/api/vcenter/moved", func(c echo.Context) error {
						return c.Redirect(http.StatusTemporaryRedirect, target+"/api/vcenter/vm")
					})
				})
				realURL = ts.url
			} else {
				real := httptest.NewServer(relaytest.RedirectHandler(target, tt.givenRedirect == "login"))
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
			relaytest.ExpectRefused(t, err, client.ErrCrossHostRedirect, realURL, target)
			if tt.givenRedirect != "login" && c.SessionID() == "" {
				t.Error("the login itself failed; the redirect was not reached")
			}
			g := got()
			relaytest.ExpectNothingStolen(t, g)
			for _, s := range g {
				if s.SessionID == "" || tt.givenRedirect != "call" {
					continue
				}
				// What the attacker can do with it: call the real server.
				relay, _ := http.NewRequest(http.MethodGet, realURL+"/api/vcenter/vm", nil)
				relay.Header.Set(vapisec.HeaderSessionID, s.SessionID)
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
			attacker, got := relaytest.AttackerServer(t)
			real := httptest.NewTLSServer(relaytest.RedirectHandler(attacker.URL, tt.givenRedirect == "login"))
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
			relaytest.ExpectRefused(t, err, client.ErrCrossHostRedirect, real.URL, attacker.URL)
			if err != nil && !strings.Contains(err.Error(), "https to http") {
				t.Errorf("error %q does not say https to http", err)
			}
			relaytest.ExpectNothingStolen(t, got())
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
