package conformance

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// Option configures a Runner; NewRunner applies them in order and fails
// with the first error (ErrInvalidOption).
type Option func(*config) error

// WithBasic sets the user name and password of an account on the target.
// Default: none, which skips every case that logs in.
func WithBasic(user, password string) Option {
	return func(r *config) error {
		if user == "" {
			return fmt.Errorf("%w: empty user name", ErrInvalidOption)
		}
		r.user, r.password, r.hasBasic = user, password, true
		return nil
	}
}

// WithLevel selects the cases up to level: LevelMust runs only must cases,
// LevelShould must and should cases, LevelExtension all of them.
// Default LevelShould (what any vAPI server can be held to).
func WithLevel(level Level) Option {
	return func(r *config) error {
		if level.rank() == 0 {
			return fmt.Errorf("%w: unknown level %q", ErrInvalidOption, level)
		}
		r.level = level
		return nil
	}
}

// WithRun selects the cases whose id matches the regular expression.
// Default: every case of the level.
func WithRun(expr string) Option {
	return func(r *config) error {
		re, err := regexp.Compile(expr)
		if err != nil {
			return fmt.Errorf("%w: --run: %w", ErrInvalidOption, err)
		}
		r.run = re
		return nil
	}
}

// WithHTTPClient sets the client the requests go through. The runner
// refuses redirects whatever the client's CheckRedirect says, so that no
// request leaves the target. Default: a client with a 30 s timeout and the
// default transport.
func WithHTTPClient(c *http.Client) Option {
	return func(r *config) error {
		if c == nil {
			return fmt.Errorf("%w: nil HTTP client", ErrInvalidOption)
		}
		r.client = c
		return nil
	}
}

// WithIdleTimeout tells the runner the target's session idle timeout, which
// enables the expiry cases (they wait that long plus a margin). Default: 0,
// which skips them.
func WithIdleTimeout(d time.Duration) Option {
	return func(r *config) error {
		if d < 0 || d > 30*time.Second {
			return fmt.Errorf("%w: idle timeout %v: want up to 30s", ErrInvalidOption, d)
		}
		r.idleTimeout = d
		return nil
	}
}

// WithHoK sets the holder-of-key private key and its certificate, for the
// signed-request cases. With WithSTS the runner issues HoK tokens for this
// certificate; with WithToken the token must be a HoK token confirmed by it.
// Default: none, which skips the HoK cases.
func WithHoK(key crypto.Signer, cert *x509.Certificate) Option {
	return func(r *config) error {
		if key == nil || cert == nil {
			return fmt.Errorf("%w: HoK key and certificate go together", ErrInvalidOption)
		}
		r.hokKey, r.hokCert = key, cert
		return nil
	}
}

// WithSTS sets an STS key and certificate the target trusts; the runner
// issues its own tokens (HoK, bearer, expired) with them.
// Default: none.
func WithSTS(key crypto.Signer, cert *x509.Certificate) Option {
	return func(r *config) error {
		if key == nil || cert == nil {
			return fmt.Errorf("%w: STS key and certificate go together", ErrInvalidOption)
		}
		r.stsKey, r.stsCert = key, cert
		return nil
	}
}

// WithToken sets a SAML token (the Assertion XML) the target trusts: a HoK
// token (used with WithHoK's key) or a bearer token.
// Default: none.
func WithToken(xml []byte) Option {
	return func(r *config) error {
		if len(xml) == 0 {
			return fmt.Errorf("%w: empty token", ErrInvalidOption)
		}
		r.token = append([]byte(nil), xml...)
		return nil
	}
}

// WithSubject sets the principal ("user@domain") of the tokens the runner
// issues with WithSTS. Default: the WithBasic user when it contains '@',
// else "conformance@vsphere.local".
func WithSubject(upn string) Option {
	return func(r *config) error {
		r.subject = upn
		return nil
	}
}

// WithSuite runs s instead of the embedded suite. Default: Default().
func WithSuite(s *Suite) Option {
	return func(r *config) error {
		if s == nil {
			return fmt.Errorf("%w: nil suite", ErrInvalidOption)
		}
		if err := s.Validate(); err != nil {
			return err
		}
		r.suite = s
		return nil
	}
}

// WithClock sets the clock used to date signed requests and tokens.
// Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(r *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrInvalidOption)
		}
		r.now = now
		return nil
	}
}
