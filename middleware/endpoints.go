package middleware

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// SessionInfo is the body of "get current session" (spec §4): the legacy
// route wraps it as {"value": …}.
type SessionInfo struct {
	User             string `json:"user"`
	CreatedTime      string `json:"created_time"`
	LastAccessedTime string `json:"last_accessed_time"`
}

// RegisterSessionEndpoints mounts the session resources of spec §4 on r:
//
//	POST   <LegacySessionPath>               login   → 200 {"value":"<id>"}
//	POST   <LegacySessionPath>?~action=get   current → 200 {"value":{…}}
//	DELETE <LegacySessionPath>               logout  → 200, no body
//	POST   <SessionPath>                     login   → 201 "<id>"
//	GET    <SessionPath>                     current → 200 {…}
//	DELETE <SessionPath>                     logout  → 204
//
// Login is authenticated by the login schemes of cfg (Basic when an
// Authenticator is set, SIGN when a RequestVerifier is set, a bearer access
// token when an AccessTokenVerifier is set), never by a session; the new id is returned in the
// body and, unless the request carries vmware-use-header-authn, also as an
// HttpOnly, Secure, SameSite=Strict cookie. The other operations are
// authenticated by the session (cookie, then header). Each route carries its
// own middleware, so do not also put the Session middleware on these paths
// globally with e.Use.
//
// Bodies are bounded by the routes themselves, without Echo's BodyLimit:
// login bodies by cfg.MaxBodySize, the other session resources (including
// the clone ticket, channel credential and admin routes) by 4 KiB; a longer
// body is answered with 413 Request Entity Too Large before anything else.
func RegisterSessionEndpoints(r Router, cfg Config) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	login, err := cfg.loginMiddlewares()
	if err != nil {
		return err
	}
	if len(login) == 0 {
		return ErrNoLoginScheme
	}
	sess, err := cfg.sessionMiddleware()
	if err != nil {
		return err
	}
	ep := &endpoints{cfg: cfg}
	clone, err := CloneTicketConfig{Manager: cfg.Manager, Errors: cfg.Errors}.ToMiddleware()
	if err != nil {
		return err
	}
	// Bodies are bounded first, on every route: 413 before any other work.
	login = append(append([]echo.MiddlewareFunc{bodyLimit(cfg.MaxBodySize, cfg.Errors), clone}, login...), RequireWithConfig(RequireConfig{Errors: cfg.Errors, Policy: loginPolicy}))
	withSession := []echo.MiddlewareFunc{bodyLimit(maxResourceBody, cfg.Errors), sess, RequireWithConfig(RequireConfig{Errors: cfg.Errors, Schemes: []vapisec.SchemeID{vapisec.SchemeSession}})}

	createH := chainHandlers(ep.create, login)
	getH := chainHandlers(ep.get, withSession)
	deleteH := chainHandlers(ep.delete, withSession)

	// Legacy: one POST route, dispatched on ~action (create or get).
	r.Add(http.MethodPost, cfg.LegacySessionPath, func(c echo.Context) error {
		switch c.QueryParam("~action") {
		case "":
			return createH(c)
		case "get":
			return getH(c)
		}
		return cfg.Errors.respond(c, failure{
			status: http.StatusNotFound, kind: errOperationNotFound,
			msg: Message{ID: msgOperationNotFound, DefaultMessage: "The session resource has no such action.", Args: []string{}},
		})
	})
	r.Add(http.MethodDelete, cfg.LegacySessionPath, deleteH)
	r.Add(http.MethodPost, cfg.SessionPath, createH)
	r.Add(http.MethodGet, cfg.SessionPath, getH)
	r.Add(http.MethodDelete, cfg.SessionPath, deleteH)
	ep.registerExtensions(r, withSession)
	return nil
}

// loginPolicy: a login must be authenticated, and by anything but a session
// — except the child session a clone ticket just created.
func loginPolicy(c echo.Context) ([]vapisec.SchemeID, bool) {
	if cloned(c) {
		return []vapisec.SchemeID{vapisec.SchemeSession}, false
	}
	return []vapisec.SchemeID{vapisec.SchemeUserPass, vapisec.SchemeSAMLHoK, vapisec.SchemeSAMLBearer, vapisec.SchemeOAuth}, false
}

// chainHandlers wraps h in mws, the first outermost.
func chainHandlers(h echo.HandlerFunc, mws []echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

type endpoints struct {
	cfg Config
}

func (ep *endpoints) legacy(c echo.Context) bool { return ep.cfg.Errors.legacy(c) }

// create logs in: it creates a session for the caller the login schemes
// authenticated.
func (ep *endpoints) create(c echo.Context) error {
	sc := SecurityContextFrom(c)
	req := c.Request()
	if cloned(c) {
		// The CloneTicket login redeemed the ticket into this child session.
		return ep.created(c, sc.SessionID)
	}
	s, err := ep.cfg.Manager.Create(req.Context(), session.Identity{Principal: sc.Principal, Groups: sc.Groups, Scheme: sc.Scheme})
	if err != nil {
		if errors.Is(err, session.ErrSessionLimit) {
			return ep.cfg.Errors.unavailable(c, vapisec.ReasonSessionLimit, err)
		}
		if errors.Is(err, session.ErrQuotaExceeded) {
			return ep.cfg.Errors.quotaExceeded(c, err)
		}
		return ep.cfg.Errors.unavailable(c, vapisec.ReasonStoreUnavailable, err)
	}
	return ep.created(c, s.ID)
}

// created answers a login with the new session id.
func (ep *endpoints) created(c echo.Context, id string) error {
	if _, headerOnly := c.Request().Header[http.CanonicalHeaderKey(vapisec.HeaderUseHeaderAuthn)]; !headerOnly {
		c.SetCookie(ep.cookie(id, time.Time{}))
	}
	return answer(c, ep.legacy(c), http.StatusCreated, id)
}

// get answers "get current session".
func (ep *endpoints) get(c echo.Context) error {
	sc := SecurityContextFrom(c)
	info := SessionInfo{
		User:             sc.Principal.DownLevel(),
		CreatedTime:      sc.SessionCreated.UTC().Format(vapisec.TimestampLayout),
		LastAccessedTime: sc.SessionLastAccessed.UTC().Format(vapisec.TimestampLayout),
	}
	return answer(c, ep.legacy(c), http.StatusOK, info)
}

// answer writes v as the JSON response: with status, or, for the legacy
// (/rest) API, wrapped as {"value": v} with 200 OK.
func answer[T any](c echo.Context, legacy bool, status int, v T) error {
	if legacy {
		return c.JSON(http.StatusOK, struct {
			Value T `json:"value"`
		}{v})
	}
	return c.JSON(status, v)
}

// delete logs out: the session ends now, on every instance sharing the store.
func (ep *endpoints) delete(c echo.Context) error {
	sc := SecurityContextFrom(c)
	if err := ep.cfg.Manager.Delete(c.Request().Context(), sc.SessionID); err != nil {
		if errors.Is(err, session.ErrStoreUnavailable) {
			return ep.cfg.Errors.unavailable(c, vapisec.ReasonStoreUnavailable, err)
		}
		// Ended concurrently (another logout, expiry): it is gone either way.
		return ep.cfg.Errors.unauthenticated(c, vapisec.ReasonUnknownSession, session.ErrUnknownSession)
	}
	if sc.Source == vapisec.SourceCookie {
		c.SetCookie(ep.cookie("", time.Unix(0, 0)))
	}
	if ep.legacy(c) {
		return c.NoContent(http.StatusOK)
	}
	return c.NoContent(http.StatusNoContent)
}

// cookie builds the session cookie; a non-zero expires clears it.
func (ep *endpoints) cookie(value string, expires time.Time) *http.Cookie {
	return ep.cfg.Cookie.cookie(value, expires)
}
