package bench

import (
	"context"
	"crypto/rsa"
	"fmt"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// OAuth 2.0 access tokens (issue 18): the bars of the issue are
//
//   - "OAuth, cached token": an OAuth request ≥ 0.95 of bare Echo
//     receiving the same request (a server scenario, oauthScenarios);
//   - "OAuth, cold token (cache off)": ≤ 1.2 × one RS256 verification of
//     the same token with golang-jwt alone — parse, registered claims
//     (exp, iss, aud) and signature — measured side by side (a ratio).

const (
	benchOAuthIssuer   = "https://idp.bench.invalid/oauth2/default"
	benchOAuthAudience = sts.DefaultAccessTokenAudience
	// benchOAuthColdBar and benchOAuthCachedBar are the issue's bars.
	benchOAuthColdBar   = 1.2
	benchOAuthCachedBar = benchThroughputBar
)

// benchOAuth is the key material of the OAuth rows: a development issuer
// (RSA-2048, RS256) and one access token it issued.
type benchOAuth struct {
	issuer *sts.AccessTokenIssuer
	pub    *rsa.PublicKey
	token  string
}

func newBenchOAuth() (*benchOAuth, error) {
	key, _, err := sts.GenerateKeyPair("vapisec bench OAuth issuer", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		return nil, err
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("bench: OAuth key is %T, not RSA", key)
	}
	iss, err := sts.NewAccessTokenIssuer(rk, benchOAuthIssuer, nil)
	if err != nil {
		return nil, err
	}
	tok, err := iss.Issue(sts.AccessTokenRequest{Subject: "bench@vsphere.local", Groups: []string{"Administrators"}, Lifetime: time.Hour})
	if err != nil {
		return nil, err
	}
	return &benchOAuth{issuer: iss, pub: &rk.PublicKey, token: tok}, nil
}

// verifier returns an AccessTokenVerifier trusting the issuer's JWKS
// (given as a document: no fetch), with cacheSize entries (0: no cache).
func (b *benchOAuth) verifier(cacheSize int) (*verifier.AccessTokenVerifier, error) {
	return verifier.NewAccessTokenVerifier(verifier.WithAccessTokenIssuer(benchOAuthIssuer),
		verifier.WithAccessTokenAudiences(benchOAuthAudience), verifier.WithJWKS(b.issuer.JWKS()),
		verifier.WithAccessTokenCacheSize(cacheSize))
}

// oauthColdRatio measures AccessTokenVerifier.Verify with the cache off
// against golang-jwt's Parse of the same token with the same public key,
// the algorithm pinned and exp, iss and aud checked: the floor of any
// local JWT verification.
func oauthColdRatio(d time.Duration, b *benchOAuth) (RatioResult, error) {
	ctx := context.Background()
	cold, err := b.verifier(0)
	if err != nil {
		return RatioResult{}, err
	}
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(benchOAuthIssuer),
		jwt.WithAudience(benchOAuthAudience), jwt.WithExpirationRequired())
	keyFunc := func(*jwt.Token) (any, error) { return b.pub, nil }
	floor, ours, err := sideBySide(d, 8,
		func(n int) error {
			for range n {
				if _, err := parser.Parse(b.token, keyFunc); err != nil {
					return err
				}
			}
			return nil
		},
		func(n int) error {
			for range n {
				if _, err := cold.Verify(ctx, b.token); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return RatioResult{}, err
	}
	return costRatio("OAuth, cold token (cache off) / one RS256 jwt.Parse", floor, ours, benchOAuthColdBar,
		fmt.Sprintf("%v vs %v per token", ours, floor)), nil
}

// oauthScenarios are the OAuth servers: the same handler behind the chain
// with an AccessTokenVerifier (cache on, the default size), and bare Echo
// receiving the same Authorization: Bearer request.
func oauthScenarios(newEcho func() *echo.Echo, ok echo.HandlerFunc) ([]scenario, error) {
	b, err := newBenchOAuth()
	if err != nil {
		return nil, err
	}
	v, err := b.verifier(verifier.DefaultAccessTokenCacheSize)
	if err != nil {
		return nil, err
	}
	manager, err := newMemoryManager()
	if err != nil {
		return nil, err
	}
	chain, err := middleware.Chain(middleware.Config{Manager: manager, AccessTokenVerifier: v})
	if err != nil {
		return nil, err
	}
	secured := newEcho()
	secured.GET("/bench", ok, append(chain, middleware.Require(vapisec.SchemeOAuth))...)
	bare := newEcho()
	bare.GET("/bench", ok)
	req := func(base string, _ int) (*http.Request, error) {
		r, err := http.NewRequest(http.MethodGet, base+"/bench", nil)
		if err == nil {
			r.Header.Set("Authorization", "Bearer "+b.token)
		}
		return r, err
	}
	return []scenario{
		{name: "bare, bearer request", handler: bare, newRequest: req},
		{name: "OAuth, cached token", handler: secured, newRequest: req, baseline: "bare, bearer request", bar: benchOAuthCachedBar},
	}, nil
}
