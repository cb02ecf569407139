package middleware

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/session"
)

// HandoffConfig configures the Handoff middleware.
type HandoffConfig struct {
	// Skipper defines a function to skip the middleware.
	// Default value DefaultSkipper.
	Skipper Skipper

	// Manager redeems the tickets.
	// Required.
	Manager *session.Manager

	// Param is the query parameter carrying the clone ticket.
	// Default value "ticket".
	Param string

	// Cookie configures the session cookie set on success.
	// Default value: Path "/", Secure.
	Cookie CookieConfig

	// Errors says how failures are written.
	// Default value: see ErrorsConfig.
	Errors ErrorsConfig
}

// ToMiddleware returns the Handoff middleware (the Abiquo pattern): a route
// that opts in accepts a clone ticket in its query string (?ticket=…),
// redeems it (session.Manager.CloneSession) into a child session, sets the
// session cookie and answers 303 See Other to the same URL without the
// parameter, so the ticket never stays in the address bar or the history.
// A bad ticket is a 401. Requests without the parameter pass unchanged.
//
// WARNING: query strings end up in access logs, proxy logs and Referer
// headers. The ticket is single-use and short-lived (60 s by default), but
// mount Handoff only where a link must carry the login, and keep such
// routes out of request logging.
//
// Browsers withhold SameSite=Strict cookies on a navigation that started on
// another site, including its redirects: after a cross-site hand-off the
// cookie is sent from the next same-site request on.
func (config HandoffConfig) ToMiddleware() (echo.MiddlewareFunc, error) {
	if config.Manager == nil {
		return nil, ErrNoManager
	}
	if config.Skipper == nil {
		config.Skipper = DefaultSkipper
	}
	if config.Param == "" {
		config.Param = "ticket"
	}
	if config.Cookie.Path == "" {
		config.Cookie.Path = "/"
	}
	ec := config.Errors.withDefaults()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if config.Skipper(c) {
				return next(c)
			}
			req := c.Request()
			q := req.URL.Query()
			if _, ok := q[config.Param]; !ok {
				return next(c)
			}
			c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
			c.Response().Header().Set("Referrer-Policy", "no-referrer")
			child, err := config.Manager.CloneSession(req.Context(), q.Get(config.Param))
			if err != nil {
				return managerFailure(c, ec, err)
			}
			c.SetCookie(config.Cookie.cookie(child.ID, time.Time{}))
			q.Del(config.Param)
			u := *req.URL
			u.RawQuery = q.Encode()
			return c.Redirect(http.StatusSeeOther, u.RequestURI())
		}
	}, nil
}

// Handoff returns a Handoff middleware over m with the default
// configuration. It panics on a configuration error.
func Handoff(m *session.Manager) echo.MiddlewareFunc {
	return toMiddlewareOrPanic(HandoffConfig{Manager: m}.ToMiddleware())
}

// cookie builds the session cookie; a non-zero expires clears it.
func (cc CookieConfig) cookie(value string, expires time.Time) *http.Cookie {
	ck := &http.Cookie{
		Name:     parser.SessionIDName,
		Value:    value,
		Path:     cc.Path,
		HttpOnly: true,
		Secure:   !cc.InsecureNoSecureFlag,
		SameSite: http.SameSiteStrictMode,
	}
	if !expires.IsZero() {
		ck.Expires = expires
		ck.MaxAge = -1
	}
	return ck
}
