// Package relaytest holds the test doubles of the redirect tests of
// packages signer and client: an attacker's server that records whatever
// credentials reach it, and a "real" server that redirects to it. It is
// for tests only.
package relaytest

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
)

// Stolen is what an attacker's server received in one request.
type Stolen struct {
	Method, Host, Path string
	Auth, SessionID    string
	Cookie             string
	Body               string
}

// Credentials reports whether s carries anything a server would accept.
func (s Stolen) Credentials() bool {
	return s.Auth != "" || s.SessionID != "" || s.Cookie != "" || strings.Contains(s.Body, `"signature"`)
}

// AttackerServer records every request it gets and answers 201, as a relay
// that logged in with what it received would. The server is closed when
// the test ends; the function returns what it received so far.
func AttackerServer(t *testing.T) (*httptest.Server, func() []Stolen) {
	t.Helper()
	var mu sync.Mutex
	var got []Stolen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		mu.Lock()
		got = append(got, Stolen{Method: r.Method, Host: r.Host, Path: r.URL.Path, Auth: r.Header.Get("Authorization"),
			SessionID: r.Header.Get(vapisec.HeaderSessionID), Cookie: r.Header.Get("Cookie"), Body: string(b)})
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []Stolen {
		mu.Lock()
		defer mu.Unlock()
		return append([]Stolen(nil), got...)
	}
}

// RedirectHandler is a "real" server that answers a login on the legacy
// session path with a session id and cookie (or, with redirectLogin, a 307
// to target) and every other request with a 307 to target + the request's
// path.
func RedirectHandler(target string, redirectLogin bool) http.Handler {
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

// OnHost rewrites u's host name, keeping its port.
func OnHost(t *testing.T, u, host string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.Host = host + ":" + p.Port()
	return p.String()
}

// ExpectRefused fails the test unless err matches sentinel (the package's
// ErrCrossHostRedirect) and names the hosts of both from and to.
func ExpectRefused(t *testing.T, err, sentinel error, from, to string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
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

// ExpectNothingStolen fails the test if the attacker received any request.
func ExpectNothingStolen(t *testing.T, got []Stolen) {
	t.Helper()
	for _, s := range got {
		if s.Credentials() {
			t.Errorf("attacker received credentials: %s %s%s auth=%.60q session=%q cookie=%q body=%.80q",
				s.Method, s.Host, s.Path, s.Auth, s.SessionID, s.Cookie, s.Body)
		}
	}
	if len(got) != 0 {
		t.Errorf("attacker received %d requests, want none", len(got))
	}
}
