package signer_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/vapisec/vapisec"
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
	if !errors.Is(err, signer.ErrCrossHostRedirect) {
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

// TestTransportDoesNotSignRedirectToAnotherHost: a server (or whoever can
// make it answer) sends a 307 to the attacker's host; the Transport would
// sign the hop for that host, and the attacker could relay the fresh SIGN
// header (or signed JSON-RPC body) to the real server.
func TestTransportDoesNotSignRedirectToAnotherHost(t *testing.T) {
	key := keyFor(t, signer.RS256)
	token, _ := hokToken(t, key)
	hs, err := signer.NewHeaderSigner(key, token)
	if err != nil {
		t.Fatal(err)
	}
	js, err := signer.NewJSONRPCSigner(key, token)
	if err != nil {
		t.Fatal(err)
	}
	rpc := `{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"serviceId":"s","operationId":"o","ctx":{}}}`
	tests := []struct {
		name         string
		givenHost    string // host name the attacker is reached by
		givenPath    string
		givenBody    string
		givenSigners signer.Transport
	}{
		{name: "nok, SIGN header, other port of the same host name", givenHost: "127.0.0.1", givenPath: "/api/session", givenSigners: signer.Transport{Header: hs}},
		{name: "nok, SIGN header, other host name", givenHost: "localhost", givenPath: "/api/vcenter/vm", givenBody: `{"spec":{}}`, givenSigners: signer.Transport{Header: hs}},
		{name: "nok, signed JSON-RPC body", givenHost: "localhost", givenPath: "/api", givenBody: rpc, givenSigners: signer.Transport{JSONRPC: js, Header: hs}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attacker, got := attackerServer(t)
			target := onHost(t, attacker.URL, tt.givenHost)
			real := httptest.NewServer(redirectHandler(target, true))
			defer real.Close()
			tr := tt.givenSigners
			client := &http.Client{Transport: &tr}
			res, err := client.Post(real.URL+tt.givenPath, "application/json", strings.NewReader(tt.givenBody))
			if err == nil {
				res.Body.Close()
			}
			expectRefused(t, err, real.URL, target)
			expectNothingStolen(t, got())
		})
	}
}

// TestNoCredentialsOnHTTPSToHTTPRedirect: an https server (or a tampered
// response) redirects to plain http on the same host name, where anyone on
// the path reads the credentials; http.Client strips nothing there.
func TestNoCredentialsOnHTTPSToHTTPRedirect(t *testing.T) {
	key := keyFor(t, signer.RS256)
	token, _ := hokToken(t, key)
	hs, err := signer.NewHeaderSigner(key, token)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		givenRedirect string // what is redirected: "transport" (the session client's cases are in package client)
	}{
		{name: "nok, Transport SIGN header", givenRedirect: "transport"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attacker, got := attackerServer(t)
			real := httptest.NewTLSServer(redirectHandler(attacker.URL, tt.givenRedirect == "login"))
			defer real.Close()
			if !strings.HasPrefix(real.URL, "https://127.0.0.1:") || !strings.HasPrefix(attacker.URL, "http://127.0.0.1:") {
				t.Fatalf("servers %s, %s", real.URL, attacker.URL)
			}
			client := &http.Client{Transport: &signer.Transport{Base: real.Client().Transport, Header: hs}}
			res, err := client.Get(real.URL + "/api/vcenter/vm")
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

// TestHTTPClientForwardsCredentialsAcrossRedirect pins the premise of the
// redirect checks: a plain http.Client copies vmware-api-session-id to any
// host, and Authorization to another port of the same host name; it drops
// Authorization only for another host name.
func TestHTTPClientForwardsCredentialsAcrossRedirect(t *testing.T) {
	tests := []struct {
		name         string
		givenHost    string
		expectAuth   bool
		expectSessID bool
	}{
		{name: "other port of the same host name", givenHost: "127.0.0.1", expectAuth: true, expectSessID: true},
		{name: "other host name", givenHost: "localhost", expectAuth: false, expectSessID: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attacker, got := attackerServer(t)
			real := httptest.NewServer(redirectHandler(onHost(t, attacker.URL, tt.givenHost), true))
			defer real.Close()
			req, _ := http.NewRequest(http.MethodGet, real.URL+"/x", nil)
			req.SetBasicAuth("alice", "s3cret")
			req.Header.Set(vapisec.HeaderSessionID, "sid")
			res, err := (&http.Client{}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			g := got()
			if len(g) != 1 {
				t.Fatalf("attacker got %d requests", len(g))
			}
			if (g[0].auth != "") != tt.expectAuth || (g[0].sessionID != "") != tt.expectSessID {
				t.Errorf("attacker got Authorization %q, session id %q", g[0].auth, g[0].sessionID)
			}
		})
	}
}

// roundTripperFunc is a RoundTripper made of a function.
type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTransportSignsSameHostRedirectForItsURL: a redirect within the origin
// is followed, and the hop is signed for its own URL, also through a Base
// that does not set Response.Request.
func TestTransportSignsSameHostRedirectForItsURL(t *testing.T) {
	key := keyFor(t, signer.RS256)
	token, cert := hokToken(t, key)
	hs, err := signer.NewHeaderSigner(key, token)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		givenBase http.RoundTripper
	}{
		{name: "ok, default base"},
		{name: "ok, base without Response.Request", givenBase: roundTripperFunc(func(r *http.Request) (*http.Response, error) {
			res, err := http.DefaultTransport.RoundTrip(r)
			if res != nil {
				res.Request = nil
			}
			return res, err
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var reqs []received
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/old" {
					http.Redirect(w, r, "/new", http.StatusTemporaryRedirect)
					return
				}
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				reqs = append(reqs, received{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization"), body: b})
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			}))
			defer srv.Close()
			client := &http.Client{Transport: &signer.Transport{Base: tt.givenBase, Header: hs}}
			res, err := client.Post(srv.URL+"/old", "application/json", strings.NewReader(`{"a":1}`))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			if len(reqs) != 1 || reqs[0].path != "/new" || string(reqs[0].body) != `{"a":1}` {
				t.Fatalf("server got %+v", reqs)
			}
			h, err := parser.ParseSignValue(reqs[0].auth)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/new", nil)
			verifySIGN(t, h, req, reqs[0].body, cert.PublicKey)
		})
	}
}
