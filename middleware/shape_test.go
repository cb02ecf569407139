package middleware_test

import (
	"errors"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

// TestConfigShape: every middleware's ToMiddleware returns its
// configuration error, XxxWithConfig panics with that error, and a
// configuration holding only the required fields (the rest filled from
// DefaultXxxConfig) builds.
func TestConfigShape(t *testing.T) {
	store, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(store)
	if err != nil {
		t.Fatal(err)
	}
	users, err := middleware.NewStaticUsers(map[string]string{"bob": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	type shape struct {
		toMiddleware func() (echo.MiddlewareFunc, error)
		withConfig   func() echo.MiddlewareFunc
	}
	tests := []struct {
		name      string
		givenBad  shape
		givenGood shape
		expectErr error
	}{
		{name: "Session", expectErr: middleware.ErrNoManager,
			givenBad:  shape{middleware.SessionConfig{}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.SessionWithConfig(middleware.SessionConfig{}) }},
			givenGood: shape{middleware.SessionConfig{Manager: m}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.Session(m) }}},
		{name: "Basic", expectErr: middleware.ErrNoAuthenticator,
			givenBad:  shape{middleware.BasicConfig{}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.BasicWithConfig(middleware.BasicConfig{}) }},
			givenGood: shape{middleware.BasicConfig{Authenticator: users}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.Basic(users) }}},
		{name: "SAML", expectErr: middleware.ErrNoVerifier,
			givenBad: shape{middleware.SAMLConfig{}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.SAMLWithConfig(middleware.SAMLConfig{}) }}},
		{name: "OAuth", expectErr: middleware.ErrNoAccessTokenVerifier,
			givenBad: shape{middleware.OAuthConfig{}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.OAuthWithConfig(middleware.OAuthConfig{}) }}},
		{name: "Require", expectErr: middleware.ErrInvalidConfig,
			givenBad:  shape{middleware.RequireConfig{Schemes: []vapisec.SchemeID{"nope"}}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.Require("nope") }},
			givenGood: shape{middleware.RequireConfig{}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.Require() }}},
		{name: "CSRF",
			givenGood: shape{middleware.CSRFConfig{}.ToMiddleware, middleware.CSRF}},
		{name: "ChannelBasic, no manager", expectErr: middleware.ErrNoManager,
			givenBad: shape{middleware.ChannelBasicConfig{Channel: "c"}.ToMiddleware, func() echo.MiddlewareFunc {
				return middleware.ChannelBasicWithConfig(middleware.ChannelBasicConfig{Channel: "c"})
			}},
			givenGood: shape{middleware.ChannelBasicConfig{Manager: m, Channel: "c"}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.ChannelBasic(m, "c") }}},
		{name: "ChannelBasic, no channel", expectErr: middleware.ErrInvalidConfig,
			givenBad: shape{middleware.ChannelBasicConfig{Manager: m}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.ChannelBasic(m, "") }}},
		{name: "Handoff", expectErr: middleware.ErrNoManager,
			givenBad:  shape{middleware.HandoffConfig{}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.HandoffWithConfig(middleware.HandoffConfig{}) }},
			givenGood: shape{middleware.HandoffConfig{Manager: m}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.Handoff(m) }}},
		{name: "CloneTicket", expectErr: middleware.ErrNoManager,
			givenBad:  shape{middleware.CloneTicketConfig{}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.CloneTicketWithConfig(middleware.CloneTicketConfig{}) }},
			givenGood: shape{middleware.CloneTicketConfig{Manager: m}.ToMiddleware, func() echo.MiddlewareFunc { return middleware.CloneTicket(m) }}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.givenBad.toMiddleware != nil {
				if _, err := tt.givenBad.toMiddleware(); !errors.Is(err, tt.expectErr) {
					t.Fatalf("ToMiddleware error %v, want %v", err, tt.expectErr)
				}
				func() {
					defer func() {
						err, _ := recover().(error)
						if !errors.Is(err, tt.expectErr) {
							t.Fatalf("WithConfig panicked with %v, want %v", err, tt.expectErr)
						}
					}()
					tt.givenBad.withConfig()
				}()
			}
			if tt.givenGood.toMiddleware != nil {
				if mw, err := tt.givenGood.toMiddleware(); err != nil || mw == nil {
					t.Fatalf("ToMiddleware of the required fields: %v", err)
				}
				if mw := tt.givenGood.withConfig(); mw == nil {
					t.Fatal("constructor returned nil")
				}
			}
		})
	}
}
