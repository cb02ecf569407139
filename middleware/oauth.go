package middleware

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/verifier"
)

// OAuthConfig configures the OAuth middleware.
type OAuthConfig struct {
	// Skipper defines a function to skip the middleware.
	// Default value DefaultSkipper.
	Skipper Skipper

	// Verifier verifies the access tokens.
	// Required.
	Verifier *verifier.AccessTokenVerifier

	// JSONRPCPath is the path whose POST requests are JSON-RPC calls: their
	// failures are written as JSON-RPC responses.
	// Default value vapisec.JSONRPCPath ("/api").
	JSONRPCPath string

	// MaxBodySize bounds what is read of a refused JSON-RPC request to
	// find its id (the body is read only when the request is refused).
	// Default value DefaultMaxBodySize.
	MaxBodySize int

	// Errors says how failures are written. The WWW-Authenticate header of
	// a refused token is always the RFC 6750 Bearer challenge.
	// Default value: see ErrorsConfig; Challenges default to
	// `Bearer realm="<Realm>"`.
	Errors ErrorsConfig
}

// DefaultOAuthConfig is the default OAuth middleware configuration.
var DefaultOAuthConfig = OAuthConfig{
	Skipper:     DefaultSkipper,
	JSONRPCPath: vapisec.JSONRPCPath,
	MaxBodySize: DefaultMaxBodySize,
}

// OAuth returns a middleware that authenticates requests carrying an OAuth
// 2.0 access token (scheme com.vmware.vapi.std.security.oauth, spec §3.3):
// "Authorization: Bearer <token>" (RFC 6750 §2.1) or the Go SDK's
// "csp-auth-token: <token>" header, verified by v.
//
// Requests without a bearer token pass on unchanged for the next scheme. A
// present token decides and never falls through (DESIGN §3):
//
//   - a malformed header (empty token, bytes outside visible ASCII, two
//     Authorization fields, an Authorization bearer token and a
//     csp-auth-token that differ): 400 INVALID_ARGUMENT with
//     `WWW-Authenticate: Bearer realm="…", error="invalid_request"`;
//   - a token that does not verify (malformed, bad signature, wrong issuer
//     or audience, expired, …): 401 UNAUTHENTICATED with
//     `WWW-Authenticate: Bearer realm="…", error="invalid_token"` and the
//     reason (expired, bad_signature, untrusted_issuer, audience_mismatch,
//     malformed, unsupported_algorithm, not_yet_valid);
//   - the issuer's keys cannot be fetched and none is cached: 503
//     SERVICE_UNAVAILABLE with reason keys_unavailable (fail closed).
//
// On the JSON-RPC path the same failures are JSON-RPC responses. A verified
// token gives a SecurityContext with scheme vapisec.SchemeOAuth, the token's
// principal and groups.
//
// It panics on a configuration error; use OAuthConfig.ToMiddleware to get
// the error instead.
func OAuth(v *verifier.AccessTokenVerifier) echo.MiddlewareFunc {
	c := DefaultOAuthConfig
	c.Verifier = v
	return OAuthWithConfig(c)
}

// OAuthWithConfig returns an OAuth middleware with config; see OAuth. It
// panics on a configuration error.
func OAuthWithConfig(config OAuthConfig) echo.MiddlewareFunc {
	return toMiddlewareOrPanic(config.ToMiddleware())
}

// ToMiddleware returns the OAuth middleware, or an error when the
// configuration is not usable.
func (config OAuthConfig) ToMiddleware() (echo.MiddlewareFunc, error) {
	if config.Verifier == nil {
		return nil, ErrNoAccessTokenVerifier
	}
	if config.Skipper == nil {
		config.Skipper = DefaultOAuthConfig.Skipper
	}
	if config.JSONRPCPath == "" {
		config.JSONRPCPath = vapisec.JSONRPCPath
	}
	if config.MaxBodySize <= 0 {
		config.MaxBodySize = DefaultMaxBodySize
	}
	ec := config.Errors
	realm := ec.Realm
	if realm == "" {
		realm = "vapisec"
	}
	if len(ec.Challenges) == 0 {
		ec.Challenges = []string{bearerChallenge(realm, "")}
	}
	mw := &oauthMiddleware{cfg: config, errors: ec.withDefaults(), realm: realm}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { return mw.handle(c, next) }
	}, nil
}

// bearerChallenge is the RFC 6750 §3 challenge, with an error code when
// code is not empty.
func bearerChallenge(realm, code string) string {
	s := `Bearer realm="` + strings.ReplaceAll(realm, `"`, "") + `"`
	if code != "" {
		s += `, error="` + code + `"`
	}
	return s
}

type oauthMiddleware struct {
	cfg    OAuthConfig
	errors ErrorsConfig
	realm  string
}

func (mw *oauthMiddleware) handle(c echo.Context, next echo.HandlerFunc) error {
	if mw.cfg.Skipper(c) || authenticated(c) {
		return next(c)
	}
	req := c.Request()
	tok, src, err := parser.ParseBearer(req.Header)
	if errors.Is(err, parser.ErrAbsent) {
		return next(c)
	}
	st := ensureState(c, &mw.errors)
	if err != nil {
		return mw.fail(c, http.StatusBadRequest, redactParseError(err))
	}
	at, err := mw.cfg.Verifier.Verify(req.Context(), tok)
	if err != nil {
		if errors.Is(err, verifier.ErrKeysUnavailable) {
			return mw.fail(c, http.StatusServiceUnavailable, err)
		}
		return mw.fail(c, http.StatusUnauthorized, err)
	}
	st.sc = *at.SecurityContext(src)
	return next(c)
}

// fail answers a refused request with the vAPI error body of its route
// style (REST /api or /rest, or a JSON-RPC call's result.error in the form
// VMware's SDK decodes, which ErrorsConfig picks), with the RFC 6750
// challenge on 400 and 401.
func (mw *oauthMiddleware) fail(c echo.Context, status int, cause error) error {
	var err error
	switch status {
	case http.StatusBadRequest:
		err = mw.errors.malformed(c, cause.Error(), cause)
	case http.StatusServiceUnavailable:
		err = mw.errors.unavailable(c, vapisec.ReasonKeysUnavailable, cause)
	default:
		err = mw.errors.unauthenticated(c, verifier.ReasonOf(cause), cause)
	}
	switch status {
	case http.StatusBadRequest:
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, bearerChallenge(mw.realm, "invalid_request"))
	case http.StatusUnauthorized:
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, bearerChallenge(mw.realm, "invalid_token"))
	}
	return err
}
