package conformance_test

import (
	"crypto"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/conformance"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

const (
	testUser     = "alice@vsphere.local"
	testPassword = "s3cret:with-colon"
	testIdle     = time.Second
)

// signingMaterial is what "serve --dev-dir" writes: an STS key pair the
// server trusts and a holder-of-key key pair, built in-process.
type signingMaterial struct {
	stsKey  crypto.Signer
	stsCert *x509.Certificate
	hokKey  crypto.Signer
	hokCert *x509.Certificate
}

// testMaterial is built once per test binary (RSA key generation is slow).
var testMaterial = sync.OnceValues(func() (*signingMaterial, error) {
	now := time.Now()
	m := &signingMaterial{}
	var err error
	if m.stsKey, m.stsCert, err = sts.GenerateKeyPair("conformance test STS", now.Add(-time.Hour), now.Add(24*time.Hour)); err != nil {
		return nil, err
	}
	if m.hokKey, m.hokCert, err = sts.GenerateKeyPair("conformance test user", now.Add(-time.Hour), now.Add(24*time.Hour)); err != nil {
		return nil, err
	}
	return m, nil
})

// signingOptions give a runner the STS and HoK material the test server
// trusts.
func signingOptions(t testing.TB) []conformance.Option {
	t.Helper()
	m, err := testMaterial()
	if err != nil {
		t.Fatal(err)
	}
	return []conformance.Option{conformance.WithSTS(m.stsKey, m.stsCert), conformance.WithHoK(m.hokKey, m.hokCert)}
}

// testOAuthIssuerURL is the OAuth issuer the test server trusts.
const testOAuthIssuerURL = "https://idp.conformance.test/oauth2"

// testOAuthIssuer signs access tokens with testMaterial's STS key (RSA):
// the test server trusts its JWKS, given as a document.
func testOAuthIssuer() (*sts.AccessTokenIssuer, error) {
	m, err := testMaterial()
	if err != nil {
		return nil, err
	}
	return sts.NewAccessTokenIssuer(m.stsKey, testOAuthIssuerURL, nil)
}

// oauthOptions give a runner the OAuth key, issuer and audience the test
// server trusts.
func oauthOptions(t testing.TB) []conformance.Option {
	t.Helper()
	oi, err := testOAuthIssuer()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := testMaterial()
	return []conformance.Option{conformance.WithOAuthKey(m.stsKey, oi.KeyID(), testOAuthIssuerURL, sts.DefaultAccessTokenAudience)}
}

// vapisecHandler builds an in-process vapisec server like "vapisec serve
// --dev": the session endpoints, the extensions, the whoami route and the
// JSON-RPC endpoint. With hosts (the host:port the server listens on) it
// also verifies SAML-signed requests, trusting testMaterial's STS, SIGN
// headers only for those hosts; without, SAML is off.
func vapisecHandler(hosts ...string) (http.Handler, error) {
	store, err := session.NewMemoryStore()
	if err != nil {
		return nil, err
	}
	manager, err := session.NewManager(store, session.WithIdleTimeout(testIdle))
	if err != nil {
		return nil, err
	}
	users, err := middleware.NewStaticUsers(map[string]string{testUser: testPassword})
	if err != nil {
		return nil, err
	}
	cfg := middleware.Config{Manager: manager, Authenticator: users, Cookie: middleware.CookieConfig{InsecureNoSecureFlag: true}}
	oi, err := testOAuthIssuer()
	if err != nil {
		return nil, err
	}
	if cfg.AccessTokenVerifier, err = verifier.NewAccessTokenVerifier(verifier.WithAccessTokenIssuer(testOAuthIssuerURL),
		verifier.WithAccessTokenAudiences(sts.DefaultAccessTokenAudience), verifier.WithJWKS(oi.JWKS())); err != nil {
		return nil, err
	}
	if len(hosts) > 0 {
		m, err := testMaterial()
		if err != nil {
			return nil, err
		}
		tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(m.stsCert))
		if err != nil {
			return nil, err
		}
		if cfg.RequestVerifier, err = verifier.NewRequestVerifier(tv, verifier.WithAllowedHosts(hosts...)); err != nil {
			return nil, err
		}
	}
	e := echo.New()
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		return nil, err
	}
	if err := middleware.MountSOAP(e, cfg); err != nil {
		return nil, err
	}
	chain, err := middleware.Chain(cfg)
	if err != nil {
		return nil, err
	}
	e.GET("/api/vapisec/whoami", func(c echo.Context) error {
		return c.JSON(http.StatusOK, middleware.SecurityContextFrom(c))
	}, append(chain, middleware.Require())...)
	jsonrpc, err := middleware.JSONRPCSessionService(cfg, nil)
	if err != nil {
		return nil, err
	}
	e.POST(vapisec.JSONRPCPath, jsonrpc, append(chain, middleware.AllowAnonymous())...)
	return e, nil
}

// newVapisecServer starts vapisecHandler on a loopback port, verifying SIGN
// headers for that host:port (and extraHosts, where "{port}" stands for
// the port); wrap, when not nil, sits in front of it (the deliberately
// broken servers).
func newVapisecServer(t testing.TB, wrap func(http.Handler) http.Handler, extraHosts ...string) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	host, port, _ := net.SplitHostPort(addr)
	// The bare host for a verifier that compares the host alone, host:port
	// for one that compares both.
	hosts := []string{host, addr}
	for _, h := range extraHosts {
		hosts = append(hosts, strings.ReplaceAll(h, "{port}", port))
	}
	h, err := vapisecHandler(hosts...)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	if wrap != nil {
		h = wrap(h)
	}
	ts := httptest.NewUnstartedServer(h)
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}
