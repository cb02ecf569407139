package middleware

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// clonedKey marks, in the echo.Context, a request whose login redeemed a
// clone ticket: the child session exists already and create hands out its id.
const clonedKey = "github.com/vapisec/vapisec/middleware.cloned"

// CloneTicketConfig configures the CloneTicket login middleware.
type CloneTicketConfig struct {
	// Skipper defines a function to skip the middleware.
	// Default value DefaultSkipper.
	Skipper Skipper

	// Manager redeems the tickets.
	// Required.
	Manager *session.Manager

	// Errors says how failures are written.
	// Default value: see ErrorsConfig.
	Errors ErrorsConfig
}

// DefaultCloneTicketConfig is the default CloneTicket middleware
// configuration.
var DefaultCloneTicketConfig = CloneTicketConfig{
	Skipper: DefaultSkipper,
}

// CloneTicket returns a middleware over m: a login scheme for the session
// create routes. A request carrying vmware-api-clone-ticket and no other
// credential redeems the ticket (session.Manager.CloneSession) and is
// authenticated as the new child session (scheme session, source header);
// the create handler then returns that session's id. A ticket together with
// another credential is a 400; an unknown, used or expired ticket a 401; the
// user's session cap a 503; a quota (the derived sessions of the ticket's
// login session, the user's records) a 429. Requests without the header
// pass on unchanged.
//
// Mount it only on session create routes (RegisterSessionEndpoints does):
// anywhere else a redeemed ticket would create a session whose id nobody
// receives.
//
// It panics on a configuration error; use CloneTicketConfig.ToMiddleware to
// get the error instead.
func CloneTicket(m *session.Manager) echo.MiddlewareFunc {
	c := DefaultCloneTicketConfig
	c.Manager = m
	return CloneTicketWithConfig(c)
}

// CloneTicketWithConfig returns a CloneTicket middleware with config; see
// CloneTicket. It panics on a configuration error.
func CloneTicketWithConfig(config CloneTicketConfig) echo.MiddlewareFunc {
	return toMiddlewareOrPanic(config.ToMiddleware())
}

// ToMiddleware returns the CloneTicket middleware (see CloneTicket), or an
// error when the configuration is not usable.
func (config CloneTicketConfig) ToMiddleware() (echo.MiddlewareFunc, error) {
	if config.Manager == nil {
		return nil, ErrNoManager
	}
	if config.Skipper == nil {
		config.Skipper = DefaultCloneTicketConfig.Skipper
	}
	ec := config.Errors.withDefaults()
	m := config.Manager
	skip := config.Skipper
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if skip(c) || authenticated(c) {
				return next(c)
			}
			req := c.Request()
			tickets := req.Header.Values(vapisec.HeaderCloneTicket)
			if len(tickets) == 0 {
				return next(c)
			}
			st := ensureState(c, &ec)
			if len(tickets) > 1 || req.Header.Get(echo.HeaderAuthorization) != "" || hasSessionID(req) {
				return ec.malformed(c, "a clone ticket must be the only credential", errors.New("middleware: clone ticket with another credential"))
			}
			child, err := m.CloneSession(req.Context(), tickets[0])
			if err != nil {
				return managerFailure(c, ec, err)
			}
			st.sc = sessionContext(child, child.ID, vapisec.SourceHeader)
			c.Set(clonedKey, true)
			return next(c)
		}
	}, nil
}

// cloned reports whether the request's login redeemed a clone ticket.
func cloned(c echo.Context) bool {
	v, _ := c.Get(clonedKey).(bool)
	return v
}

// hasSessionID reports whether the request carries a session id in the
// header or the cookie.
func hasSessionID(req *http.Request) bool {
	if req.Header.Get(vapisec.HeaderSessionID) != "" {
		return true
	}
	_, err := req.Cookie(vapisec.CookieSessionID)
	return err == nil
}

// managerFailure maps the errors of session.Manager operations other than
// lookups (clone, channel credentials, derivation) onto the response.
func managerFailure(c echo.Context, ec ErrorsConfig, err error) error {
	switch {
	case errors.Is(err, session.ErrQuotaExceeded):
		return ec.quotaExceeded(c, err)
	case errors.Is(err, session.ErrSessionLimit):
		return ec.unavailable(c, vapisec.ReasonSessionLimit, err)
	case errors.Is(err, session.ErrDepthExceeded):
		return ec.forbidden(c, "Sessions may not be derived this deep.", err)
	case errors.Is(err, session.ErrInvalidChannel):
		return ec.malformed(c, "invalid channel name", session.ErrInvalidChannel)
	case errors.Is(err, session.ErrTicketExpired):
		return ec.unauthenticated(c, vapisec.ReasonExpired, session.ErrTicketExpired)
	case errors.Is(err, session.ErrUnknownTicket):
		return ec.unauthenticated(c, vapisec.ReasonUnknownSession, session.ErrUnknownTicket)
	case errors.Is(err, session.ErrUnknownSession), errors.Is(err, session.ErrStoreUnavailable):
		return sessionFailure(c, ec, err)
	}
	return ec.unavailable(c, vapisec.ReasonStoreUnavailable, err)
}

// errUnableToAllocate is the vAPI standard error of a refused quota.
const errUnableToAllocate = "unable_to_allocate_resource"

// msgQuotaExceeded is the id of the main message of a refused quota.
const msgQuotaExceeded = "vapisec.quota.exceeded"

// quotaExceeded: 429 UNABLE_TO_ALLOCATE_RESOURCE for an error matching
// session.ErrQuotaExceeded, with the quota's own reason (DESIGN Q22). Only
// the caller is refused: the quota is its session's or its user's.
func (ec ErrorsConfig) quotaExceeded(c echo.Context, err error) error {
	reason, ok := session.ReasonOf(err)
	if !ok {
		reason = vapisec.ReasonUserRecordLimit
	}
	return ec.respond(c, failure{
		status: http.StatusTooManyRequests, kind: errUnableToAllocate,
		msg:    Message{ID: msgQuotaExceeded, DefaultMessage: reason.Description(), Args: []string{}},
		reason: reason, cause: err,
	})
}

// forbidden: 403 UNAUTHORIZED with a message safe to show the client.
func (ec ErrorsConfig) forbidden(c echo.Context, text string, cause error) error {
	return ec.respond(c, failure{
		status: http.StatusForbidden, kind: errUnauthorized,
		msg:   Message{ID: msgForbidden, DefaultMessage: text, Args: []string{}},
		cause: cause,
	})
}
