package middleware

import (
	"context"
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
)

// Identity is what an Authenticator knows about a user it accepted.
type Identity struct {
	// Principal is the authenticated user. When its Name is empty the
	// middleware uses vapisec.ParsePrincipal of the user name that was sent,
	// spelled as the client typed it. Return the directory's canonical
	// principal instead (the account's own spelling and domain), so that
	// one account is one principal in logs, groups and authorization
	// checks. Session quotas and the administrator's per-user operations
	// compare names case-insensitively (session.UserKey) either way, so
	// "alice" and "ALICE" share one quota; they cannot know that
	// "CORP\alice" and "alice@corp.example" are one account when the
	// domains differ in more than case.
	Principal vapisec.Principal
	// Groups the user belongs to.
	Groups []string
}

// Authenticator checks a user name and password.
//
// Authenticate returns the identity of the user, or an error that wraps
// ErrInvalidCredentials when the credentials are wrong (answered with 401).
// Any other error means the authenticator could not decide (a directory is
// down, say): the request is refused with 503, never let through.
//
// Implementations must be safe for concurrent use and should compare secrets
// in constant time (crypto/subtle). An Authenticator backed by a
// case-insensitive directory (vCenter SSO, Active Directory, LDAP) should
// return the account's canonical principal in Identity.Principal rather
// than leave it to the spelling the client sent.
type Authenticator interface {
	Authenticate(ctx context.Context, username, password string) (Identity, error)
}

// AuthenticatorFunc adapts a function to the Authenticator interface.
type AuthenticatorFunc func(ctx context.Context, username, password string) (Identity, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, username, password string) (Identity, error) {
	return f(ctx, username, password)
}

// BasicConfig configures the Basic middleware.
type BasicConfig struct {
	// Skipper defines a function to skip the middleware.
	// Default value DefaultSkipper.
	Skipper Skipper

	// Authenticator checks the user name and password.
	// Required.
	Authenticator Authenticator

	// TrustedOrigins are origins ("https://ui.example.com") besides the
	// request's own from which browsers may send unsafe requests with Basic
	// credentials; see CSRFConfig.
	// Default value: none.
	TrustedOrigins []string

	// Errors says how failures are written.
	// Default value: see ErrorsConfig.
	Errors ErrorsConfig
}

// DefaultBasicConfig is the default Basic middleware configuration.
var DefaultBasicConfig = BasicConfig{
	Skipper: DefaultSkipper,
}

// Basic returns a middleware that authenticates requests carrying
// "Authorization: Basic …" (RFC 7617) with a.
//
// Decoding is strict (DESIGN Q2): the scheme is matched case-insensitively and
// followed by one space, the credentials are standard base64 with padding,
// valid UTF-8 without control characters, with a non-empty user and a colon;
// only one Authorization header is allowed. A malformed credential is
// answered with 400 INVALID_ARGUMENT, wrong credentials with 401 and a
// WWW-Authenticate header.
//
// Browsers cache Basic credentials and attach them to cross-site form
// posts, so an unsafe request (not GET, HEAD, OPTIONS, TRACE) with Basic
// credentials that the browser marks as cross-site (Sec-Fetch-Site other
// than "same-origin" or "none", or, without it, an Origin that is neither
// the request's own nor one of TrustedOrigins) is refused with 403
// UNAUTHORIZED before the password is checked. Non-browser clients send
// neither header and are not affected. Requests without Basic credentials pass on
// unchanged for the next scheme.
//
// It panics on a configuration error; use BasicConfig.ToMiddleware to get
// the error instead.
func Basic(a Authenticator) echo.MiddlewareFunc {
	c := DefaultBasicConfig
	c.Authenticator = a
	return BasicWithConfig(c)
}

// BasicWithConfig returns a Basic middleware with config; see Basic. It
// panics on a configuration error.
func BasicWithConfig(config BasicConfig) echo.MiddlewareFunc {
	return toMiddlewareOrPanic(config.ToMiddleware())
}

// ToMiddleware returns the Basic middleware, or an error when the
// configuration is not usable.
func (config BasicConfig) ToMiddleware() (echo.MiddlewareFunc, error) {
	if config.Authenticator == nil {
		return nil, ErrNoAuthenticator
	}
	if config.Skipper == nil {
		config.Skipper = DefaultBasicConfig.Skipper
	}
	mw := &basicMiddleware{auth: config.Authenticator, skipper: config.Skipper, errors: config.Errors.withDefaults()}
	mw.csrf = CSRFConfig{TrustedOrigins: config.TrustedOrigins, Errors: config.Errors}.guard()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { return mw.handle(c, next) }
	}, nil
}

// basicMiddleware is the Basic middleware's state, built once.
type basicMiddleware struct {
	auth    Authenticator
	skipper Skipper
	errors  ErrorsConfig
	// csrf refuses cross-site unsafe requests with Basic credentials.
	csrf *csrfGuard
}

func (mw *basicMiddleware) handle(c echo.Context, next echo.HandlerFunc) error {
	if mw.skipper(c) || authenticated(c) {
		return next(c)
	}
	st := ensureState(c, &mw.errors)
	user, pass, outcome, err := basicCredentials(c, &mw.errors, mw.csrf)
	switch outcome {
	case basicAbsent:
		return next(c)
	case basicAnswered:
		return err
	}
	sc, err := authenticateUserPass(c, mw.auth, &mw.errors, user, pass, vapisec.SourceAuthorization)
	if err != nil {
		return err
	}
	st.sc = sc
	return next(c)
}

// basicOutcome says what basicCredentials found in a request.
type basicOutcome int

const (
	// basicPresent: well-formed Basic credentials, not refused as
	// cross-site; the caller checks them.
	basicPresent basicOutcome = iota
	// basicAbsent: no Basic credentials; the request passes on unchanged
	// for the next scheme.
	basicAbsent
	// basicAnswered: the request was answered (400 for malformed
	// credentials, 403 for a cross-site unsafe request); the caller
	// returns the error it got.
	basicAnswered
)

// basicCredentials is the preamble Basic and ChannelBasic share: it parses
// the Basic credentials of c's request, answers malformed ones with a 400
// (the parser error redacted to its sentinel: never the password), and
// refuses a cross-site unsafe request with csrf before the caller checks the
// password, so a cross-site page can neither use nor probe the browser's
// cached credentials.
func basicCredentials(c echo.Context, ec *ErrorsConfig, csrf *csrfGuard) (user, pass string, outcome basicOutcome, err error) {
	user, pass, err = parser.ParseBasic(c.Request().Header)
	if errors.Is(err, parser.ErrAbsent) {
		return "", "", basicAbsent, nil
	}
	if err != nil {
		cause := redactParseError(err)
		return "", "", basicAnswered, ec.malformed(c, cause.Error(), cause)
	}
	if refused, err := csrf.checkBasic(c); refused {
		return "", "", basicAnswered, err
	}
	return user, pass, basicPresent, nil
}

// authenticateUserPass checks user and pass with auth and returns the
// SecurityContext of the user, or answers the request (401 for bad
// credentials, 503 when auth cannot decide) and returns that answer's error.
// It is the one user_pass check of Basic and of the JSON-RPC body.
func authenticateUserPass(c echo.Context, auth Authenticator, ec *ErrorsConfig, user, pass string, src vapisec.CredentialSource) (vapisec.SecurityContext, error) {
	id, err := auth.Authenticate(c.Request().Context(), user, pass)
	switch {
	case errors.Is(err, ErrInvalidCredentials):
		// The cause kept for the logs names the category only: never the
		// password.
		return vapisec.SecurityContext{}, ec.unauthenticated(c, vapisec.ReasonInvalidCredentials, ErrInvalidCredentials)
	case err != nil:
		return vapisec.SecurityContext{}, ec.unavailable(c, vapisec.ReasonStoreUnavailable, err)
	}
	if id.Principal.IsZero() {
		id.Principal = vapisec.ParsePrincipal(user)
	}
	return vapisec.SecurityContext{
		Scheme:        vapisec.SchemeUserPass,
		Authenticated: true,
		Principal:     id.Principal,
		Groups:        id.Groups,
		Source:        src,
	}, nil
}
