package middleware

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// maxChannelBody bounds the body of a channel credential request.
const maxChannelBody = 4 << 10

// registerExtensions mounts the vapisec session extensions (DESIGN §6):
//
//	POST   <CloneTicketPath>              → 201 "<ticket>"
//	POST   <ChannelCredentialPath>        {"channel":"…"} → 201 {"user":"chu-…","password":"chc-…"}
//	GET    <AdminSessionsPath>?user=<p>   → 200 [AdminSession…]   (Admins only)
//	DELETE <AdminSessionsPath>?user=<p>   → 200 {"terminated":n} (Admins only)
//	DELETE <AdminSessionsPath>/<key>      → 204                   (Admins only)
//
// All are authenticated by a session (withSession: Session, CSRF, Require).
// A session beyond its quota of clone tickets or channel credentials, or a
// user beyond the bound on its records, gets 429 UNABLE_TO_ALLOCATE_RESOURCE
// with the reason clone_ticket_limit, channel_credential_limit or
// user_record_limit.
// The admin routes exist only when cfg.Admins is not empty.
func (ep *endpoints) registerExtensions(r Router, withSession []echo.MiddlewareFunc) {
	r.Add(http.MethodPost, ep.cfg.CloneTicketPath, chainHandlers(ep.cloneTicket, withSession))
	r.Add(http.MethodPost, ep.cfg.ChannelCredentialPath, chainHandlers(ep.channelCredential, withSession))
	if len(ep.cfg.Admins) == 0 {
		return
	}
	admins := make([]vapisec.Principal, len(ep.cfg.Admins))
	for i, a := range ep.cfg.Admins {
		admins[i] = vapisec.ParsePrincipal(a)
	}
	admin := append(slices.Clone(withSession), func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !slices.Contains(admins, SecurityContextFrom(c).Principal) {
				return ep.cfg.Errors.forbidden(c, "Only administrators may manage the sessions of other users.", nil)
			}
			return next(c)
		}
	})
	r.Add(http.MethodGet, ep.cfg.AdminSessionsPath, chainHandlers(ep.adminList, admin))
	r.Add(http.MethodDelete, ep.cfg.AdminSessionsPath, chainHandlers(ep.adminTerminateUser, admin))
	r.Add(http.MethodDelete, ep.cfg.AdminSessionsPath+"/:key", chainHandlers(ep.adminTerminate, admin))
}

// cloneTicket issues a clone ticket of the caller's session.
func (ep *endpoints) cloneTicket(c echo.Context) error {
	ticket, err := ep.cfg.Manager.AcquireCloneTicket(c.Request().Context(), SecurityContextFrom(c).SessionID)
	if err != nil {
		return managerFailure(c, ep.cfg.Errors, err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusCreated, ticket)
}

// channelCredential issues a channel credential of the caller's session:
// its own user name and password (session.ChannelCredential), never the
// session id.
func (ep *endpoints) channelCredential(c echo.Context) error {
	var body struct {
		Channel string `json:"channel"`
	}
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, maxChannelBody))
	if err := dec.Decode(&body); err != nil {
		return ep.cfg.Errors.malformed(c, `the body must be {"channel":"<name>"}`, errors.New("middleware: bad channel credential request"))
	}
	cred, err := ep.cfg.Manager.IssueChannelCredential(c.Request().Context(), SecurityContextFrom(c).SessionID, body.Channel)
	if err != nil {
		return managerFailure(c, ep.cfg.Errors, err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusCreated, cred)
}

// AdminSession is one session in the administrators' list. It names the
// session by its store key, never by its id.
type AdminSession struct {
	Key              string `json:"key"`
	Parent           string `json:"parent,omitempty"`
	User             string `json:"user"`
	CreatedTime      string `json:"created_time"`
	LastAccessedTime string `json:"last_accessed_time"`
	IdleExpiryTime   string `json:"idle_expiry_time"`
	ExpiryTime       string `json:"expiry_time"`
}

// adminUser reads the mandatory ?user= parameter.
func (ep *endpoints) adminUser(c echo.Context) (vapisec.Principal, error) {
	u := c.QueryParam("user")
	if u == "" {
		return vapisec.Principal{}, ep.cfg.Errors.malformed(c, "the user query parameter is required", errors.New("middleware: admin request without user"))
	}
	return vapisec.ParsePrincipal(u), nil
}

func (ep *endpoints) adminList(c echo.Context) error {
	user, err := ep.adminUser(c)
	if err != nil {
		return err
	}
	infos, err := ep.cfg.Manager.Sessions(c.Request().Context(), user)
	if err != nil {
		return managerFailure(c, ep.cfg.Errors, err)
	}
	out := make([]AdminSession, len(infos))
	for i, in := range infos {
		out[i] = AdminSession{
			Key:              in.Key.String(),
			User:             in.Principal.DownLevel(),
			CreatedTime:      in.Created.UTC().Format(vapisec.TimestampLayout),
			LastAccessedTime: in.LastAccessed.UTC().Format(vapisec.TimestampLayout),
			IdleExpiryTime:   in.IdleExpiry.UTC().Format(vapisec.TimestampLayout),
			ExpiryTime:       in.Expiry.UTC().Format(vapisec.TimestampLayout),
		}
		if !in.Parent.IsZero() {
			out[i].Parent = in.Parent.String()
		}
	}
	return c.JSON(http.StatusOK, out)
}

func (ep *endpoints) adminTerminateUser(c echo.Context) error {
	user, err := ep.adminUser(c)
	if err != nil {
		return err
	}
	n, err := ep.cfg.Manager.TerminateUser(c.Request().Context(), user)
	if err != nil {
		return managerFailure(c, ep.cfg.Errors, err)
	}
	return c.JSON(http.StatusOK, map[string]int{"terminated": n})
}

func (ep *endpoints) adminTerminate(c echo.Context) error {
	key, err := session.ParseKey(c.Param("key"))
	if err != nil {
		return ep.cfg.Errors.malformed(c, "the session key must be 64 hex digits", session.ErrMalformedKey)
	}
	if err := ep.cfg.Manager.Terminate(c.Request().Context(), key); err != nil {
		if errors.Is(err, session.ErrUnknownSession) {
			return ep.cfg.Errors.respond(c, failure{status: http.StatusNotFound, kind: errNotFound,
				msg: Message{ID: "vapisec.session.not_found", DefaultMessage: "No such session."}})
		}
		return managerFailure(c, ep.cfg.Errors, err)
	}
	return c.NoContent(http.StatusNoContent)
}
