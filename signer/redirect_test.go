package signer_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/internal/relaytest"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/signer"
)

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
			attacker, got := relaytest.AttackerServer(t)
			target := relaytest.OnHost(t, attacker.URL, tt.givenHost)
			real := httptest.NewServer(relaytest.RedirectHandler(target, true))
			defer real.Close()
			tr := tt.givenSigners
			client := &http.Client{Transport: &tr}
			res, err := client.Post(real.URL+tt.givenPath, "application/json", strings.NewReader(tt.givenBody))
			if err == nil {
				res.Body.Close()
			}
			relaytest.ExpectRefused(t, err, signer.ErrCrossHostRedirect, real.URL, target)
			relaytest.ExpectNothingStolen(t, got())
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
			attacker, got := relaytest.AttackerServer(t)
			real := httptest.NewTLSServer(relaytest.RedirectHandler(attacker.URL, tt.givenRedirect == "login"))
			defer real.Close()
			if !strings.HasPrefix(real.URL, "https://127.0.0.1:") || !strings.HasPrefix(attacker.URL, "http://127.0.0.1:") {
				t.Fatalf("servers %s, %s", real.URL, attacker.URL)
			}
			client := &http.Client{Transport: &signer.Transport{Base: real.Client().Transport, Header: hs}}
			res, err := client.Get(real.URL + "/api/vcenter/vm")
			if err == nil {
				res.Body.Close()
			}
			relaytest.ExpectRefused(t, err, signer.ErrCrossHostRedirect, real.URL, attacker.URL)
			if err != nil && !strings.Contains(err.Error(), "https to http") {
				t.Errorf("error %q does not say https to http", err)
			}
			relaytest.ExpectNothingStolen(t, got())
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
			attacker, got := relaytest.AttackerServer(t)
			real := httptest.NewServer(relaytest.RedirectHandler(relaytest.OnHost(t, attacker.URL, tt.givenHost), true))
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
			if (g[0].Auth != "") != tt.expectAuth || (g[0].SessionID != "") != tt.expectSessID {
				t.Errorf("attacker got Authorization %q, session id %q", g[0].Auth, g[0].SessionID)
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
