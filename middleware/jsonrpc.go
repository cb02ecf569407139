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

// jsonrpcParser reads the id of refused requests and the calls of
// JSONRPCSessionService; it holds no mutable state but its canonicalizer's
// buffer pool.
var jsonrpcParser = mustJSONRPCParser()

// mustJSONRPCParser returns a JSON-RPC parser with the default options. Those
// are fixed, so an error is a bug of this module: it panics at init, loudly,
// rather than leave a nil parser for the first request to trip on.
func mustJSONRPCParser() *parser.JSONRPCParser {
	p, err := parser.NewJSONRPCParser()
	if err != nil {
		panic("middleware: the default JSON-RPC parser cannot be built: " + err.Error())
	}
	return p
}

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

// sessionServiceID is the service of the JSON-RPC session operations
// (spec §4).
const sessionServiceID = "com.vmware.cis.session"

// JSONRPCCall is a JSON-RPC call of a service other than
// com.vmware.cis.session, as JSONRPCSessionService hands it on.
type JSONRPCCall struct {
	// ID is the request's id as sent (a JSON string or number), JSON null
	// when it has none; the response must carry it.
	ID json.RawMessage

	// ServiceID and OperationID name the operation called (params.serviceId
	// and params.operationId).
	ServiceID   string
	OperationID string
}

// JSONRPCCallHandler answers a JSON-RPC call that JSONRPCSessionService does
// not serve itself; it writes the whole JSON-RPC response (JSONRPCResponse).
// The request body is the one that was verified, readable again.
type JSONRPCCallHandler func(c echo.Context, call JSONRPCCall) error

// JSONRPCSessionService returns the handler of the vAPI JSON-RPC endpoint
// (POST /api, vapisec.JSONRPCPath) for the session service
// com.vmware.cis.session (spec §4): create needs a login scheme such as a
// SAML-signed request and answers the new session id; get and delete need a
// session id in the vmware-api-session-id header. An unknown operation of
// the session service is answered with JSON-RPC -32601 Method not found.
//
// Calls of any other service need an authenticated request (any scheme; an
// anonymous one is answered 401 with a JSON-RPC -32000 error, reason
// missing) and go to other; a nil other answers them with -32601 Method not
// found.
//
// Mount it behind the chain (which must include the SAML middleware for
// signed requests) and AllowAnonymous, so that the handler answers a missing
// credential itself, in JSON-RPC form. A body over Config.MaxBodySize is
// answered with HTTP 413 and a JSON-RPC -32600 error.
func JSONRPCSessionService(cfg Config, other JSONRPCCallHandler) (echo.HandlerFunc, error) {
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
		if service != sessionServiceID {
			if !sc.Authenticated {
				return cfg.Errors.jsonrpcFailure(c, id, jsonrpcServerError, "Unauthenticated", http.StatusUnauthorized, verifier.ErrNotSigned)
			}
			if other == nil {
				return methodNotFound(c, id)
			}
			if body != nil {
				restoreBody(c.Request(), body)
			}
			return other(c, JSONRPCCall{ID: id, ServiceID: service, OperationID: op})
		}
		return sessionOperation(c, cfg, id, op, sc)
	}, nil
}

// sessionOperation answers the operation op of com.vmware.cis.session.
func sessionOperation(c echo.Context, cfg Config, id json.RawMessage, op string, sc *vapisec.SecurityContext) error {
	ok := func(result any) error {
		return c.JSON(http.StatusOK, JSONRPCResponse{JSONRPC: "2.0", ID: id, Result: map[string]any{"output": result}})
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
				CreatedTime:      sc.SessionCreated.UTC().Format(vapisec.TimestampLayout),
				LastAccessedTime: sc.SessionLastAccessed.UTC().Format(vapisec.TimestampLayout),
			})
		}
		if err := cfg.Manager.Delete(c.Request().Context(), sc.SessionID); err != nil && errors.Is(err, session.ErrStoreUnavailable) {
			return cfg.Errors.jsonrpcFailure(c, id, jsonrpcServerError, "Service unavailable", http.StatusServiceUnavailable, err)
		}
		return c.JSON(http.StatusOK, JSONRPCResponse{JSONRPC: "2.0", ID: id, Result: map[string]any{}})
	}
	return methodNotFound(c, id)
}

// methodNotFound: JSON-RPC -32601 (with HTTP 200, as JSON-RPC over HTTP
// answers a call it cannot route).
func methodNotFound(c echo.Context, id json.RawMessage) error {
	return c.JSON(http.StatusOK, JSONRPCResponse{JSONRPC: "2.0", ID: id, Error: &JSONRPCError{Code: jsonrpcMethodNotFound, Message: "Method not found"}})
}
