// Package demoserver is the in-process server the client, plugin-backend and
// multi-instance examples run against: the wiring of examples/server (session
// endpoints, middleware.Chain, GET /api/example/hello) on a session store of
// the caller's choice, without the printing. Read examples/server for the
// wiring explained; this package only saves the other examples from repeating
// it.
//
// WithSigning adds the SAML scheme on a development STS of its own (package
// sts), for examples/client's signed requests; WithOAuth the OAuth scheme
// on a development access-token issuer of its own, for its bearer requests.
package demoserver

import (
	"context"
	"crypto"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// User and Password are the one user of the server.
const (
	User     = "alice@vsphere.local"
	Password = "secret"
)

// HelloPath is the server's REST route: 200 {"hello":"<principal>"} for any
// authenticated caller.
const HelloPath = "/api/example/hello"

// Server is a running demo server.
type Server struct {
	srv     *http.Server
	ln      net.Listener
	errc    chan error
	signing *Signing
	oauth   *sts.AccessTokenIssuer
}

// Signing is what a server started WithSigning hands its in-process clients:
// a holder-of-key key pair's private key and a SAML holder-of-key token for
// User confirmed by its certificate, issued by the server's own STS.
type Signing struct {
	// Key is the holder-of-key private key.
	Key crypto.Signer
	// Token is the token XML (sts.STS.Issue).
	Token []byte
}

// Option configures Start.
type Option func(*options)

type options struct{ signing, oauth bool }

// WithSigning makes the server accept SAML-signed requests: it starts a
// development STS (package sts) with a fresh key, trusts its certificate
// (verifier.WithTrustedCertificates), allows the SIGN scheme for the host and
// port it listens on (verifier.WithAllowedHosts), sets the RequestVerifier of
// its middleware.Config, and issues one holder-of-key token for User, which
// Server.Signing returns. Default: no SAML scheme, Basic and sessions only.
//
// WARNING: the STS signs a token for anyone who calls it; it is for examples
// and tests only.
func WithSigning() Option { return func(o *options) { o.signing = true } }

// OAuthIssuer is the issuer URL of the development access tokens of a
// server started WithOAuth.
const OAuthIssuer = "https://idp.example.invalid/oauth2"

// WithOAuth makes the server accept OAuth 2.0 access tokens (Authorization:
// Bearer, and as a login on the session endpoints): it makes a development
// access-token issuer (sts.NewAccessTokenIssuer) signing with the STS key
// of WithSigning, else a fresh RSA key, and sets the AccessTokenVerifier of
// its middleware.Config to trust exactly that issuer, the audience sts.DefaultAccessTokenAudience and the
// issuer's JWKS (verifier.WithJWKS: no key fetch). Server.OAuth returns the
// issuer. Default: no OAuth scheme.
//
// WARNING: the issuer signs a token for anyone who calls it; it is for
// examples and tests only.
func WithOAuth() Option { return func(o *options) { o.oauth = true } }

// Start serves the demo server on addr ("127.0.0.1:0" picks a free port)
// with its sessions in store.
func Start(addr string, store session.Store, opts ...Option) (_ *Server, err error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	manager, err := session.NewManager(store)
	if err != nil {
		return nil, err
	}
	users, err := middleware.NewStaticUsers(map[string]string{User: Password})
	if err != nil {
		return nil, err
	}
	// Listen first: the SIGN scheme needs the host and port it is served on.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = ln.Close()
		}
	}()
	// WARNING: InsecureNoSecureFlag only because the examples run on
	// http://127.0.0.1.
	cfg := middleware.Config{Manager: manager, Authenticator: users,
		Cookie: middleware.CookieConfig{InsecureNoSecureFlag: true}}
	var signing *Signing
	var stsKey crypto.Signer
	if o.signing {
		if cfg.RequestVerifier, signing, stsKey, err = newSigning(ln.Addr().String()); err != nil {
			return nil, err
		}
	}
	var oauth *sts.AccessTokenIssuer
	if o.oauth {
		// The STS key, when there is one, signs the access tokens too (as
		// serve --dev does): one RSA key generation less.
		if cfg.AccessTokenVerifier, oauth, err = newOAuth(stsKey); err != nil {
			return nil, err
		}
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Logger.SetOutput(io.Discard)
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		return nil, err
	}
	chain, err := middleware.Chain(cfg)
	if err != nil {
		return nil, err
	}
	e.GET(HelloPath, func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"hello": middleware.SecurityContextFrom(c).Principal.String()})
	}, append(chain, middleware.Require())...)

	s := &Server{srv: &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}, ln: ln, errc: make(chan error, 1), signing: signing, oauth: oauth}
	go func() { s.errc <- s.srv.Serve(ln) }()
	return s, nil
}

// newSigning starts a development STS, builds the request verifier that
// trusts it for SIGN requests to host (host:port as listened on) and issues
// a holder-of-key token for User.
func newSigning(host string) (*verifier.RequestVerifier, *Signing, crypto.Signer, error) {
	now := time.Now()
	from, to := now.Add(-time.Hour), now.Add(24*time.Hour)
	stsKey, stsCert, err := sts.GenerateKeyPair("demoserver STS", from, to)
	if err != nil {
		return nil, nil, nil, err
	}
	hokKey, hokCert, err := sts.GenerateKeyPair("demoserver user", from, to)
	if err != nil {
		return nil, nil, nil, err
	}
	issuer, err := sts.New(stsKey, stsCert)
	if err != nil {
		return nil, nil, nil, err
	}
	token, err := issuer.Issue(sts.IssueRequest{Subject: User, HoKCertificate: hokCert, Lifetime: time.Hour})
	if err != nil {
		return nil, nil, nil, err
	}
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(stsCert))
	if err != nil {
		return nil, nil, nil, err
	}
	rv, err := verifier.NewRequestVerifier(tv, verifier.WithAllowedHosts(host))
	if err != nil {
		return nil, nil, nil, err
	}
	return rv, &Signing{Key: hokKey, Token: token}, stsKey, nil
}

// newOAuth makes a development access-token issuer signing with key (a
// fresh RSA key when nil) and the verifier that trusts it.
func newOAuth(key crypto.Signer) (*verifier.AccessTokenVerifier, *sts.AccessTokenIssuer, error) {
	if key == nil {
		var err error
		if key, _, err = sts.GenerateKeyPair("demoserver OAuth issuer", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)); err != nil {
			return nil, nil, err
		}
	}
	issuer, err := sts.NewAccessTokenIssuer(key, OAuthIssuer, nil)
	if err != nil {
		return nil, nil, err
	}
	v, err := verifier.NewAccessTokenVerifier(verifier.WithAccessTokenIssuer(OAuthIssuer),
		verifier.WithAccessTokenAudiences(sts.DefaultAccessTokenAudience), verifier.WithJWKS(issuer.JWKS()))
	if err != nil {
		return nil, nil, err
	}
	return v, issuer, nil
}

// OAuth returns the access-token issuer of a server started WithOAuth, nil
// for one started without.
func (s *Server) OAuth() *sts.AccessTokenIssuer { return s.oauth }

// Signing returns the holder-of-key key and token of a server started
// WithSigning, nil for one started without.
func (s *Server) Signing() *Signing { return s.signing }

// URL is the server's base URL, http://host:port.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close shuts the server down.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-s.errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
