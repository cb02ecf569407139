package signer

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// SessionStyle selects the session resource a SessionClient uses.
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

// DefaultKeepAlive is the idle period after which a SessionClient reads its
// session to keep it alive: 10 minutes, a third of vCenter's default idle
// timeout (30 minutes).
const DefaultKeepAlive = 10 * time.Minute

// sessionConfig is what SessionOptions set.
type sessionConfig struct {
	client    *http.Client
	user      string
	password  string
	basic     bool
	token     *HeaderSigner
	style     SessionStyle
	path      string
	keepAlive time.Duration
	onError   func(error)
}

// SessionOption configures a SessionClient.
type SessionOption func(*sessionConfig) error

// WithBasicAuth logs in with HTTP Basic credentials. Default: none (one of
// WithBasicAuth and WithTokenLogin is required).
func WithBasicAuth(username, password string) SessionOption {
	return func(c *sessionConfig) error {
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
func WithTokenLogin(h *HeaderSigner) SessionOption {
	return func(c *sessionConfig) error {
		if h == nil {
			return fmt.Errorf("%w: nil header signer", ErrInvalidOption)
		}
		c.token = h
		return nil
	}
}

// WithSessionStyle selects the session resource. Default: LegacySession,
// which every vCenter and every vapisec server serves.
func WithSessionStyle(s SessionStyle) SessionOption {
	return func(c *sessionConfig) error {
		if s != LegacySession && s != APISession {
			return fmt.Errorf("%w: unknown session style %d", ErrInvalidOption, s)
		}
		c.style = s
		return nil
	}
}

// WithSessionPath sets the path of the session resource. Default:
// vapisec.LegacySessionPath or vapisec.SessionPath, after the style.
func WithSessionPath(path string) SessionOption {
	return func(c *sessionConfig) error {
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
func WithKeepAlive(period time.Duration) SessionOption {
	return func(c *sessionConfig) error {
		if period < 0 {
			return fmt.Errorf("%w: negative keep-alive period", ErrInvalidOption)
		}
		c.keepAlive = period
		return nil
	}
}

// WithHTTPClient sets the client that sends every request (its Transport
// may be a signer Transport). The SessionClient uses a copy whose
// CheckRedirect first refuses redirects to another origin
// (ErrCrossHostRedirect) and then calls hc's CheckRedirect, if any; hc
// itself is not changed. Default: a client with http.DefaultTransport and
// no cookie jar.
func WithHTTPClient(hc *http.Client) SessionOption {
	return func(c *sessionConfig) error {
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
func WithErrorHandler(f func(error)) SessionOption {
	return func(c *sessionConfig) error {
		if f == nil {
			return fmt.Errorf("%w: nil error handler", ErrInvalidOption)
		}
		c.onError = f
		return nil
	}
}

// checkRedirect wraps next (which refuses other origins) with the re-signing
// of a SIGN login header that http.Client copied to a same-origin hop: the
// copy was signed for the first URL, which the server would refuse.
func (c *sessionConfig) checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if err := next(req, via); err != nil {
			return err
		}
		if c.token != nil && strings.HasPrefix(req.Header.Get("Authorization"), "SIGN ") {
			return c.token.SignRequest(req)
		}
		return nil
	}
}
