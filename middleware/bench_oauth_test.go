package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
)

// BenchmarkOAuthMiddleware compares a bare Echo handler receiving a
// Bearer request with the same handler behind the chain's OAuth
// middleware and a cached access token (ns/op, allocs/op): what the
// "OAuth, cached token" row of "vapisec bench" costs without HTTP.
func BenchmarkOAuthMiddleware(b *testing.B) {
	env := newOAuthEnv(b)
	chain, err := middleware.Chain(middleware.Config{Manager: env.manager, AccessTokenVerifier: mustVerifierOf(b, env)})
	if err != nil {
		b.Fatal(err)
	}
	ok := func(c echo.Context) error { return c.NoContent(http.StatusOK) }
	env.e.GET("/bench/bare", ok)
	env.e.GET("/bench/oauth", ok, append(chain, middleware.Require(vapisec.SchemeOAuth))...)
	tok := env.token(b)
	for _, path := range []string{"/bench/bare", "/bench/oauth"} {
		b.Run(path[len("/bench/"):], func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			serve(b, env.e, req)
		})
	}
}
