package middleware

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
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

	// TrustedOrigins are the origins ("https://portal.example.com") of other
	// sites whose pages may send browsers to a hand-off link: a cross-site
	// navigation is accepted only when its Referer (or Origin) is one of
	// them. Default value: none, so that only same-origin navigations and
	// links the user opens directly (typed, pasted, from another
	// application: Sec-Fetch-Site "none") are redeemed.
	TrustedOrigins []string

	// Errors says how failures are written.
	// Default value: see ErrorsConfig.
	Errors ErrorsConfig
}

// DefaultHandoffConfig is the default Handoff middleware configuration.
var DefaultHandoffConfig = HandoffConfig{
	Skipper: DefaultSkipper,
	Param:   "ticket",
	Cookie:  CookieConfig{Path: "/"},
}

// Handoff returns a middleware over m (the Abiquo pattern): a route that
// opts in accepts a clone ticket in its query string (?ticket=…),
// redeems it (session.Manager.CloneSession) into a child session, sets the
// session cookie and answers 303 See Other to the same path without the
// parameter (the other query parameters are kept), so the ticket never
// stays in the address bar or the history. A bad ticket is a 401. Requests
// without the parameter pass unchanged.
//
// Before the ticket is redeemed (a refused request leaves it untouched):
//
//   - Open redirect: the redirect goes only to a clean same-origin path. A
//     path that does not start with exactly one "/" (after Echo's
//     unescaping, so "/%2F…" and "/%5C…" count as "//" and "/\"), that
//     starts with "//" or "/\", or that holds control characters (browsers
//     drop tabs and line breaks from a Location) is refused with 400: mounted
//     with e.Use or on a wildcard route, a request for
//     //evil.example/phish?ticket=… would otherwise redirect to
//     //evil.example/phish.
//   - Login CSRF: a link carrying an attacker's own ticket would log the
//     victim's browser into the attacker's session. A navigation the browser
//     marks as coming from another site (Sec-Fetch-Site "cross-site" or
//     "same-site", or, without Sec-Fetch-Site, a Referer or Origin of another
//     origin) is refused with 403 unless that site is one of
//     TrustedOrigins; "same-origin" and "none" (a link opened directly)
//     pass.
//   - A browser that already holds a live session cookie is refused with
//     403: a hand-off never silently replaces the session the browser is
//     logged in to. Log out first. A cookie naming an ended session is
//     replaced.
//
// Residual risk: a browser that sends neither Sec-Fetch-Site nor Referer
// (browsers before 2020–2023, or a referring page with
// Referrer-Policy: no-referrer on a browser without Sec-Fetch-Site) cannot
// be told from a link opened directly, so a victim without a session can
// still be logged into an attacker's session by such a link; the session
// then carries the attacker's identity, not the victim's, and ends with the
// attacker's. Current browsers send Sec-Fetch-Site on every navigation.
//
// WARNING: query strings end up in access logs, proxy logs and Referer
// headers. The ticket is single-use and short-lived (60 s by default), but
// mount Handoff only where a link must carry the login, and keep such
// routes out of request logging.
//
// Browsers withhold SameSite=Strict cookies on a navigation that started on
// another site, including its redirects: after a cross-site hand-off the
// cookie is sent from the next same-site request on.
//
// It panics on a configuration error; use HandoffConfig.ToMiddleware to get
// the error instead.
func Handoff(m *session.Manager) echo.MiddlewareFunc {
	c := DefaultHandoffConfig
	c.Manager = m
	return HandoffWithConfig(c)
}

// HandoffWithConfig returns a Handoff middleware with config; see Handoff.
// It panics on a configuration error.
func HandoffWithConfig(config HandoffConfig) echo.MiddlewareFunc {
	return toMiddlewareOrPanic(config.ToMiddleware())
}

// ToMiddleware returns the Handoff middleware (see Handoff), or an error
// when the configuration is not usable.
func (config HandoffConfig) ToMiddleware() (echo.MiddlewareFunc, error) {
	if config.Manager == nil {
		return nil, ErrNoManager
	}
	if config.Skipper == nil {
		config.Skipper = DefaultHandoffConfig.Skipper
	}
	if config.Param == "" {
		config.Param = DefaultHandoffConfig.Param
	}
	if config.Cookie.Path == "" {
		config.Cookie.Path = DefaultHandoffConfig.Cookie.Path
	}
	ec := config.Errors.withDefaults()
	trusted := slices.Clone(config.TrustedOrigins)
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
			target, ok := handoffTarget(req.URL)
			if !ok {
				return ec.malformed(c, "the hand-off path is not a same-origin path", errHandoffPath)
			}
			if crossSiteNavigation(c, trusted) {
				return ec.forbidden(c, "Hand-off links from other sites are not accepted.", errHandoffCrossSite)
			}
			if stop, err := config.refuseLiveSession(c, ec); stop {
				return err
			}
			child, err := config.Manager.CloneSession(req.Context(), q.Get(config.Param))
			if err != nil {
				return managerFailure(c, ec, err)
			}
			c.SetCookie(config.Cookie.cookie(child.ID, time.Time{}))
			q.Del(config.Param)
			if rq := q.Encode(); rq != "" {
				target += "?" + rq
			}
			return c.Redirect(http.StatusSeeOther, target)
		}
	}, nil
}

// Internal causes of refused hand-offs (for logs).
var (
	errHandoffPath        = errors.New("middleware: hand-off path is not a clean same-origin path")
	errHandoffCrossSite   = errors.New("middleware: cross-site hand-off navigation")
	errHandoffLiveSession = errors.New("middleware: hand-off would replace a live session")
)

// handoffTarget returns the escaped path to redirect to, or false when the
// request path is not a clean same-origin path: it must start with exactly
// one "/" (not "//" nor "/\", checked on the unescaped path, so that
// "/%2F" and "/%5C" count too) and hold no control characters. Scheme and
// host of an absolute-form request are never used.
func handoffTarget(u *url.URL) (string, bool) {
	if !cleanPath(u.Path) {
		return "", false
	}
	target := u.EscapedPath()
	// The escaped form is what the browser resolves: check it as well.
	if !cleanPath(target) {
		return "", false
	}
	return target, true
}

// cleanPath reports whether p starts with a single "/" not followed by "/"
// or a backslash, and has no control characters.
func cleanPath(p string) bool {
	if len(p) == 0 || p[0] != '/' || (len(p) > 1 && (p[1] == '/' || p[1] == '\\')) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return false
		}
	}
	return true
}

// crossSiteNavigation reports whether the browser says the request comes
// from another site that is not trusted: Sec-Fetch-Site "cross-site" or
// "same-site" without a trusted Referer/Origin; without Sec-Fetch-Site, a
// Referer or Origin of another, untrusted origin.
func crossSiteNavigation(c echo.Context, trusted []string) bool {
	req := c.Request()
	own := c.Scheme() + "://" + req.Host
	from := originOf(req.Header.Get(echo.HeaderOrigin))
	if from == "" {
		from = originOf(req.Header.Get("Referer"))
	}
	switch site := req.Header.Get("Sec-Fetch-Site"); site {
	case "same-origin", "none":
		return false
	case "":
		return from != "" && from != own && !slices.Contains(trusted, from)
	default:
		return from == "" || !slices.Contains(trusted, from)
	}
}

// originOf returns scheme://host of an Origin or Referer value, "" when it
// has none ("null", relative, unparsable).
func originOf(v string) string {
	if v == "" || v == "null" {
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// refuseLiveSession refuses (403) a request whose session cookie names a
// live session: the hand-off must not replace it. A store that cannot
// answer is a 503 (fail closed); an unknown or ended session is replaced.
func (config HandoffConfig) refuseLiveSession(c echo.Context, ec ErrorsConfig) (stop bool, err error) {
	ck, err := c.Cookie(vapisec.CookieSessionID)
	if err != nil || ck.Value == "" || len(ck.Value) > parser.DefaultMaxSessionIDLength {
		return false, nil
	}
	_, err = config.Manager.Lookup(c.Request().Context(), ck.Value)
	switch {
	case err == nil:
		return true, ec.forbidden(c, "This browser is already logged in to a session; log out before following a hand-off link.", errHandoffLiveSession)
	case errors.Is(err, session.ErrStoreUnavailable):
		return true, ec.unavailable(c, vapisec.ReasonStoreUnavailable, err)
	}
	return false, nil
}

// cookie builds the session cookie; a non-zero expires clears it.
func (cc CookieConfig) cookie(value string, expires time.Time) *http.Cookie {
	ck := &http.Cookie{
		Name:     vapisec.CookieSessionID,
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
