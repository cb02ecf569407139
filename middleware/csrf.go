package middleware

import (
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
)

// errCrossSite is the internal cause of a refused cross-site request.
var errCrossSite = errors.New("middleware: cross-site request authenticated by the session cookie")

// errCrossSiteBasic is the internal cause of a refused cross-site request
// that carried Basic credentials (which browsers cache and attach to
// cross-site requests as they do cookies).
var errCrossSiteBasic = errors.New("middleware: cross-site request authenticated by Basic credentials")

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

// DefaultCSRFConfig is the default CSRF middleware configuration.
var DefaultCSRFConfig = CSRFConfig{
	Skipper: DefaultSkipper,
}

// CSRF returns a CSRF middleware with the default configuration. Put it
// after the Session middleware (Chain runs the same check inside its Session
// middleware). It refuses, with 403 UNAUTHORIZED, requests with an unsafe
// method (anything but GET, HEAD, OPTIONS, TRACE) that the session cookie
// authenticated, without the vmware-api-session-id header, unless the
// browser says they come from the same origin: Sec-Fetch-Site "same-origin"
// or "none" (typed by the user), or, without Sec-Fetch-Site, an Origin equal
// to the request's own scheme://host or one of TrustedOrigins. A request
// with neither header is refused too. Requests authenticated by the header,
// by Authorization, or not at all pass unchanged: a cross-site page cannot
// set those headers.
//
// Basic credentials are ambient too (browsers cache them and attach them to
// cross-site form posts), so an unsafe request that Basic authenticated is
// refused when the browser says it is cross-site: Sec-Fetch-Site other than
// "same-origin" or "none", or, without Sec-Fetch-Site, an Origin that is
// "null" or neither the request's own nor one of TrustedOrigins. Unlike the
// cookie, a Basic request with neither header passes: that is what
// non-browser clients send. The Basic middleware applies the same rule
// itself, before it checks the password.
//
// It panics on a configuration error; use CSRFConfig.ToMiddleware to get
// the error instead.
func CSRF() echo.MiddlewareFunc { return CSRFWithConfig(DefaultCSRFConfig) }

// CSRFWithConfig returns a CSRF middleware with config; see CSRF. It panics
// on a configuration error.
func CSRFWithConfig(config CSRFConfig) echo.MiddlewareFunc {
	return toMiddlewareOrPanic(config.ToMiddleware())
}

// ToMiddleware returns the CSRF middleware (see CSRF), or an error when the
// configuration is not usable.
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
		skip = DefaultCSRFConfig.Skipper
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
	if g.skip(c) || safeMethod(c.Request().Method) {
		return false, nil
	}
	if basicOnly(c) {
		return g.checkBasic(c)
	}
	if !cookieOnly(c) || sameOrigin(c, g.trusted) {
		return false, nil
	}
	return true, g.errors.forbidden(c, "Cross-site requests authenticated by the session cookie are not allowed.", errCrossSite)
}

// checkBasic is the rule for a request carrying Basic credentials: an
// unsafe request the browser marks as cross-site is refused; one without
// Sec-Fetch-Site and Origin (a non-browser client) passes.
func (g *csrfGuard) checkBasic(c echo.Context) (refused bool, err error) {
	if g.skip(c) || safeMethod(c.Request().Method) || !crossSite(c, g.trusted) {
		return false, nil
	}
	return true, g.errors.forbidden(c, "Cross-site requests authenticated by Basic credentials are not allowed.", errCrossSiteBasic)
}

// basicOnly reports whether the request was authenticated by Basic
// credentials (user name and password in Authorization).
func basicOnly(c echo.Context) bool {
	st := stateOf(c)
	return st != nil && st.sc.Authenticated && st.sc.Scheme == vapisec.SchemeUserPass && st.sc.Source == vapisec.SourceAuthorization
}

// cookieOnly reports whether the request was authenticated by the session
// cookie without the session header.
func cookieOnly(c echo.Context) bool {
	// stateOf, not SecurityContextFrom: no anonymous context is allocated
	// for the requests that are not authenticated.
	st := stateOf(c)
	return st != nil && st.sc.Authenticated && st.sc.Source == vapisec.SourceCookie && c.Request().Header.Get(vapisec.HeaderSessionID) == ""
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// crossSite reports whether the browser says the request comes from another
// origin: Sec-Fetch-Site other than "same-origin" or "none", or, without
// Sec-Fetch-Site, an Origin that is "null" or neither the request's own nor
// trusted. A request with neither header (a non-browser client) is not.
func crossSite(c echo.Context, trusted []string) bool {
	req := c.Request()
	if req.Header.Get("Sec-Fetch-Site") == "" && req.Header.Get(echo.HeaderOrigin) == "" {
		return false
	}
	return !sameOrigin(c, trusted)
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
