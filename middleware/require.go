package middleware

import (
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
)

// RequireConfig configures the Require middleware: the scheme policy of a
// route (spec §5.4).
type RequireConfig struct {
	// Skipper defines a function to skip the middleware.
	// Default value DefaultSkipper.
	Skipper Skipper

	// Schemes lists the schemes the route accepts. Default value: empty,
	// which accepts every authenticated request whatever its scheme.
	Schemes []vapisec.SchemeID

	// AllowAnonymous lets unauthenticated requests through (they see an
	// anonymous SecurityContext). A request that carried a credential was
	// already decided by the scheme middleware: an invalid credential is a
	// 401 even on an anonymous route.
	// Default value false.
	AllowAnonymous bool

	// Policy, when set, decides per request (e.g. per JSON-RPC operation)
	// which schemes are accepted and whether anonymous access is allowed; it
	// overrides Schemes and AllowAnonymous.
	// Default value nil.
	Policy func(c echo.Context) (schemes []vapisec.SchemeID, allowAnonymous bool)

	// Errors says how failures are written.
	// Default value: the ErrorsConfig of the scheme middleware that ran
	// before on the request (so the challenges list every enabled login
	// scheme), else see ErrorsConfig.
	Errors ErrorsConfig
}

// DefaultRequireConfig is the default Require configuration: any
// authenticated request.
var DefaultRequireConfig = RequireConfig{
	Skipper: DefaultSkipper,
}

// Require returns a middleware that lets a request through only when the
// scheme middleware authenticated it with one of schemes (any scheme when
// none are given). Anonymous requests get 401 with reason "missing"; a
// request authenticated with another scheme gets 401 with reason
// "scheme_not_allowed" and the message vapi.security.authentication.scheme.
//
// It panics on a configuration error (an unknown scheme id); use
// RequireConfig.ToMiddleware to get the error instead.
func Require(schemes ...vapisec.SchemeID) echo.MiddlewareFunc {
	c := DefaultRequireConfig
	c.Schemes = schemes
	return RequireWithConfig(c)
}

// AllowAnonymous returns a Require middleware for an anonymous route: every
// request passes, authenticated or not.
func AllowAnonymous() echo.MiddlewareFunc {
	c := DefaultRequireConfig
	c.AllowAnonymous = true
	return RequireWithConfig(c)
}

// RequireWithConfig returns a Require middleware with config; see Require.
// It panics on a configuration error.
func RequireWithConfig(config RequireConfig) echo.MiddlewareFunc {
	return toMiddlewareOrPanic(config.ToMiddleware())
}

// ToMiddleware returns the Require middleware, or an error when the
// configuration is not usable (an unknown scheme id).
func (config RequireConfig) ToMiddleware() (echo.MiddlewareFunc, error) {
	if config.Skipper == nil {
		config.Skipper = DefaultRequireConfig.Skipper
	}
	for _, s := range config.Schemes {
		if !s.Known() {
			return nil, ErrInvalidConfig
		}
	}
	mw := &requireMiddleware{
		skipper:   config.Skipper,
		schemes:   slices.Clone(config.Schemes),
		anonymous: config.AllowAnonymous,
		policy:    config.Policy,
		explicit:  !config.Errors.isZero(),
		errors:    config.Errors.withDefaults(),
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { return mw.handle(c, next) }
	}, nil
}

// requireMiddleware is the Require middleware's state, built once.
type requireMiddleware struct {
	skipper   Skipper
	schemes   []vapisec.SchemeID
	anonymous bool
	policy    func(c echo.Context) ([]vapisec.SchemeID, bool)
	explicit  bool // Errors was configured: do not take the chain's
	errors    ErrorsConfig
}

func (mw *requireMiddleware) handle(c echo.Context, next echo.HandlerFunc) error {
	if mw.skipper(c) {
		return next(c)
	}
	allowed, anon := mw.schemes, mw.anonymous
	if mw.policy != nil {
		allowed, anon = mw.policy(c)
	}
	sc := SecurityContextFrom(c)
	if sc.Authenticated && (len(allowed) == 0 || slices.Contains(allowed, sc.Scheme)) {
		return next(c)
	}
	if !sc.Authenticated && anon {
		return next(c)
	}
	ec := &mw.errors
	if !mw.explicit {
		ec = errorsFrom(c, &mw.errors)
	}
	if !sc.Authenticated {
		return ec.unauthenticated(c, vapisec.ReasonMissing, nil)
	}
	return schemeNotAllowed(c, *ec, allowed, sc.Scheme)
}

// schemeNotAllowed: 401 with vapi.security.authentication.scheme (spec §5.3).
func schemeNotAllowed(c echo.Context, ec ErrorsConfig, allowed []vapisec.SchemeID, got vapisec.SchemeID) error {
	names := make([]string, len(allowed))
	for i, s := range allowed {
		names[i] = string(s)
	}
	list := strings.Join(names, ", ")
	return ec.respond(c, failure{
		status: 401, kind: errUnauthenticated,
		msg: Message{
			ID:             msgAuthScheme,
			DefaultMessage: "Expected one of the following schemes " + list + ", but got " + string(got),
			Args:           []string{list, string(got)},
		},
		reason: vapisec.ReasonSchemeNotAllowed,
	})
}
