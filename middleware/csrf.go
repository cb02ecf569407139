package middleware

import (
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
)

// errCrossSite is the internal cause of a refused cross-site request.
var errCrossSite = errors.New("middleware: cross-site request authenticated by the session cookie")

// CSRFConfig configures the CSRF middleware.
type CSRFConfig struct {
	// Skipper defines a function to skip the middleware.
	// Default value DefaultSkipper.
	Skipper Skipper

	// TrustedOrigins are origins ("https://ui.example.com") besides the
	// request's own whose cookie-authenticated requests are accepted.
	// Default value: none.
	TrustedOrigins []string

	// Errors says how failures are written.
	// Default value: see ErrorsConfig.
	Errors ErrorsConfig
}

// CSRF returns the CSRF middleware with the default configuration; see
// CSRFConfig.ToMiddleware.
func CSRF() echo.MiddlewareFunc { return CSRFWithConfig(CSRFConfig{}) }

// CSRFWithConfig returns a CSRF middleware with config. It panics on a
// configuration error.
func CSRFWithConfig(config CSRFConfig) echo.MiddlewareFunc {
	return toMiddlewareOrPanic(config.ToMiddleware())
}

// ToMiddleware returns the CSRF middleware. Put it after the Session
// middleware. It refuses, with 403 UNAUTHORIZED, requests with an unsafe
// method (anything but GET, HEAD, OPTIONS, TRACE) that the session cookie
// authenticated, without the vmware-api-session-id header, unless the
// browser says they come from the same origin: Sec-Fetch-Site "same-origin"
// or "none" (typed by the user), or, without Sec-Fetch-Site, an Origin equal
// to the request's own scheme://host or one of TrustedOrigins. A request
// with neither header is refused too. Requests authenticated by the header,
// by Authorization, or not at all pass unchanged: a cross-site page cannot
// set those headers.
func (config CSRFConfig) ToMiddleware() (echo.MiddlewareFunc, error) {
	g := config.guard()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if refused, err := g.check(c); refused {
				return err
			}
			return next(c)
		}
	}, nil
}

// guard returns the check of the CSRF middleware, built once; Chain runs it
// inside the Session middleware (one closure less per request: Echo
// applies route middleware on every request).
func (config CSRFConfig) guard() *csrfGuard {
	skip := config.Skipper
	if skip == nil {
		skip = DefaultSkipper
	}
	return &csrfGuard{skip: skip, trusted: slices.Clone(config.TrustedOrigins), errors: config.Errors.withDefaults()}
}

// csrfGuard is the CSRF middleware's state and check.
type csrfGuard struct {
	skip    Skipper
	trusted []string
	errors  ErrorsConfig
}

// check reports whether the request is refused, with the error that wrote
// the refusal.
func (g *csrfGuard) check(c echo.Context) (refused bool, err error) {
	if g.skip(c) || !cookieOnly(c) || safeMethod(c.Request().Method) || sameOrigin(c, g.trusted) {
		return false, nil
	}
	return true, g.errors.forbidden(c, "Cross-site requests authenticated by the session cookie are not allowed.", errCrossSite)
}

// cookieOnly reports whether the request was authenticated by the session
// cookie without the session header.
func cookieOnly(c echo.Context) bool {
	// stateOf, not SecurityContextFrom: no anonymous context is allocated
	// for the requests that are not authenticated.
	st := stateOf(c)
	return st != nil && st.sc.Authenticated && st.sc.Source == vapisec.SourceCookie && c.Request().Header.Get(parser.SessionIDName) == ""
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// sameOrigin applies Sec-Fetch-Site, then Origin.
func sameOrigin(c echo.Context, trusted []string) bool {
	req := c.Request()
	if site := req.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	origin := req.Header.Get(echo.HeaderOrigin)
	if origin == "" || origin == "null" {
		return false
	}
	return origin == c.Scheme()+"://"+req.Host || slices.Contains(trusted, origin)
}
