package soap

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// Authenticator checks the user name and password of SessionManager.Login.
// It is the same contract as middleware.Authenticator (middleware.MountSOAP
// adapts one): return the user's identity, or an error wrapping
// ErrInvalidLogin when the credentials are wrong. Any other error means the
// authenticator could not decide; the login is refused with 503. It must be
// safe for concurrent use.
type Authenticator interface {
	Authenticate(ctx context.Context, username, password string) (session.Identity, error)
}

// AuthenticatorFunc adapts a function to the Authenticator interface.
type AuthenticatorFunc func(ctx context.Context, username, password string) (session.Identity, error)

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(ctx context.Context, username, password string) (session.Identity, error) {
	return f(ctx, username, password)
}

// TokenRequest is what a TokenLogin is given for one
// SessionManager.LoginByToken call.
type TokenRequest struct {
	// Envelope is the parsed request; the WS-Security header is in
	// Envelope.Header.
	Envelope *Envelope
	// Body is the exact request body the envelope was parsed from.
	Body []byte
	// HTTP is the request (headers, TLS state); its body has been read.
	HTTP *http.Request
	// Host is the host the request was sent to (HTTP.Host), for host
	// binding.
	Host string
}

// TokenLogin authenticates SessionManager.LoginByToken from the WS-Security
// header govmomi's sts.Signer writes (SAML bearer or holder-of-key). It
// returns the identity for the new session, with Scheme set to the SAML
// scheme it verified; an error wrapping ErrInvalidLogin (a bad, expired,
// replayed or untrusted token or signature) is answered with the
// InvalidLogin fault, any other error with 503. It must be safe for
// concurrent use.
type TokenLogin interface {
	LoginByToken(ctx context.Context, req *TokenRequest) (session.Identity, error)
}

// Option configures NewHandler.
type Option func(*config) error

type config struct {
	auth           Authenticator
	token          TokenLogin
	admins         []vapisec.Principal
	maxBody        int64
	cookiePath     string
	insecureCookie bool
	trusted        []string
	errorLog       func(*http.Request, error)
}

// DefaultMaxBodySize is the default request body limit: a LoginByToken
// envelope with a HoK token and its signature is a few KiB.
const DefaultMaxBodySize = 256 << 10

func defaultConfig() config {
	return config{maxBody: DefaultMaxBodySize, cookiePath: "/"}
}

// WithAuthenticator sets the Authenticator of SessionManager.Login. Without
// it Login answers InvalidLogin for everyone.
func WithAuthenticator(a Authenticator) Option {
	return func(c *config) error {
		if a == nil {
			return fmt.Errorf("%w: nil Authenticator", ErrConfig)
		}
		c.auth = a
		return nil
	}
}

// WithTokenLogin sets the verifier of SessionManager.LoginByToken. Without
// it LoginByToken answers the NotImplemented fault.
func WithTokenLogin(t TokenLogin) Option {
	return func(c *config) error {
		if t == nil {
			return fmt.Errorf("%w: nil TokenLogin", ErrConfig)
		}
		c.token = t
		return nil
	}
}

// WithAdmins sets the principals allowed to call TerminateSession (and to
// ask SessionIsActive about other users' sessions). Principals compare
// exactly, as middleware.Config.Admins does. Default: none.
func WithAdmins(admins ...vapisec.Principal) Option {
	return func(c *config) error {
		for _, a := range admins {
			if a.IsZero() {
				return fmt.Errorf("%w: empty admin principal", ErrConfig)
			}
		}
		c.admins = slices.Clone(admins)
		return nil
	}
}

// WithMaxBodySize bounds request bodies; a longer one is answered with 413
// before it is parsed. Default DefaultMaxBodySize.
func WithMaxBodySize(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: non-positive body size", ErrConfig)
		}
		c.maxBody = n
		return nil
	}
}

// WithCookiePath sets the Path of the vmware_soap_session cookie. Default
// "/" (what vCenter sends).
func WithCookiePath(p string) Option {
	return func(c *config) error {
		if p == "" || p[0] != '/' {
			return fmt.Errorf("%w: cookie path must start with /", ErrConfig)
		}
		c.cookiePath = p
		return nil
	}
}

// WithInsecureCookie leaves the Secure attribute off the vmware_soap_session
// cookie so that it also travels over plain HTTP (Go's cookie jar, which
// govmomi uses, does not send a Secure cookie to an http:// URL).
// WARNING: only for local development over http://; over a network the
// session id can then be read by anyone on the path.
func WithInsecureCookie() Option {
	return func(c *config) error {
		c.insecureCookie = true
		return nil
	}
}

// WithTrustedOrigins adds origins ("https://ui.example.com") besides the
// request's own from which browsers may post to the handler. Default: none.
func WithTrustedOrigins(origins ...string) Option {
	return func(c *config) error {
		c.trusted = slices.Clone(origins)
		return nil
	}
}

// WithErrorLog sets a function that receives the internal cause of every
// refused request (never sent to the client; it never holds a password,
// a session id or a ticket). Default: discarded.
func WithErrorLog(f func(*http.Request, error)) Option {
	return func(c *config) error {
		if f == nil {
			return fmt.Errorf("%w: nil error log", ErrConfig)
		}
		c.errorLog = f
		return nil
	}
}
