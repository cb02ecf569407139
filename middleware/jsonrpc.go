package middleware

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/canonical"
	"github.com/vapisec/vapisec/datavalue"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/verifier"
)

// JSON-RPC 2.0 error codes (JSON-RPC 2.0 §5.1).
const (
	jsonrpcParseError     = datavalue.CodeParseError
	jsonrpcInvalidRequest = datavalue.CodeInvalidRequest
)

// JSONRPCResponse is a JSON-RPC 2.0 response, for handlers that build
// theirs with encoding/json. Result must then already be in the vAPI
// DataValue form VMware's clients decode (spec §13.2); package datavalue
// writes that form directly (datavalue.AppendResponse).
type JSONRPCResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *JSONRPCError   `json:"error,omitempty"`
}

// JSONRPCError is the error member of a JSON-RPC 2.0 response: only for a
// body that is not JSON (-32700) or not a vAPI JSON-RPC request (-32600);
// every vAPI error, authentication failures included, is a result
// (DESIGN §5, spec §13.3).
type JSONRPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	// Data is optional; vapisec never sets it.
	Data any `json:"data,omitempty"`
}

var jsonNull = json.RawMessage("null")

// jsonrpcParser reads the calls of JSONRPCSessionService mounted without
// the chain, and the id of refused requests; it holds no mutable state but
// its canonicalizer's buffer pool.
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

// newBodyParser returns a JSON-RPC parser for bodies of at most max bytes.
func newBodyParser(max int) (*parser.JSONRPCParser, error) {
	if max == canonical.DefaultMaxSize {
		return jsonrpcParser, nil
	}
	return parser.NewJSONRPCParser(canonical.WithMaxSize(max))
}

// jsonrpcID returns the raw id of body, or null when it cannot be read.
func jsonrpcID(body []byte) json.RawMessage {
	req, _ := jsonrpcParser.Parse(nil, body)
	return idOf(&req)
}

// jsonrpcReply is a JSON-RPC reply as bytes, as the Message of the
// *echo.HTTPError the middleware returns: Echo's error handler writes it as
// it is.
type jsonrpcReply []byte

// MarshalJSON implements json.Marshaler.
func (r jsonrpcReply) MarshalJSON() ([]byte, error) { return r, nil }

// maxIDPeek bounds what a middleware reads of a JSON-RPC body that nothing
// parsed before it refused the call, only to echo the id.
const maxIDPeek = DefaultMaxBodySize

// jsonrpcRequest reports whether c's request is a vAPI JSON-RPC call and
// returns its id: a call marked by the chain, or a POST to JSONRPCPath.
func (ec ErrorsConfig) jsonrpcRequest(c echo.Context) (json.RawMessage, bool) {
	if st := stateOf(c); st != nil && st.rpc != nil {
		return st.rpc.id, true
	}
	req := c.Request()
	path := ec.JSONRPCPath
	if path == "" {
		path = vapisec.JSONRPCPath
	}
	if req.Method != http.MethodPost || req.URL.Path != path {
		return nil, false
	}
	// Refused before anything read the body (a middleware used without
	// the chain): read it, bounded, for the id.
	body, tooLarge, err := readLimited(req, maxIDPeek)
	if tooLarge || err != nil {
		return jsonNull, true
	}
	restoreBody(req, body)
	return jsonrpcID(body), true
}

// respondJSONRPC answers the failure f of a JSON-RPC call as VMware's
// runtimes do (spec §13.3): HTTP 200, result.error the vAPI standard error
// f.kind with f.msg and the reason message, and the vapi-error header.
func (ec ErrorsConfig) respondJSONRPC(c echo.Context, id json.RawMessage, f failure) error {
	msgs := make([]datavalue.Message, 1, 2)
	msgs[0] = datavalue.Message{ID: f.msg.ID, DefaultMessage: f.msg.DefaultMessage, Args: f.msg.Args}
	if f.reason != "" && !ec.DisableReasons {
		msgs = append(msgs, datavalue.Message{ID: f.reason.MessageID(), DefaultMessage: f.reason.Description()})
	}
	e := datavalue.StdError{Kind: f.kind, Messages: msgs}
	c.Response().Header().Set(vapisec.HeaderVAPIError, e.Name())
	he := echo.NewHTTPError(http.StatusOK, jsonrpcReply(datavalue.AppendErrorResponse(make([]byte, 0, 512), id, e)))
	if f.cause != nil {
		he.Internal = f.cause
	}
	return he
}

// rpcError answers a body that is not a vAPI JSON-RPC request with a
// JSON-RPC error member (HTTP 400): code -32700 (not JSON, id null) or
// -32600.
func (ec ErrorsConfig) rpcError(c echo.Context, id json.RawMessage, code int, message string, cause error) error {
	he := echo.NewHTTPError(http.StatusBadRequest, jsonrpcReply(datavalue.AppendRPCError(nil, id, code, message)))
	if cause != nil {
		he.Internal = cause
	}
	return he
}

// invalidRequest: 400 INVALID_REQUEST (credentials that contradict each
// other: two schemes, two session ids). public is safe to show the client.
func (ec ErrorsConfig) invalidRequest(c echo.Context, public string, cause error) error {
	return ec.respond(c, failure{
		status: http.StatusBadRequest, kind: errInvalidRequest,
		msg:    Message{ID: msgContextError, DefaultMessage: "Security context creation failed, Failure: " + public, Args: []string{public}},
		reason: vapisec.ReasonMalformed, cause: cause,
	})
}

// sessionServiceID is the service of the JSON-RPC session operations
// (spec §4).
const sessionServiceID = "com.vmware.cis.session"

// SessionInfoType is the structure name of a session's information, the
// output of com.vmware.cis.session get.
const SessionInfoType = "com.vmware.cis.session.info"

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

// Reply writes the successful JSON-RPC response of the call, HTTP 200
// {"id":…,"jsonrpc":"2.0","result":{"output":<output>}}, output in the vAPI
// DataValue form (package datavalue; nil for void).
func (call JSONRPCCall) Reply(c echo.Context, output datavalue.Value) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, datavalue.AppendResponse(nil, call.ID, output))
}

// ReplyError writes the JSON-RPC response of a failed call: HTTP 200, the
// vAPI error err (usually a datavalue.StdError) in result.error, and the
// vapi-error header, as VMware's clients expect (spec §13.3).
func (call JSONRPCCall) ReplyError(c echo.Context, err datavalue.StdError) error {
	c.Response().Header().Set(vapisec.HeaderVAPIError, err.Name())
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, datavalue.AppendErrorResponse(nil, call.ID, err))
}

// JSONRPCCallHandler answers a JSON-RPC call that JSONRPCSessionService does
// not serve itself; it writes the whole JSON-RPC response (JSONRPCCall.Reply).
// The request body is the one that was verified, readable again.
type JSONRPCCallHandler func(c echo.Context, call JSONRPCCall) error

// JSONRPCSessionService returns the handler of the vAPI JSON-RPC endpoint
// (POST /api, vapisec.JSONRPCPath) for the session service
// com.vmware.cis.session (spec §4, §13.2): create needs a login scheme
// (user_pass in the body or Basic, SAML HoK or bearer, a clone ticket in
// vmware-api-clone-ticket) and answers the new session id
// ({"output":"<id>"}); get answers
// {"output":{"STRUCTURE":{"com.vmware.cis.session.info":{…}}}} and delete
// {"output":null}, both for a session id (in the body's session_id
// securityCtx and/or the vmware-api-session-id header). An unknown
// operation of the session service is answered with the vAPI error
// operation_not_found.
//
// Calls of any other service need an authenticated request (any scheme) and
// go to other; a nil other answers them with operation_not_found.
//
// Every refusal is a vAPI error in result.error with HTTP 200 (spec §13.3):
// unauthenticated with the reason as a second message, service_unavailable
// when the store is down, unable_to_allocate_resource for a quota. Mount it
// behind the chain (Chain) and AllowAnonymous, so that the handler answers
// a missing credential itself. A body over Config.MaxBodySize is refused
// (result.error invalid_argument).
func JSONRPCSessionService(cfg Config, other JSONRPCCallHandler) (echo.HandlerFunc, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	bodyParser, err := newBodyParser(cfg.MaxBodySize)
	if err != nil {
		return nil, err
	}
	return func(c echo.Context) error {
		var req *parser.JSONRPCRequest
		var body []byte
		st := stateOf(c)
		if st != nil && st.rpc != nil && st.rpc.parsed {
			req, body = &st.rpc.req, st.rpc.body
		} else {
			// Mounted without the chain's JSON-RPC middleware: parse here.
			markJSONRPC(c, &cfg.Errors, nil)
			b, tooLarge, err := readLimited(c.Request(), cfg.MaxBodySize)
			if tooLarge {
				return cfg.Errors.tooLarge(c, cfg.MaxBodySize, verifier.ErrBodyTooLarge)
			}
			if err != nil {
				return cfg.Errors.malformed(c, "the request body could not be read", err)
			}
			r, err := bodyParser.Parse(nil, b)
			if err != nil {
				if errors.Is(err, parser.ErrJSONRPCParse) {
					return cfg.Errors.rpcError(c, jsonNull, jsonrpcParseError, "Parse error", err)
				}
				return cfg.Errors.rpcError(c, idOf(&r), jsonrpcInvalidRequest, "Invalid Request", err)
			}
			req, body = &r, b
			markJSONRPC(c, &cfg.Errors, idOf(req))
		}
		id := idOf(req)
		sc := SecurityContextFrom(c)
		service, _ := req.ServiceID.StringValue()
		op, _ := req.OperationID.StringValue()
		if service != sessionServiceID {
			if !sc.Authenticated {
				return cfg.Errors.unauthenticated(c, vapisec.ReasonMissing, verifier.ErrNotSigned)
			}
			if other == nil {
				return methodNotFound(c, cfg, service, op)
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
	ok := func(output datavalue.Value) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, datavalue.AppendResponse(make([]byte, 0, 256), id, output))
	}
	switch op {
	case "create":
		if cloned(c) {
			return ok(datavalue.Secret(sc.SessionID))
		}
		if !sc.Authenticated {
			return cfg.Errors.unauthenticated(c, vapisec.ReasonMissing, verifier.ErrNotSigned)
		}
		if sc.Scheme == vapisec.SchemeSession {
			return cfg.Errors.unauthenticated(c, vapisec.ReasonSchemeNotAllowed, errSessionLogin)
		}
		s, err := cfg.Manager.Create(c.Request().Context(), session.Identity{Principal: sc.Principal, Groups: sc.Groups, Scheme: sc.Scheme})
		if errors.Is(err, session.ErrQuotaExceeded) {
			return cfg.Errors.quotaExceeded(c, err)
		}
		if errors.Is(err, session.ErrSessionLimit) {
			return cfg.Errors.unavailable(c, vapisec.ReasonSessionLimit, err)
		}
		if err != nil {
			return cfg.Errors.unavailable(c, vapisec.ReasonStoreUnavailable, err)
		}
		return ok(datavalue.Secret(s.ID))
	case "get", "delete":
		if !sc.Authenticated {
			return cfg.Errors.unauthenticated(c, vapisec.ReasonMissing, verifier.ErrNotSigned)
		}
		if sc.Scheme != vapisec.SchemeSession {
			return cfg.Errors.unauthenticated(c, vapisec.ReasonSchemeNotAllowed, errNotSession)
		}
		if op == "get" {
			return ok(datavalue.Structure{Name: SessionInfoType, Fields: []datavalue.Field{
				{Name: "created_time", Value: datavalue.String(sc.SessionCreated.UTC().Format(vapisec.TimestampLayout))},
				{Name: "last_accessed_time", Value: datavalue.String(sc.SessionLastAccessed.UTC().Format(vapisec.TimestampLayout))},
				{Name: "user", Value: datavalue.String(sc.Principal.DownLevel())},
			}})
		}
		if err := cfg.Manager.Delete(c.Request().Context(), sc.SessionID); err != nil && errors.Is(err, session.ErrStoreUnavailable) {
			return cfg.Errors.unavailable(c, vapisec.ReasonStoreUnavailable, err)
		}
		return ok(datavalue.Void{})
	}
	return methodNotFound(c, cfg, sessionServiceID, op)
}

var (
	errSessionLogin = errors.New("middleware: session create with a session id")
	errNotSession   = errors.New("middleware: session get or delete without a session id")
)

// methodNotFound answers a call of an operation nobody serves as a vAPI
// endpoint does: result.error operation_not_found (HTTP 200).
func methodNotFound(c echo.Context, cfg Config, service, op string) error {
	text := "The operation " + op + " of " + service + " is not served here."
	return cfg.Errors.respond(c, failure{
		status: http.StatusNotFound, kind: errOperationNotFound,
		msg:   Message{ID: msgOperationNotFound, DefaultMessage: text, Args: []string{service, op}},
		cause: errNoSuchOperation,
	})
}

var errNoSuchOperation = errors.New("middleware: JSON-RPC call of an operation not served")
