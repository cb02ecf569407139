package client

import "errors"

// Configuration errors: the caller built a Client wrongly.
var (
	// ErrInvalidOption reports a bad option, a nil option or a base URL
	// that is not an absolute http(s) URL.
	ErrInvalidOption = errors.New("client: invalid option")
	// ErrNoCredentials reports a Client configured with no login
	// credentials: neither Basic (WithBasicAuth), nor a SAML token
	// (WithTokenLogin), nor an OAuth token source (WithTokenSource).
	ErrNoCredentials = errors.New("client: no login credentials configured")
)

// Session errors.
var (
	// ErrLogin reports a login the server refused or answered in a form the
	// client does not understand. The message names the HTTP status and,
	// when the server sent one, its vapisec reason.
	ErrLogin = errors.New("client: login failed")
	// ErrClosed reports use of a Client after Close.
	ErrClosed = errors.New("client: closed")
	// ErrCrossHostRedirect reports a redirect the client refused to follow
	// because it leads to another origin (scheme, host or port; https to
	// http included), where the session id, Basic credentials, bearer token
	// or SIGN login header it would carry could be used by another host. The message
	// names both origins. http.Client's Do returns it wrapped in a
	// *url.Error; errors.Is sees through that.
	ErrCrossHostRedirect = errors.New("client: refused redirect to another host")
)
