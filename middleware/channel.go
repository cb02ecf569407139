package middleware

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// ChannelBasicConfig configures the ChannelBasic middleware.
type ChannelBasicConfig struct {
	// Skipper defines a function to skip the middleware.
	// Default value DefaultSkipper.
	Skipper Skipper

	// Manager checks the credentials.
	// Required.
	Manager *session.Manager

	// Channel is the channel name the credentials were issued for.
	// Required.
	Channel string

	// TrustedOrigins are origins ("https://ui.example.com") besides the
	// request's own that may send unsafe requests with channel
	// credentials (the Basic CSRF rule, see BasicConfig.TrustedOrigins).
	// Default value: none.
	TrustedOrigins []string

	// Errors says how failures are written.
	// Default value: see ErrorsConfig.
	Errors ErrorsConfig
}

// DefaultChannelBasicConfig is the default ChannelBasic middleware
// configuration.
var DefaultChannelBasicConfig = ChannelBasicConfig{
	Skipper: DefaultSkipper,
}

// ChannelBasic returns a middleware for channel over m: Basic
// authentication for a secondary service of a session (zhmcclient's message
// broker pattern), where the user name and the password are those of a
// channel credential issued for channel (session.Manager.IssueChannelCredential:
// "chu-…" and "chc-…"); the session id as user name is refused, so the
// channel never needs, and never learns, a usable session. An accepted
// request gets a SecurityContext with scheme session, source authorization,
// and the session's principal; SessionID stays empty. A wrong credential,
// one for another channel or of an ended session is a 401. An unsafe request
// that the browser marks as cross-site is a 403 before the credential is
// checked, as for Basic. Requests without Basic credentials pass on
// unchanged.
//
// It panics on a configuration error; use ChannelBasicConfig.ToMiddleware
// to get the error instead.
func ChannelBasic(m *session.Manager, channel string) echo.MiddlewareFunc {
	c := DefaultChannelBasicConfig
	c.Manager = m
	c.Channel = channel
	return ChannelBasicWithConfig(c)
}

// ChannelBasicWithConfig returns a ChannelBasic middleware with config; see
// ChannelBasic. It panics on a configuration error.
func ChannelBasicWithConfig(config ChannelBasicConfig) echo.MiddlewareFunc {
	return toMiddlewareOrPanic(config.ToMiddleware())
}

// ToMiddleware returns the ChannelBasic middleware (see ChannelBasic), or an
// error when the configuration is not usable (no Manager, no Channel).
func (config ChannelBasicConfig) ToMiddleware() (echo.MiddlewareFunc, error) {
	if config.Manager == nil {
		return nil, ErrNoManager
	}
	if config.Channel == "" {
		return nil, ErrInvalidConfig
	}
	if config.Skipper == nil {
		config.Skipper = DefaultChannelBasicConfig.Skipper
	}
	ec := config.Errors.withDefaults()
	csrf := CSRFConfig{TrustedOrigins: config.TrustedOrigins, Errors: config.Errors}.guard()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if config.Skipper(c) || authenticated(c) {
				return next(c)
			}
			st := ensureState(c, &ec)
			user, pass, outcome, err := basicCredentials(c, &ec, csrf)
			switch outcome {
			case basicAbsent:
				return next(c)
			case basicAnswered:
				return err
			}
			id, err := config.Manager.VerifyChannelCredential(c.Request().Context(), user, pass, config.Channel)
			switch {
			case errors.Is(err, session.ErrStoreUnavailable):
				return ec.unavailable(c, vapisec.ReasonStoreUnavailable, err)
			case err != nil:
				return ec.unauthenticated(c, vapisec.ReasonInvalidCredentials, session.ErrUnknownChannelCredential)
			}
			st.sc = vapisec.SecurityContext{
				Scheme:        vapisec.SchemeSession,
				Authenticated: true,
				Principal:     id.Principal,
				Groups:        id.Groups,
				Source:        vapisec.SourceAuthorization,
			}
			return next(c)
		}
	}, nil
}
