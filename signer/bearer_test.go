package signer_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/vapisec/vapisec/internal/relaytest"
	"github.com/vapisec/vapisec/signer"
)

// countingSource hands out "tok-1", "tok-2", … so a test sees every call.
type countingSource struct{ n atomic.Int32 }

func (s *countingSource) Token() (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", s.n.Add(1)), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}, nil
}

type errSource struct{}

func (errSource) Token() (*oauth2.Token, error) { return nil, errors.New("idp down") }

func TestBearerToken(t *testing.T) {
	future := time.Now().Add(time.Hour)
	tests := []struct {
		name        string
		givenSource oauth2.TokenSource
		expectToken string
		expectErr   string // "" for none; else part of the message
	}{
		{name: "ok, bearer", givenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "eyJ.a-b_c~d+e/f==", TokenType: "Bearer", Expiry: future}), expectToken: "eyJ.a-b_c~d+e/f=="},
		{name: "ok, empty type counts as bearer, no expiry", givenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "abc"}), expectToken: "abc"},
		{name: "ok, lower-case type", givenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "abc", TokenType: "bearer"}), expectToken: "abc"},
		{name: "nok, nil source", givenSource: nil, expectErr: "nil token source"},
		{name: "nok, source error", givenSource: errSource{}, expectErr: "idp down"},
		{name: "nok, nil token", givenSource: oauth2.StaticTokenSource(nil), expectErr: "empty access token"},
		{name: "nok, empty token", givenSource: oauth2.StaticTokenSource(&oauth2.Token{}), expectErr: "empty access token"},
		{name: "nok, MAC token", givenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "abc", TokenType: "MAC"}), expectErr: "not Bearer"},
		{name: "nok, expired", givenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "abc", Expiry: time.Now().Add(-time.Minute)}), expectErr: "expired"},
		{name: "nok, header splitting", givenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "abc\r\nX-Admin: 1"}), expectErr: "b64token"},
		{name: "nok, second value", givenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "abc, Basic YTpi"}), expectErr: "b64token"},
		{name: "nok, padding in the middle", givenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ab=c"}), expectErr: "b64token"},
		{name: "nok, only padding", givenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "=="}), expectErr: "b64token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := signer.BearerToken(tt.givenSource)
			if tt.expectErr == "" {
				if err != nil || got != tt.expectToken {
					t.Fatalf("got %q, %v; want %q", got, err, tt.expectToken)
				}
				return
			}
			if !errors.Is(err, signer.ErrTokenSource) || !strings.Contains(err.Error(), tt.expectErr) || got != "" {
				t.Fatalf("got %q, %v; want ErrTokenSource with %q", got, err, tt.expectErr)
			}
		})
	}
}

// TestTransportBearer: every request the JSON-RPC signer does not sign
// carries the source's current token, so a refreshing source keeps the
// requests authenticated.
func TestTransportBearer(t *testing.T) {
	srv, got := recordingServer(t)
	src := &countingSource{}
	client := &http.Client{Transport: &signer.Transport{TokenSource: src}}
	for range 2 {
		res, err := client.Post(srv.URL+"/api/vcenter/vm", "application/json", strings.NewReader(`{"spec":{}}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	g := got()
	if len(g) != 2 || g[0].auth != "Bearer tok-1" || g[1].auth != "Bearer tok-2" || string(g[1].body) != `{"spec":{}}` {
		t.Fatalf("server got %+v", g)
	}
}

// TestTransportBearerSourceErrorSendsNothing: a failing source fails the
// request with ErrTokenSource; nothing reaches the server, not even a
// request without credentials.
func TestTransportBearerSourceErrorSendsNothing(t *testing.T) {
	srv, got := recordingServer(t)
	for _, tr := range []*signer.Transport{
		{TokenSource: errSource{}},
		{TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "old", Expiry: time.Now().Add(-time.Second)})},
	} {
		res, err := (&http.Client{Transport: tr}).Get(srv.URL + "/api/vcenter/vm")
		if err == nil {
			res.Body.Close()
		}
		if !errors.Is(err, signer.ErrTokenSource) {
			t.Errorf("error %v, want ErrTokenSource", err)
		}
	}
	if g := got(); len(g) != 0 {
		t.Fatalf("server got %+v", g)
	}
}

func TestTransportRejectsHeaderAndTokenSource(t *testing.T) {
	key := keyFor(t, signer.RS256)
	token, _ := hokToken(t, key)
	hs, err := signer.NewHeaderSigner(key, token)
	if err != nil {
		t.Fatal(err)
	}
	srv, got := recordingServer(t)
	res, err := (&http.Client{Transport: &signer.Transport{Header: hs, TokenSource: &countingSource{}}}).Get(srv.URL)
	if err == nil {
		res.Body.Close()
	}
	if !errors.Is(err, signer.ErrInvalidOption) || len(got()) != 0 {
		t.Fatalf("error %v, server got %d requests", err, len(got()))
	}
}

// TestTransportDoesNotSendBearerTokenAcrossRedirect: a 307 to another
// origin would hand the attacker a live access token, usable against every
// resource server of its audience until it expires; http.Client itself
// copies Authorization to another port of the same host name and to
// https → http.
func TestTransportDoesNotSendBearerTokenAcrossRedirect(t *testing.T) {
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
			var base http.RoundTripper
			if tt.givenTLS {
				real = httptest.NewTLSServer(relaytest.RedirectHandler(target, true))
				base = real.Client().Transport
			} else {
				real = httptest.NewServer(relaytest.RedirectHandler(target, true))
			}
			defer real.Close()
			client := &http.Client{Transport: &signer.Transport{Base: base, TokenSource: &countingSource{}}}
			res, err := client.Get(real.URL + "/api/vcenter/vm")
			if err == nil {
				res.Body.Close()
			}
			relaytest.ExpectRefused(t, err, signer.ErrCrossHostRedirect, real.URL, target)
			relaytest.ExpectNothingStolen(t, got())
		})
	}
}
