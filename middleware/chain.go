package middleware

import (
	"fmt"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/verifier"
)

// Config is the whole vapisec configuration of an Echo server: what Chain
// needs to build the middleware chain and what RegisterSessionEndpoints
// needs to mount the session endpoints. Build it once and hand the same value
// to both.
type Config struct {
	// Manager owns the sessions.
	// Required.
	Manager *session.Manager

	// Authenticator checks Basic credentials. Default value nil, which
	// disables the Basic scheme (and with it Basic login).
	Authenticator Authenticator

	// SessionLookup says where session ids are read from; see
	// SessionConfig.Lookup.
	// Default value parser.DefaultSessionIDLookup.
	SessionLookup string

	// MaxSessionIDLength bounds session ids.
	// Default value parser.DefaultMaxSessionIDLength.
	MaxSessionIDLength int

	// Cookie configures the session cookie set at login.
	// Default value: Path "/", Secure.
	Cookie CookieConfig

	// LegacySessionPath is the path of the legacy session resource.
	// Default value "/rest/com/vmware/cis/session".
	LegacySessionPath string

	// SessionPath is the path of the /api session resource.
	// Default value "/api/session".
	SessionPath string

	// Errors says how failures are written. Default value: see
	// ErrorsConfig; Challenges default to one per enabled login scheme.
	Errors ErrorsConfig

	// CloneTicketPath is where a session acquires a clone ticket (POST).
	// Default value DefaultCloneTicketPath.
	CloneTicketPath string

	// ChannelCredentialPath is where a session mints a channel credential
	// (POST {"channel":"…"}).
	// Default value DefaultChannelCredentialPath.
	ChannelCredentialPath string

	// AdminSessionsPath is the administrators' session resource: GET and
	// DELETE with ?user=<principal>, DELETE <path>/<key>.
	// Default value DefaultAdminSessionsPath.
	AdminSessionsPath string

	// Admins are the principals ("administrator@vsphere.local", parsed with
	// vapisec.ParsePrincipal) allowed on AdminSessionsPath, authenticated by
	// a session. Default value: none, which leaves the admin routes out.
	Admins []string

	// TrustedOrigins are extra origins allowed to send unsafe requests
	// authenticated by the session cookie or by Basic credentials; see
	// CSRFConfig.
	// Default value: none.
	TrustedOrigins []string

	// RequestVerifier verifies SAML-signed requests (JSON-RPC HoK bodies and
	// Authorization: SIGN); see SAMLConfig. It is also a login scheme: SIGN
	// on the session endpoints creates a session, as vCenter does for govc
	// session.login -token. Default value nil, which disables the SAML
	// scheme.
	RequestVerifier *verifier.RequestVerifier

	// MaxBodySize bounds the request body of the login endpoints and of
	// JSONRPCSessionService; a longer body is answered with 413 Request
	// Entity Too Large. The other session resources accept at most 4 KiB,
	// and SAML-signed requests at most RequestVerifier.MaxBodySize().
	// Default value RequestVerifier.MaxBodySize() when a RequestVerifier is
	// set, else DefaultMaxBodySize (1 MiB).
	MaxBodySize int
}

// CookieConfig configures the vmware-api-session-id cookie set at login.
// The cookie is always HttpOnly and SameSite=Strict; it is not set when the
// login request carries the vmware-use-header-authn header (any value).
type CookieConfig struct {
	// Path is the cookie's Path attribute.
	// Default value "/".
	Path string

	// InsecureNoSecureFlag leaves the Secure attribute off so that the cookie
	// also travels over plain HTTP.
	// WARNING: only for local development over http://; over a network the
	// session id can then be read by anyone on the path.
	// Default value false.
	InsecureNoSecureFlag bool
}

// Paths of vapisec's own session resources (the vAPI session paths are
// vapisec.SessionPath and vapisec.LegacySessionPath).
const (
	DefaultCloneTicketPath       = "/api/vapisec/session/clone-ticket"
	DefaultChannelCredentialPath = "/api/vapisec/session/channel-credential"
	DefaultAdminSessionsPath     = "/api/vapisec/admin/sessions"
)

func (cfg Config) withDefaults() (Config, error) {
	if cfg.Manager == nil {
		return cfg, ErrNoManager
	}
	if cfg.SessionLookup == "" {
		cfg.SessionLookup = parser.DefaultSessionIDLookup
	}
	if cfg.MaxSessionIDLength == 0 {
		cfg.MaxSessionIDLength = parser.DefaultMaxSessionIDLength
	}
	if cfg.Cookie.Path == "" {
		cfg.Cookie.Path = "/"
	}
	switch {
	case cfg.MaxBodySize < 0:
		return cfg, fmt.Errorf("%w: negative MaxBodySize", ErrInvalidConfig)
	case cfg.MaxBodySize == 0 && cfg.RequestVerifier != nil:
		cfg.MaxBodySize = cfg.RequestVerifier.MaxBodySize()
	case cfg.MaxBodySize == 0:
		cfg.MaxBodySize = DefaultMaxBodySize
	}
	if cfg.LegacySessionPath == "" {
		cfg.LegacySessionPath = vapisec.LegacySessionPath
	}
	if cfg.SessionPath == "" {
		cfg.SessionPath = vapisec.SessionPath
	}
	if cfg.CloneTicketPath == "" {
		cfg.CloneTicketPath = DefaultCloneTicketPath
	}
	if cfg.ChannelCredentialPath == "" {
		cfg.ChannelCredentialPath = DefaultChannelCredentialPath
	}
	if cfg.AdminSessionsPath == "" {
		cfg.AdminSessionsPath = DefaultAdminSessionsPath
	}
	if len(cfg.Errors.Challenges) == 0 {
		realm := cfg.Errors.Realm
		if realm == "" {
			realm = "vapisec"
		}
		if cfg.RequestVerifier != nil {
			cfg.Errors.Challenges = append(cfg.Errors.Challenges, `SIGN realm="`+realm+`"`)
		}
		if cfg.Authenticator != nil {
			cfg.Errors.Challenges = append(cfg.Errors.Challenges, `Basic realm="`+realm+`"`)
		}
	}
	cfg.Errors = cfg.Errors.withDefaults()
	return cfg, nil
}

// sessionMiddleware is the Session middleware of the chain and the session
// endpoints, with the CSRF check inside it: cross-site unsafe requests
// that the session cookie authenticated are refused (see
// CSRFConfig.ToMiddleware). One middleware instead of two saves Echo a
// closure per request.
func (cfg Config) sessionMiddleware() (echo.MiddlewareFunc, error) {
	mw, err := SessionConfig{
		Skipper:     DefaultSkipper,
		Manager:     cfg.Manager,
		Lookup:      cfg.SessionLookup,
		MaxIDLength: cfg.MaxSessionIDLength,
		Errors:      cfg.Errors,
	}.build()
	if err != nil {
		return nil, err
	}
	mw.csrf = CSRFConfig{TrustedOrigins: cfg.TrustedOrigins, Errors: cfg.Errors}.guard()
	return mw.middleware(), nil
}

// loginMiddlewares are the schemes that may create a session.
func (cfg Config) loginMiddlewares() ([]echo.MiddlewareFunc, error) {
	var mws []echo.MiddlewareFunc
	if cfg.RequestVerifier != nil {
		mw, err := SAMLConfig{Skipper: DefaultSkipper, Verifier: cfg.RequestVerifier, Errors: cfg.Errors}.ToMiddleware()
		if err != nil {
			return nil, err
		}
		mws = append(mws, mw)
	}
	if cfg.Authenticator != nil {
		mw, err := BasicConfig{Skipper: DefaultSkipper, Authenticator: cfg.Authenticator, TrustedOrigins: cfg.TrustedOrigins, Errors: cfg.Errors}.ToMiddleware()
		if err != nil {
			return nil, err
		}
		mws = append(mws, mw)
	}
	return mws, nil
}

// Chain returns the usual middleware chain for application routes, in
// order: JSON-RPC (on POSTs to Errors.JSONRPCPath, "/api": reads and parses
// the body once, answers a body that is not a vAPI JSON-RPC request with
// -32700 or -32600, authenticates the user_pass and session_id schemes of
// params.ctx.securityCtx and refuses ambiguous credentials; every failure of
// the chain on that path is then a vAPI error in result.error, HTTP 200,
// spec §13.3), Session, CSRF (cookie-authenticated unsafe requests must be
// same-origin), then SAML (SIGN and signed JSON-RPC, when a RequestVerifier
// is configured), then Basic (when an Authenticator is configured). The first
// middleware that finds a credential decides. Add Require (or
// AllowAnonymous) per route or group for the scheme policy:
//
//	chain, err := middleware.Chain(cfg)
//	api := e.Group("/api", chain...)
//	api.GET("/vcenter/vm", listVMs, middleware.Require())
func Chain(cfg Config) ([]echo.MiddlewareFunc, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	sess, err := cfg.sessionMiddleware()
	if err != nil {
		return nil, err
	}
	login, err := cfg.loginMiddlewares()
	if err != nil {
		return nil, err
	}
	rpc, err := cfg.jsonrpcMiddleware()
	if err != nil {
		return nil, err
	}
	// Clipped: callers append a Require per route to the same slice.
	return slices.Clip(append([]echo.MiddlewareFunc{rpc, sess}, login...)), nil
}

// Router is where RegisterSessionEndpoints adds its routes: *echo.Echo and
// *echo.Group both satisfy it.
type Router interface {
	Add(method, path string, handler echo.HandlerFunc, middleware ...echo.MiddlewareFunc) *echo.Route
}

var _ Router = (*echo.Echo)(nil)
var _ Router = (*echo.Group)(nil)
