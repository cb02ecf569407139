package middleware

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/verifier"
)

// JSON-RPC 2.0 error codes (JSON-RPC 2.0 §5.1).
const (
	jsonrpcParseError     = -32700
	jsonrpcInvalidRequest = -32600
	jsonrpcMethodNotFound = -32601
	jsonrpcServerError    = -32000
)

// JSONRPCResponse is a JSON-RPC 2.0 response.
type JSONRPCResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *JSONRPCError   `json:"error,omitempty"`
}

// JSONRPCError is the error member of a JSON-RPC 2.0 response; Data is the
// vAPI error structure (DESIGN §5).
type JSONRPCError struct {
	Code    int        `json:"code"`
	Message string     `json:"message"`
	Data    *ErrorBody `json:"data,omitempty"`
}

var jsonNull = json.RawMessage("null")

// jsonrpcParser reads the id of refused requests; it holds no mutable state
// but its canonicalizer's buffer pool.
var jsonrpcParser, _ = parser.NewJSONRPCParser()

// jsonrpcID returns the raw id of body, or null when it cannot be read.
func jsonrpcID(body []byte) json.RawMessage {
	req, _ := jsonrpcParser.Parse(nil, body)
	switch req.ID.Kind() {
	case parser.KindString, parser.KindNumber:
		return json.RawMessage(req.ID)
	}
	return jsonNull
}

// jsonrpcFailure answers a JSON-RPC request with an error response whose
// data is the vAPI error (with the reason message), and the given HTTP
// status; 401 responses carry WWW-Authenticate.
func (ec ErrorsConfig) jsonrpcFailure(c echo.Context, id json.RawMessage, code int, message string, status int, cause error) error {
	if id == nil {
		id = jsonNull
	}
	var kind, reason = errInvalidArgument, vapisec.ReasonMalformed
	m := Message{ID: msgContextError, DefaultMessage: "Security context creation failed, Failure: " + message, Args: []string{message}}
	switch status {
	case http.StatusUnauthorized:
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, ec.challenge())
		kind, reason = errUnauthenticated, verifier.ReasonOf(cause)
		m = Message{ID: msgAuthInvalid, DefaultMessage: "Unable to authenticate user", Args: []string{}}
		if reason == vapisec.ReasonMissing {
			m = Message{ID: msgAuthRequiredAPI, DefaultMessage: "Authentication required.", Args: []string{}}
		}
	case http.StatusRequestEntityTooLarge:
		reason = ""
		m = Message{ID: msgTooLarge, DefaultMessage: "The request body is too large.", Args: []string{}}
	case http.StatusTooManyRequests:
		kind, reason = errUnableToAllocate, vapisec.ReasonUserRecordLimit
		if r, ok := session.ReasonOf(cause); ok {
			reason = r
		}
		m = Message{ID: msgQuotaExceeded, DefaultMessage: reason.Description(), Args: []string{}}
	case http.StatusServiceUnavailable:
		kind, reason = errServiceUnavailable, vapisec.ReasonStoreUnavailable
		if errors.Is(cause, session.ErrSessionLimit) {
			reason = vapisec.ReasonSessionLimit
		}
		m = Message{ID: msgServiceUnavailable, DefaultMessage: reason.Description(), Args: []string{}}
	}
	body := &ErrorBody{ErrorType: errorType(kind), Messages: []Message{m}}
	if reason != "" && !ec.DisableReasons {
		body.Messages = append(body.Messages, Message{Args: []string{}, DefaultMessage: reason.Description(), ID: reason.MessageID()})
	}
	he := echo.NewHTTPError(status, JSONRPCResponse{JSONRPC: "2.0", ID: id, Error: &JSONRPCError{Code: code, Message: message, Data: body}})
	if cause != nil {
		he.Internal = cause
	}
	return he
}

// Service and operations of the JSON-RPC session service (spec §4).
const (
	sessionServiceID = "com.vmware.cis.session"
)

// JSONRPCHandler returns the handler of a demo vAPI JSON-RPC endpoint
// (POST /api): the operations create, get and delete of the service
// com.vmware.cis.session (spec §4; create needs a login scheme such as a
// SAML-signed request, get and delete a session id in the
// vmware-api-session-id header) and, for any other operation, the
// caller's SecurityContext as the result. Mount it behind the chain (which
// must include the SAML middleware for signed requests) and a Require that
// allows anonymous requests if session.get should answer "unauthenticated"
// itself. A body over Config.MaxBodySize is answered with HTTP 413 and a
// JSON-RPC -32600 error.
func JSONRPCHandler(cfg Config) (echo.HandlerFunc, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return func(c echo.Context) error {
		body, tooLarge, err := readLimited(c.Request(), cfg.MaxBodySize)
		if tooLarge {
			return cfg.Errors.jsonrpcFailure(c, nil, jsonrpcInvalidRequest, "the request body is too large", http.StatusRequestEntityTooLarge, verifier.ErrBodyTooLarge)
		}
		if err != nil {
			return cfg.Errors.jsonrpcFailure(c, nil, jsonrpcInvalidRequest, "the request body could not be read", http.StatusBadRequest, err)
		}
		req, err := jsonrpcParser.Parse(nil, body)
		if err != nil {
			if errors.Is(err, parser.ErrJSONRPCParse) {
				return cfg.Errors.jsonrpcFailure(c, nil, jsonrpcParseError, "Parse error", http.StatusBadRequest, err)
			}
			return cfg.Errors.jsonrpcFailure(c, jsonrpcID(body), jsonrpcInvalidRequest, "Invalid Request", http.StatusBadRequest, err)
		}
		id := jsonNull
		if req.ID != nil {
			id = json.RawMessage(req.ID)
		}
		sc := SecurityContextFrom(c)
		service, _ := req.ServiceID.StringValue()
		op, _ := req.OperationID.StringValue()
		ok := func(result any) error {
			return c.JSON(http.StatusOK, JSONRPCResponse{JSONRPC: "2.0", ID: id, Result: map[string]any{"output": result}})
		}
		if service != sessionServiceID {
			if !sc.Authenticated {
				return cfg.Errors.jsonrpcFailure(c, id, jsonrpcServerError, "Unauthenticated", http.StatusUnauthorized, verifier.ErrNotSigned)
			}
			return ok(sc)
		}
		switch op {
		case "create":
			if !sc.Authenticated || sc.Scheme == vapisec.SchemeSession {
				return cfg.Errors.jsonrpcFailure(c, id, jsonrpcServerError, "Unauthenticated", http.StatusUnauthorized, verifier.ErrNotSigned)
			}
			s, err := cfg.Manager.Create(c.Request().Context(), session.Identity{Principal: sc.Principal, Groups: sc.Groups, Scheme: sc.Scheme})
			if errors.Is(err, session.ErrQuotaExceeded) {
				return cfg.Errors.jsonrpcFailure(c, id, jsonrpcServerError, "Quota exceeded", http.StatusTooManyRequests, err)
			}
			if err != nil {
				return cfg.Errors.jsonrpcFailure(c, id, jsonrpcServerError, "Service unavailable", http.StatusServiceUnavailable, err)
			}
			return ok(s.ID)
		case "get", "delete":
			if !sc.Authenticated || sc.Scheme != vapisec.SchemeSession {
				return cfg.Errors.jsonrpcFailure(c, id, jsonrpcServerError, "Unauthenticated", http.StatusUnauthorized, verifier.ErrNotSigned)
			}
			if op == "get" {
				return ok(SessionInfo{
					User:             sc.Principal.DownLevel(),
					CreatedTime:      sc.SessionCreated.UTC().Format(DateTimeLayout),
					LastAccessedTime: sc.SessionLastAccessed.UTC().Format(DateTimeLayout),
				})
			}
			if err := cfg.Manager.Delete(c.Request().Context(), sc.SessionID); err != nil && errors.Is(err, session.ErrStoreUnavailable) {
				return cfg.Errors.jsonrpcFailure(c, id, jsonrpcServerError, "Service unavailable", http.StatusServiceUnavailable, err)
			}
			return c.JSON(http.StatusOK, JSONRPCResponse{JSONRPC: "2.0", ID: id, Result: map[string]any{}})
		}
		return c.JSON(http.StatusOK, JSONRPCResponse{JSONRPC: "2.0", ID: id, Error: &JSONRPCError{Code: jsonrpcMethodNotFound, Message: "Method not found"}})
	}, nil
}
