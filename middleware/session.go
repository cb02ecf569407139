package middleware

import (
	"errors"
	"fmt"

	"github.com/labstack/echo/v4"
	echomw "github.com/labstack/echo/v4/middleware"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/session"
)

// Skipper decides whether a middleware lets a request pass untouched; it is
// Echo's own type, so Echo skippers can be reused.
type Skipper = echomw.Skipper

// DefaultSkipper never skips.
func DefaultSkipper(echo.Context) bool { return false }

// SessionConfig configures the Session middleware.
type SessionConfig struct {
	// Skipper defines a function to skip the middleware.
	// Default value DefaultSkipper.
	Skipper Skipper

	// Manager looks session ids up.
	// Required.
	Manager *session.Manager

	// Lookup says where the session id is read from, as an Echo-style lookup
	// string: a comma-separated list of "cookie:<name>", "header:<name>" and
	// (only when listed explicitly) "query:<name>", tried in order. A cookie
	// and a header that disagree are answered with 400.
	// Default value parser.DefaultSessionIDLookup
	// ("cookie:vmware-api-session-id,header:vmware-api-session-id").
	Lookup string

	// MaxIDLength bounds the length of a session id.
	// Default value parser.DefaultMaxSessionIDLength.
	MaxIDLength int

	// Errors says how failures are written.
	// Default value: see ErrorsConfig.
	Errors ErrorsConfig
}

// DefaultSessionConfig is the default Session middleware configuration.
var DefaultSessionConfig = SessionConfig{
	Skipper:     DefaultSkipper,
	Lookup:      parser.DefaultSessionIDLookup,
	MaxIDLength: parser.DefaultMaxSessionIDLength,
}

// Session returns a middleware that authenticates requests carrying a
// session id (cookie vmware-api-session-id, then the header of that name)
// with m. Requests without a session id pass on unchanged for the next
// scheme; an unknown or expired id is answered with 401; an unreachable
// session store with 503.
//
// It panics on a configuration error; use SessionConfig.ToMiddleware to get
// the error instead.
func Session(m *session.Manager) echo.MiddlewareFunc {
	c := DefaultSessionConfig
	c.Manager = m
	return SessionWithConfig(c)
}

// SessionWithConfig returns a Session middleware with config; see Session.
// It panics on a configuration error.
func SessionWithConfig(config SessionConfig) echo.MiddlewareFunc {
	return toMiddlewareOrPanic(config.ToMiddleware())
}

// ToMiddleware returns the Session middleware, or an error when the
// configuration is not usable.
func (config SessionConfig) ToMiddleware() (echo.MiddlewareFunc, error) {
	mw, err := config.build()
	if err != nil {
		return nil, err
	}
	return mw.middleware(), nil
}

// build checks the configuration and returns the middleware's state.
func (config SessionConfig) build() (*sessionMiddleware, error) {
	if config.Manager == nil {
		return nil, ErrNoManager
	}
	if config.Skipper == nil {
		config.Skipper = DefaultSessionConfig.Skipper
	}
	if config.Lookup == "" {
		config.Lookup = DefaultSessionConfig.Lookup
	}
	if config.MaxIDLength == 0 {
		config.MaxIDLength = DefaultSessionConfig.MaxIDLength
	}
	extractor, err := parser.NewSessionIDExtractor(config.Lookup, parser.WithMaxSessionIDLength(config.MaxIDLength))
	if err != nil {
		return nil, fmt.Errorf("%w: session lookup: %w", ErrInvalidConfig, err)
	}
	return &sessionMiddleware{extractor: extractor, manager: config.Manager, skipper: config.Skipper, errors: config.Errors.withDefaults()}, nil
}

// middleware returns the Echo middleware of mw.
func (mw *sessionMiddleware) middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { return mw.handle(c, next) }
	}
}

// sessionMiddleware is the Session middleware's state, built once. Echo
// applies route middleware on every request, so the closures above capture
// only this pointer.
type sessionMiddleware struct {
	extractor *parser.SessionIDExtractor
	manager   *session.Manager
	skipper   Skipper
	errors    ErrorsConfig
	// csrf, set by Chain, runs the CSRF check on a request this middleware
	// authenticated by the cookie.
	csrf *csrfGuard
}

func (mw *sessionMiddleware) handle(c echo.Context, next echo.HandlerFunc) error {
	if stop, err := mw.authenticate(c); stop {
		return err
	}
	// The chain's CSRF check runs whoever authenticated the request (an
	// earlier Session middleware too), as the CSRF middleware would.
	if mw.csrf != nil {
		if refused, err := mw.csrf.check(c); refused {
			return err
		}
	}
	return next(c)
}

// authenticate attaches the session of the request, if it names one. It
// reports stop when it answered the request itself (a failure), with the
// error to return.
func (mw *sessionMiddleware) authenticate(c echo.Context) (stop bool, err error) {
	if mw.skipper(c) || authenticated(c) {
		return false, nil
	}
	st := ensureState(c, &mw.errors)
	req := c.Request()
	id, src, err := mw.extractor.Extract(req)
	if err != nil {
		cause := redactParseError(err)
		return true, mw.errors.malformed(c, cause.Error(), cause)
	}
	if id == "" {
		return false, nil
	}
	if err := mw.manager.LookupInto(req.Context(), id, &st.sess); err != nil {
		return true, sessionFailure(c, mw.errors, err)
	}
	st.sc = sessionContext(&st.sess, id, src)
	return false, nil
}

// sessionFailure maps a session.Manager error onto the response: 503 when the
// store cannot answer (fail closed), 401 otherwise.
func sessionFailure(c echo.Context, ec ErrorsConfig, err error) error {
	switch {
	case errors.Is(err, session.ErrStoreUnavailable):
		return ec.unavailable(c, vapisec.ReasonStoreUnavailable, err)
	case errors.Is(err, session.ErrExpired):
		return ec.unauthenticated(c, vapisec.ReasonExpired, session.ErrExpired)
	default:
		return ec.unauthenticated(c, vapisec.ReasonUnknownSession, session.ErrUnknownSession)
	}
}

// toMiddlewareOrPanic is the XxxWithConfig half of the Config shape.
func toMiddlewareOrPanic(mw echo.MiddlewareFunc, err error) echo.MiddlewareFunc {
	if err != nil {
		panic(err)
	}
	return mw
}
