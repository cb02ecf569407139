package middleware

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
)

// Message is a vAPI LocalizableMessage as it appears in error bodies
// (spec §5.2). Args is never nil so that it encodes as [] like vCenter's.
type Message struct {
	Args           []string `json:"args"`
	DefaultMessage string   `json:"default_message"`
	ID             string   `json:"id"`
}

// ErrorBody is the vAPI error structure: the body of an error on /api routes,
// and the "value" of the legacy wrapper on /rest routes.
type ErrorBody struct {
	ErrorType string    `json:"error_type,omitempty"`
	Messages  []Message `json:"messages"`
}

// LegacyErrorBody is the /rest error envelope:
// {"type":"com.vmware.vapi.std.errors.<name>","value":{…}}.
type LegacyErrorBody struct {
	Type  string    `json:"type"`
	Value ErrorBody `json:"value"`
}

// Error kinds: the vAPI standard error names used by this package (spec §5.1).
const (
	errUnauthenticated    = "unauthenticated"
	errUnauthorized       = "unauthorized"
	errInvalidArgument    = "invalid_argument"
	errServiceUnavailable = "service_unavailable"
	errNotFound           = "not_found"
	errOperationNotFound  = "operation_not_found"
	errInvalidRequest     = "invalid_request"
)

// Message ids (spec §5.3).
const (
	msgAuthRequiredAPI    = "com.vmware.vapi.endpoint.method.authentication.required"
	msgAuthRequiredLegacy = "vapi.method.authentication.required"
	msgAuthInvalid        = "vapi.security.authentication.invalid"
	msgAuthScheme         = "vapi.security.authentication.scheme"
	msgContextError       = "vapi.security.rest.context.error"
	msgServiceUnavailable = "vapisec.service.unavailable"
	msgForbidden          = "vapisec.request.forbidden"
	msgOperationNotFound  = "vapisec.operation.not_found"
	msgTooLarge           = "vapisec.request.too_large"
)

// ErrorsConfig says how errors are written. The zero value is usable.
type ErrorsConfig struct {
	// Realm is the realm of the WWW-Authenticate challenges.
	// Default value "vapisec".
	Realm string

	// Challenges are the WWW-Authenticate challenges sent with every 401,
	// e.g. `Basic realm="vapisec"`. Default value: one challenge per
	// enabled login scheme, computed by Chain and RegisterSessionEndpoints;
	// `Basic realm="<Realm>"` for a standalone middleware.
	Challenges []string

	// LegacyPrefix is the path prefix of the legacy vAPI-REST routes whose
	// errors use the {"type":…,"value":…} wrapper.
	// Default value "/rest".
	LegacyPrefix string

	// JSONRPCPath is the path whose POST requests are vAPI JSON-RPC calls:
	// their failures are answered in JSON-RPC form (HTTP 200 with
	// result.error, spec §13.3) whichever middleware refuses them.
	// Default value vapisec.JSONRPCPath ("/api").
	JSONRPCPath string

	// DisableReasons leaves the "vapisec.reason.<reason>" message out of
	// error bodies. Default value false: reasons are sent.
	DisableReasons bool
}

// isZero reports whether no field was set.
func (ec ErrorsConfig) isZero() bool {
	return ec.Realm == "" && len(ec.Challenges) == 0 && ec.LegacyPrefix == "" && ec.JSONRPCPath == "" && !ec.DisableReasons
}

func (ec ErrorsConfig) withDefaults() ErrorsConfig {
	if ec.Realm == "" {
		ec.Realm = "vapisec"
	}
	if ec.LegacyPrefix == "" {
		ec.LegacyPrefix = "/rest"
	}
	if ec.JSONRPCPath == "" {
		ec.JSONRPCPath = vapisec.JSONRPCPath
	}
	if len(ec.Challenges) == 0 {
		ec.Challenges = []string{`Basic realm="` + ec.Realm + `"`}
	}
	return ec
}

// challenge is the WWW-Authenticate value.
func (ec ErrorsConfig) challenge() string { return strings.Join(ec.Challenges, ", ") }

// legacy reports whether the request is on a legacy /rest route.
func (ec ErrorsConfig) legacy(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == ec.LegacyPrefix || strings.HasPrefix(p, ec.LegacyPrefix+"/")
}

// failure describes one refused request.
type failure struct {
	status int            // HTTP status
	kind   string         // vAPI error name (unauthenticated, invalid_argument, …)
	msg    Message        // the main message
	reason vapisec.Reason // machine-readable reason, "" for none
	cause  error          // internal cause, for logs only
}

// errorType is the upper-case error_type of a vAPI error name.
func errorType(kind string) string { return strings.ToUpper(kind) }

// respond turns f into the error the middleware returns: an *echo.HTTPError
// carrying the vAPI body as Message (Echo's default error handler writes it as
// JSON) and the cause as Internal. It sets WWW-Authenticate on 401 responses.
// A fresh HTTPError is built every time: shared errors such as
// echo.ErrUnauthorized are never modified.
func (ec ErrorsConfig) respond(c echo.Context, f failure) error {
	if id, ok := ec.jsonrpcRequest(c); ok {
		return ec.respondJSONRPC(c, id, f)
	}
	if f.status == http.StatusUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, ec.challenge())
	}
	if f.msg.Args == nil {
		f.msg.Args = []string{}
	}
	body := ErrorBody{Messages: []Message{f.msg}}
	if f.reason != "" && !ec.DisableReasons {
		body.Messages = append(body.Messages, Message{Args: []string{}, DefaultMessage: f.reason.Description(), ID: f.reason.MessageID()})
	}
	var msg any
	if ec.legacy(c) {
		msg = LegacyErrorBody{Type: "com.vmware.vapi.std.errors." + f.kind, Value: body}
	} else {
		body.ErrorType = errorType(f.kind)
		msg = body
	}
	he := echo.NewHTTPError(f.status, msg)
	if f.cause != nil {
		he.Internal = f.cause
	}
	return he
}

// unauthenticated: 401 with the "authentication required" message of the
// route style, or "unable to authenticate user" when a credential was
// rejected.
func (ec ErrorsConfig) unauthenticated(c echo.Context, reason vapisec.Reason, cause error) error {
	m := Message{ID: msgAuthInvalid, DefaultMessage: "Unable to authenticate user"}
	if reason == vapisec.ReasonMissing {
		if ec.legacy(c) {
			m = Message{ID: msgAuthRequiredLegacy, DefaultMessage: "This method requires authentication."}
		} else {
			m = Message{ID: msgAuthRequiredAPI, DefaultMessage: "Authentication required."}
		}
	}
	return ec.respond(c, failure{status: http.StatusUnauthorized, kind: errUnauthenticated, msg: m, reason: reason, cause: cause})
}

// malformed: 400 INVALID_ARGUMENT with vapi.security.rest.context.error, as
// the GoSDK answers a malformed Basic header (spec §5.3). public is a short
// description safe to show the client (never attacker bytes or secrets).
func (ec ErrorsConfig) malformed(c echo.Context, public string, cause error) error {
	return ec.respond(c, failure{
		status: http.StatusBadRequest, kind: errInvalidArgument,
		msg:    Message{ID: msgContextError, DefaultMessage: "Security context creation failed, Failure: " + public, Args: []string{public}},
		reason: vapisec.ReasonMalformed, cause: cause,
	})
}

// unavailable: 503 SERVICE_UNAVAILABLE (fail closed).
func (ec ErrorsConfig) unavailable(c echo.Context, reason vapisec.Reason, cause error) error {
	text := reason.Description()
	return ec.respond(c, failure{
		status: http.StatusServiceUnavailable, kind: errServiceUnavailable,
		msg:    Message{ID: msgServiceUnavailable, DefaultMessage: text, Args: []string{}},
		reason: reason, cause: cause,
	})
}
