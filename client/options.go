package client

import (
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/vapisec/vapisec/signer"
)

// SessionStyle selects the session resource a Client uses.
type SessionStyle int

const (
	// LegacySession is the vAPI-REST session resource every vCenter since
	// 6.5 serves: POST /rest/com/vmware/cis/session logs in ({"value":id}),
	// POST …?~action=get reads the session (the keep-alive), DELETE logs
	// out.
	LegacySession SessionStyle = iota
	// APISession is the resource of vCenter 7.0 and later: POST /api/session
	// logs in ("id"), GET reads the session, DELETE logs out.
	APISession
)

// DefaultKeepAlive is the idle period after which a Client reads its
// session to keep it alive: 10 minutes, a third of vCenter's default idle
// timeout (30 minutes).
const DefaultKeepAlive = 10 * time.Minute

// config is what Options set.
type config struct {
	client    *http.Client
	user      string
	password  string
	basic     bool
	token     *signer.HeaderSigner
	bearer    oauth2.TokenSource
	style     SessionStyle
	path      string
	keepAlive time.Duration
	onError   func(error)
	now       func() time.Time
}

// Option configures a Client.
type Option func(*config) error

// WithBasicAuth logs in with HTTP Basic credentials. Default: none (one of
// WithBasicAuth, WithTokenLogin and WithTokenSource is required).
func WithBasicAuth(username, password string) Option {
	return func(c *config) error {
		if username == "" {
			return fmt.Errorf("%w: empty user name", ErrInvalidOption)
		}
		c.user, c.password, c.basic = username, password, true
		return nil
	}
}

// WithTokenLogin logs in with an "Authorization: SIGN" header from h (a
// holder-of-key or bearer SAML token), as govmomi's LoginByToken does.
// Default: none.
func WithTokenLogin(h *signer.HeaderSigner) Option {
	return func(c *config) error {
		if h == nil {
			return fmt.Errorf("%w: nil header signer", ErrInvalidOption)
		}
		c.token = h
		return nil
	}
}

// WithTokenSource logs in with an OAuth 2.0 access token from ts, sent as
// "Authorization: Bearer <token>" (scheme com.vmware.vapi.std.security.oauth)
// on the session login only; later requests carry the session id. Every
// login, re-login included, asks ts for the token (signer.BearerToken), so a
// source that refreshes (oauth2.ReuseTokenSource, the TokenSource of a
// clientcredentials.Config) gives a re-login after the session expired a
// fresh token. A source error, or an empty, expired or non-Bearer token,
// fails the login with ErrLogin and signer.ErrTokenSource before any
// request is sent. The token never follows a redirect to another origin
// (ErrCrossHostRedirect). Default: none.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *config) error {
		if ts == nil {
			return fmt.Errorf("%w: nil token source", ErrInvalidOption)
		}
		c.bearer = ts
		return nil
	}
}

// WithSessionStyle selects the session resource. Default: LegacySession,
// which every vCenter and every vapisec server serves.
func WithSessionStyle(s SessionStyle) Option {
	return func(c *config) error {
		if s != LegacySession && s != APISession {
			return fmt.Errorf("%w: unknown session style %d", ErrInvalidOption, s)
		}
		c.style = s
		return nil
	}
}

// WithSessionPath sets the path of the session resource. Default:
// vapisec.LegacySessionPath or vapisec.SessionPath, after the style.
func WithSessionPath(path string) Option {
	return func(c *config) error {
		if path == "" || path[0] != '/' {
			return fmt.Errorf("%w: session path %.40q must start with '/'", ErrInvalidOption, path)
		}
		c.path = path
		return nil
	}
}

// WithKeepAlive sets the idle period after which the client reads its
// session to keep it alive; pick less than the server's idle timeout. Zero
// disables the keep-alive. Default: DefaultKeepAlive (10 minutes).
func WithKeepAlive(period time.Duration) Option {
	return func(c *config) error {
		if period < 0 {
			return fmt.Errorf("%w: negative keep-alive period", ErrInvalidOption)
		}
		c.keepAlive = period
		return nil
	}
}

// WithHTTPClient sets the client that sends every request (its Transport
// may be a signer Transport). The Client uses a copy whose
// CheckRedirect first refuses redirects to another origin
// (ErrCrossHostRedirect) and then calls hc's CheckRedirect, if any; hc
// itself is not changed. Default: a client with http.DefaultTransport and
// no cookie jar.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrInvalidOption)
		}
		c.client = hc
		return nil
	}
}

// WithErrorHandler sets a function told about errors of the background
// keep-alive (and the re-login it may do). It must not block for long.
// Default: errors are dropped; the next request logs in again if needed.
func WithErrorHandler(f func(error)) Option {
	return func(c *config) error {
		if f == nil {
			return fmt.Errorf("%w: nil error handler", ErrInvalidOption)
		}
		c.onError = f
		return nil
	}
}

// WithClock sets the clock that measures how long the client has been idle,
// which decides when the keep-alive reads the session. The keep-alive's
// timer still waits real time: a clock that does not advance means the
// client is never idle, so the keep-alive never fires. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		c.now = now
		return nil
	}
}
