package middleware

import (
	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// contextKey is the echo.Context key under which the per-request state is
// kept. It is deliberately unlikely to collide with application keys.
const contextKey = "github.com/vapisec/vapisec/middleware.state"

// requestState is everything vapisec keeps for one request, in one
// allocation: the SecurityContext, scratch space for the session lookup, and
// the ErrorsConfig of the chain (so that Require answers with the same
// challenges and route styles as the scheme middlewares before it).
type requestState struct {
	sc     vapisec.SecurityContext
	sess   session.Session
	errors *ErrorsConfig
	// rpc is set on a vAPI JSON-RPC call (by the JSON-RPC middleware of the
	// chain, the SAML middleware or JSONRPCSessionService): its failures are
	// then answered in JSON-RPC form. Nil on every other request.
	rpc *jsonrpcState
}

// stateOf returns the request's state, or nil when no vapisec middleware ran.
func stateOf(c echo.Context) *requestState {
	st, _ := c.Get(contextKey).(*requestState)
	return st
}

// ensureState returns the request's state, creating it with ec.
func ensureState(c echo.Context, ec *ErrorsConfig) *requestState {
	if st := stateOf(c); st != nil {
		return st
	}
	st := &requestState{errors: ec}
	c.Set(contextKey, st)
	return st
}

// SecurityContextFrom returns the SecurityContext the vapisec middleware
// attached to the request. When no vapisec middleware authenticated the
// request it returns an anonymous context (Authenticated false, Scheme
// vapisec.SchemeNoAuthentication), never nil.
//
// The returned value belongs to the request and must be treated as
// read-only.
func SecurityContextFrom(c echo.Context) *vapisec.SecurityContext {
	if st := stateOf(c); st != nil && st.sc.Authenticated {
		return &st.sc
	}
	return vapisec.Anonymous()
}

// authenticated reports whether an earlier middleware already decided the
// request's identity; later schemes then stay out of the way.
func authenticated(c echo.Context) bool {
	st := stateOf(c)
	return st != nil && st.sc.Authenticated
}

// errorsFrom returns the ErrorsConfig left by the chain, or fallback.
func errorsFrom(c echo.Context, fallback *ErrorsConfig) *ErrorsConfig {
	if st := stateOf(c); st != nil && st.errors != nil {
		return st.errors
	}
	return fallback
}

// sessionContext is the SecurityContext of a request authenticated by the
// session s under id, found in src.
func sessionContext(s *session.Session, id string, src vapisec.CredentialSource) vapisec.SecurityContext {
	return vapisec.SecurityContext{
		Scheme:              vapisec.SchemeSession,
		Authenticated:       true,
		Principal:           s.Principal,
		Groups:              s.Groups,
		Source:              src,
		SessionID:           id,
		SessionCreated:      s.Created,
		SessionLastAccessed: s.LastAccessed,
	}
}
