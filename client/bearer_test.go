package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/client"
	"github.com/vapisec/vapisec/internal/relaytest"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/signer"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// countingSource hands out "tok-1", "tok-2", … so a test sees every call.
type countingSource struct{ n atomic.Int32 }

func (s *countingSource) Token() (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", s.n.Add(1)), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}, nil
}

type errSource struct{}

func (errSource) Token() (*oauth2.Token, error) { return nil, errors.New("idp down") }

// bearerServer accepts a login with any "Bearer tok-N" and hands out
// session "s-N"; a protected path answers 200 for the current session
// and 401 once the test expired it.
type bearerServer struct {
	*httptest.Server
	mu      sync.Mutex
	logins  []string // Authorization of each login
	calls   []string // Authorization + session id of each other request
	current string
}

func newBearerServer(t *testing.T) *bearerServer {
	bs := &bearerServer{}
	bs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bs.mu.Lock()
		defer bs.mu.Unlock()
		if r.URL.Path == vapisec.LegacySessionPath && r.Method == http.MethodPost {
			auth := r.Header.Get("Authorization")
			bs.logins = append(bs.logins, auth)
			tok, ok := strings.CutPrefix(auth, "Bearer tok-")
			if !ok {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			bs.current = "s-" + tok
			w.WriteHeader(http.StatusCreated)
			_, _ = fmt.Fprintf(w, `{"value":%q}`, bs.current)
			return
		}
		sid := r.Header.Get(vapisec.HeaderSessionID)
		bs.calls = append(bs.calls, r.Header.Get("Authorization")+"|"+sid)
		if sid == "" || sid != bs.current {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(bs.Close)
	return bs
}

// TestTokenSourceLogin: the login carries "Authorization: Bearer" from the
// source, the calls only the session id, and a re-login after the session
// is gone asks the source again (a refreshed token).
func TestTokenSourceLogin(t *testing.T) {
	bs := newBearerServer(t)
	c, err := client.New(bs.URL, client.WithTokenSource(&countingSource{}), client.WithKeepAlive(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	call := func() {
		t.Helper()
		req, _ := c.NewRequest(context.Background(), http.MethodGet, "/api/vcenter/vm", nil)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d", res.StatusCode)
		}
	}
	call()
	bs.mu.Lock()
	bs.current = "gone" // the server forgot the session
	bs.mu.Unlock()
	call()
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if want := []string{"Bearer tok-1", "Bearer tok-2"}; fmt.Sprint(bs.logins) != fmt.Sprint(want) {
		t.Errorf("logins %q, want %q", bs.logins, want)
	}
	if want := []string{"|s-1", "|s-1", "|s-2"}; fmt.Sprint(bs.calls) != fmt.Sprint(want) {
		t.Errorf("calls %q, want %q (no bearer token on calls)", bs.calls, want)
	}
}

// TestTokenSourceErrorSendsNoLogin: a source that fails, or hands out an
// expired or non-Bearer token, fails the login with ErrLogin and
// signer.ErrTokenSource before any request reaches the server.
func TestTokenSourceErrorSendsNoLogin(t *testing.T) {
	tests := []struct {
		name        string
		givenSource oauth2.TokenSource
		expectMsg   string
	}{
		{name: "nok, source error", givenSource: errSource{}, expectMsg: "idp down"},
		{name: "nok, expired token", givenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok-1", Expiry: time.Now().Add(-time.Minute)}), expectMsg: "expired"},
		{name: "nok, MAC token", givenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "tok-1", TokenType: "MAC"}), expectMsg: "not Bearer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bs := newBearerServer(t)
			c, err := client.New(bs.URL, client.WithTokenSource(tt.givenSource), client.WithKeepAlive(0))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			req, _ := c.NewRequest(context.Background(), http.MethodGet, "/api/vcenter/vm", nil)
			res, err := c.Do(req)
			if err == nil {
				res.Body.Close()
			}
			if !errors.Is(err, client.ErrLogin) || !errors.Is(err, signer.ErrTokenSource) || !strings.Contains(err.Error(), tt.expectMsg) {
				t.Errorf("error %v, want ErrLogin and ErrTokenSource with %q", err, tt.expectMsg)
			}
			bs.mu.Lock()
			defer bs.mu.Unlock()
			if len(bs.logins)+len(bs.calls) != 0 {
				t.Errorf("server got logins %q, calls %q", bs.logins, bs.calls)
			}
		})
	}
}

func TestNewRejectsTwoLogins(t *testing.T) {
	for _, opts := range [][]client.Option{
		{client.WithBasicAuth("a", "b"), client.WithTokenSource(&countingSource{})},
		{client.WithTokenSource(nil)},
	} {
		if c, err := client.New("https://vc", opts...); c != nil || !errors.Is(err, client.ErrInvalidOption) {
			t.Errorf("New: %v, want ErrInvalidOption", err)
		}
	}
}

// TestClientDoesNotSendBearerTokenAcrossRedirect: the login is answered by
// a 307 to another origin; http.Client would copy "Authorization: Bearer"
// there (to another port of the same host name, or https → http), handing
// the attacker a live access token for every resource server of its
// audience.
func TestClientDoesNotSendBearerTokenAcrossRedirect(t *testing.T) {
	tests := []struct {
		name      string
		givenHost string
		givenTLS  bool
	}{
		{name: "nok, other port of the same host name", givenHost: "127.0.0.1"},
		{name: "nok, other host name", givenHost: "localhost"},
		{name: "nok, https to http", givenHost: "127.0.0.1", givenTLS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attacker, got := relaytest.AttackerServer(t)
			target := relaytest.OnHost(t, attacker.URL, tt.givenHost)
			var real *httptest.Server
			hc := &http.Client{}
			if tt.givenTLS {
				real = httptest.NewTLSServer(relaytest.RedirectHandler(target, true))
				hc = real.Client()
			} else {
				real = httptest.NewServer(relaytest.RedirectHandler(target, true))
			}
			defer real.Close()
			c, err := client.New(real.URL, client.WithTokenSource(&countingSource{}), client.WithHTTPClient(hc), client.WithKeepAlive(0))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close(context.Background())
			err = c.Login(context.Background())
			relaytest.ExpectRefused(t, err, client.ErrCrossHostRedirect, real.URL, target)
			relaytest.ExpectNothingStolen(t, got())
		})
	}
}

// TestTokenSourceLoginAgainstVapisec: against a real vapisec server (the
// chain with an AccessTokenVerifier trusting a development issuer), the
// token source's token logs in on both session resources and the calls run
// in the session as the token's subject; a token the server refuses is
// ErrLogin with the server's reason.
func TestTokenSourceLoginAgainstVapisec(t *testing.T) {
	iss, err := sts.NewAccessTokenIssuer(rsaKey(t), "https://idp.example.test", nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := verifier.NewAccessTokenVerifier(verifier.WithAccessTokenIssuer("https://idp.example.test"),
		verifier.WithAccessTokenAudiences(sts.DefaultAccessTokenAudience), verifier.WithJWKS(iss.JWKS()))
	if err != nil {
		t.Fatal(err)
	}
	store, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(store)
	if err != nil {
		t.Fatal(err)
	}
	cfg := middleware.Config{Manager: m, AccessTokenVerifier: v}
	e := echo.New()
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		t.Fatal(err)
	}
	chain, err := middleware.Chain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.GET("/api/vcenter/vm", func(c echo.Context) error {
		sc := middleware.SecurityContextFrom(c)
		return c.String(http.StatusOK, string(sc.Scheme)+" "+sc.Principal.String())
	}, append(chain, middleware.Require())...)
	srv := httptest.NewServer(e)
	defer srv.Close()
	src := tokenSourceFunc(func() (*oauth2.Token, error) {
		tok, err := iss.Issue(sts.AccessTokenRequest{Subject: "carol@vsphere.local"})
		return &oauth2.Token{AccessToken: tok, TokenType: "Bearer"}, err
	})
	for _, style := range []client.SessionStyle{client.LegacySession, client.APISession} {
		c, err := client.New(srv.URL, client.WithTokenSource(src), client.WithSessionStyle(style), client.WithKeepAlive(0))
		if err != nil {
			t.Fatal(err)
		}
		if code, body := get(t, c, "/api/vcenter/vm"); code != http.StatusOK || body != "com.vmware.vapi.std.security.session_id carol@vsphere.local" {
			t.Errorf("style %d: %d %q", style, code, body)
		}
		if err := c.Close(context.Background()); err != nil {
			t.Errorf("style %d: logout: %v", style, err)
		}
	}
	forged := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJyb290In0."})
	c, err := client.New(srv.URL, client.WithTokenSource(forged), client.WithKeepAlive(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if err := c.Login(context.Background()); !errors.Is(err, client.ErrLogin) || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("forged token: %v, want ErrLogin with HTTP 401", err)
	}
}

type tokenSourceFunc func() (*oauth2.Token, error)

func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }
