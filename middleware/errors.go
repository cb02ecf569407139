package middleware

import "errors"

// Configuration errors, returned by the ToMiddleware methods, Chain and
// RegisterSessionEndpoints.
var (
	// ErrNoManager: a session.Manager is required.
	ErrNoManager = errors.New("middleware: a session manager is required")
	// ErrNoAuthenticator: an Authenticator is required.
	ErrNoAuthenticator = errors.New("middleware: an authenticator is required")
	// ErrNoLoginScheme: the session endpoints need at least one login scheme.
	ErrNoLoginScheme = errors.New("middleware: session login needs at least one login scheme (an Authenticator for Basic)")
	// ErrNoVerifier: the SAML middleware needs a verifier.RequestVerifier.
	ErrNoVerifier = errors.New("middleware: a request verifier is required")
	// ErrNoAccessTokenVerifier: the OAuth middleware needs a
	// verifier.AccessTokenVerifier.
	ErrNoAccessTokenVerifier = errors.New("middleware: an access token verifier is required")
	// ErrInvalidConfig: a configuration value is not acceptable.
	ErrInvalidConfig = errors.New("middleware: invalid configuration")
)

// Errors an Authenticator returns.
var (
	// ErrInvalidCredentials is what an Authenticator returns (or wraps) when
	// the user name or password is wrong. The middleware answers 401. Any
	// other error from an Authenticator is treated as a failure of the
	// authentication backend and answered with 503: the request is refused,
	// never let through.
	ErrInvalidCredentials = errors.New("middleware: invalid user name or password")
)
