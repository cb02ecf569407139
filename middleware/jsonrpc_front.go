package middleware

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/verifier"
)

// jsonrpcState is what vapisec knows of a JSON-RPC call: its id (for the
// replies) and, once the JSON-RPC middleware parsed the body, the parsed
// envelope, which the SAML middleware and JSONRPCSessionService reuse so
// that a body is parsed once.
type jsonrpcState struct {
	// id is the request's id as sent (a JSON string or number), JSON null
	// when it has none or the body could not be read.
	id json.RawMessage
	// parsed reports that req holds body parsed (successfully).
	parsed bool
	// byVerifier reports that req was parsed by the RequestVerifier's own
	// parser, so that it may verify req as it is.
	byVerifier bool
	body       []byte
	req        parser.JSONRPCRequest
	// buf is the parse buffer, kept for the pool.
	buf []byte
}

// markJSONRPC marks the request as a JSON-RPC call with id and returns its
// state.
func markJSONRPC(c echo.Context, ec *ErrorsConfig, id json.RawMessage) *jsonrpcState {
	st := ensureState(c, ec)
	if st.rpc == nil {
		st.rpc = &jsonrpcState{}
	}
	if id == nil {
		id = jsonNull
	}
	st.rpc.id = id
	return st.rpc
}

// jsonrpcPool recycles the JSON-RPC states of the chain (their parse
// buffer with them).
var jsonrpcPool = sync.Pool{New: func() any { return &jsonrpcState{} }}

// jsonrpcBufMax is the largest parse buffer kept in the pool.
const jsonrpcBufMax = 64 << 10

// jsonrpcFront is the JSON-RPC middleware of the chain (DESIGN Q19): on a
// POST to the JSON-RPC path it reads and parses the body once, answers a
// body that is not a request (-32700, -32600), and authenticates the
// schemes that travel in params.ctx.securityCtx and need no signature:
// user_pass (the Authenticator, as strict as Basic) and session_id (the
// Manager). SAML bodies go on to the SAML middleware, which verifies the
// parsed request; OAuth (accessToken) goes through the chain's
// AccessTokenVerifier, the one of the OAuth middleware, and is refused when
// none is configured (bodyOAuth). A body scheme together with a header credential of another
// scheme is ambiguous and refused; a body session id must equal the header
// or cookie one.
type jsonrpcFront struct {
	path      string
	maxBody   int
	parser    *parser.JSONRPCParser
	byVer     bool
	extractor *parser.SessionIDExtractor
	maxID     int
	manager   *session.Manager
	auth      Authenticator
	saml      bool
	oauth     *verifier.AccessTokenVerifier
	csrf      *csrfGuard
	errors    ErrorsConfig
}

// jsonrpcMiddleware returns the chain's JSON-RPC middleware for cfg (with
// defaults applied).
func (cfg Config) jsonrpcMiddleware() (echo.MiddlewareFunc, error) {
	x, err := parser.NewSessionIDExtractor(cfg.SessionLookup, parser.WithMaxSessionIDLength(cfg.MaxSessionIDLength))
	if err != nil {
		return nil, err
	}
	f := &jsonrpcFront{
		path: cfg.Errors.JSONRPCPath, maxBody: cfg.MaxBodySize, extractor: x, maxID: cfg.MaxSessionIDLength,
		manager: cfg.Manager, auth: cfg.Authenticator, saml: cfg.RequestVerifier != nil, oauth: cfg.AccessTokenVerifier, errors: cfg.Errors,
		csrf: CSRFConfig{TrustedOrigins: cfg.TrustedOrigins, Errors: cfg.Errors}.guard(),
	}
	switch v := cfg.RequestVerifier; {
	case v != nil && cfg.MaxBodySize <= v.MaxBodySize():
		f.parser, f.byVer = v.Parser(), true
	default:
		p, err := newBodyParser(cfg.MaxBodySize)
		if err != nil {
			return nil, err
		}
		f.parser = p
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.Method != http.MethodPost || req.URL.Path != f.path || authenticated(c) {
				return next(c)
			}
			return f.handle(c, next)
		}
	}, nil
}

func (f *jsonrpcFront) handle(c echo.Context, next echo.HandlerFunc) error {
	req := c.Request()
	st := ensureState(c, &f.errors)
	rpc := jsonrpcPool.Get().(*jsonrpcState)
	rpc.id = jsonNull
	st.rpc = rpc
	defer func() {
		st.rpc = nil
		buf := rpc.buf
		*rpc = jsonrpcState{}
		if cap(buf) <= jsonrpcBufMax {
			rpc.buf = buf[:0]
		}
		jsonrpcPool.Put(rpc)
	}()
	// The deferred release runs after next: replies written by the chain
	// are bytes by then, never views of rpc.
	body, tooLarge, err := readLimited(req, f.maxBody)
	if tooLarge {
		return f.errors.tooLarge(c, f.maxBody, verifier.ErrBodyTooLarge)
	}
	if err != nil {
		return f.errors.malformed(c, "the request body could not be read", err)
	}
	restoreBody(req, body)
	parsed, err := f.parser.Parse(rpc.buf[:0], body)
	rpc.buf = parsed.Buf
	if err != nil {
		if errors.Is(err, parser.ErrJSONRPCParse) {
			return f.errors.rpcError(c, jsonNull, jsonrpcParseError, "Parse error", err)
		}
		return f.errors.rpcError(c, idOf(&parsed), jsonrpcInvalidRequest, "Invalid Request", err)
	}
	rpc.id, rpc.parsed, rpc.byVerifier, rpc.body, rpc.req = idOf(&parsed), true, f.byVer, body, parsed
	sc := &rpc.req.SecurityCtx
	if tickets := req.Header.Values(vapisec.HeaderCloneTicket); len(tickets) > 0 && f.sessionCreate(&rpc.req) {
		// A clone ticket is the login credential of session create: the
		// CloneTicket middleware of the session endpoints redeems it there.
		if bodyScheme(sc) != "" {
			return f.errors.invalidRequest(c, "a clone ticket must be the only credential", errAmbiguous)
		}
		return f.cloneTicket(c, next, tickets)
	}
	scheme := bodyScheme(sc)
	switch {
	case !rpc.req.HasSecurityCtx || scheme == "":
		if sc.SchemeID.Kind != parser.KindAbsent && !sc.SchemeID.IsString() {
			return f.errors.malformed(c, "schemeId is not a string", errSchemeIDType)
		}
		// No scheme in the body (or no_authentication): the headers decide.
		return next(c)
	case scheme == vapisec.SchemeSession:
		return f.bodySession(c, next, st, sc)
	}
	if f.headerCredential(req) {
		return f.errors.invalidRequest(c, "the request carries credentials of two schemes", errAmbiguous)
	}
	switch scheme {
	case vapisec.SchemeUserPass:
		return f.bodyUserPass(c, next, st, sc)
	case vapisec.SchemeSAMLHoK, vapisec.SchemeSAMLBearer:
		if !f.saml {
			return f.errors.unauthenticated(c, vapisec.ReasonSchemeNotAllowed, verifier.ErrSchemeNotAllowed)
		}
		return next(c) // the SAML middleware verifies the parsed body
	case vapisec.SchemeOAuth:
		return f.bodyOAuth(c, next, st, sc)
	}
	if f.saml && samlCaseVariant(sc) {
		return next(c) // refused by the SAML middleware as malformed
	}
	return f.errors.unauthenticated(c, vapisec.ReasonSchemeNotAllowed, errUnknownScheme)
}

// Causes of refused body credentials (for the logs).
var (
	errAmbiguous        = errors.New("middleware: JSON-RPC request with credentials of two schemes")
	errSessionMismatch  = errors.New("middleware: the body and header session ids differ")
	errSchemeIDType     = errors.New("middleware: securityCtx schemeId is not a string")
	errUnknownScheme    = errors.New("middleware: unknown securityCtx schemeId")
	errOAuthNotEnabled  = errors.New("middleware: the oauth scheme is not enabled")
	errUserPassDisabled = errors.New("middleware: user_pass needs an Authenticator")
)

// bodyScheme returns the scheme of a string schemeId ("" when absent, not a
// string, or no_authentication).
func bodyScheme(sc *parser.SecurityCtx) vapisec.SchemeID {
	if !sc.SchemeID.IsString() {
		return ""
	}
	v := sc.SchemeID.Value
	if string(v) == string(vapisec.SchemeNoAuthentication) {
		return ""
	}
	// The schemes a body names are returned as the constants: comparing
	// costs no copy, converting the bytes would on every request.
	for _, s := range knownBodySchemes {
		if string(v) == string(s) {
			return s
		}
	}
	return vapisec.SchemeID(v)
}

// knownBodySchemes are the schemes bodyScheme returns without a copy.
var knownBodySchemes = [...]vapisec.SchemeID{vapisec.SchemeSession, vapisec.SchemeSAMLHoK,
	vapisec.SchemeUserPass, vapisec.SchemeSAMLBearer, vapisec.SchemeOAuth}

// samlCaseVariant reports a schemeId that is a SAML scheme in another case
// (the verifier refuses those as malformed).
func samlCaseVariant(sc *parser.SecurityCtx) bool {
	return asciiEqualFold(sc.SchemeID.Value, string(vapisec.SchemeSAMLHoK)) || asciiEqualFold(sc.SchemeID.Value, string(vapisec.SchemeSAMLBearer))
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// headerCredential reports whether the request carries a credential outside
// the body: an Authorization header, a session id (header or cookie), an
// OAuth token header or a clone ticket.
func (f *jsonrpcFront) headerCredential(req *http.Request) bool {
	h := req.Header
	return h.Get(echo.HeaderAuthorization) != "" || hasSessionID(req) || h.Get(vapisec.HeaderCSPAuthToken) != "" || h.Get(vapisec.HeaderCloneTicket) != ""
}

// sessionCreate reports whether the call is com.vmware.cis.session create.
func (f *jsonrpcFront) sessionCreate(r *parser.JSONRPCRequest) bool {
	s, _ := r.ServiceID.StringValue()
	op, _ := r.OperationID.StringValue()
	return s == sessionServiceID && op == "create"
}

// bodySession authenticates a session_id securityCtx. VMware's SDK client
// sends the id in the vmware-api-session-id header too: a header (or
// cookie) id must be the same id, and no other header credential may come
// with it.
func (f *jsonrpcFront) bodySession(c echo.Context, next echo.HandlerFunc, st *requestState, sc *parser.SecurityCtx) error {
	req := c.Request()
	id, err := sc.SessionIDValue(f.maxID)
	if err != nil {
		cause := redactParseError(err)
		return f.errors.malformed(c, cause.Error(), cause)
	}
	hid, _, err := f.extractor.Extract(req)
	if err != nil {
		cause := redactParseError(err)
		return f.errors.malformed(c, cause.Error(), cause)
	}
	if hid != "" && hid != id {
		return f.errors.invalidRequest(c, "the session ids of the header and of the body differ", errSessionMismatch)
	}
	h := req.Header
	if h.Get(echo.HeaderAuthorization) != "" || h.Get(vapisec.HeaderCSPAuthToken) != "" || h.Get(vapisec.HeaderCloneTicket) != "" {
		return f.errors.invalidRequest(c, "the request carries credentials of two schemes", errAmbiguous)
	}
	if err := f.manager.LookupInto(req.Context(), id, &st.sess); err != nil {
		return sessionFailure(c, f.errors, err)
	}
	st.sc = sessionContext(&st.sess, id, vapisec.SourceBody)
	return next(c)
}

// bodyUserPass authenticates a user_pass securityCtx with the Authenticator
// of Basic, under Basic's rules: the same strictness (parser.SecurityCtx
// UserPass) and the same refusal of cross-site unsafe requests.
func (f *jsonrpcFront) bodyUserPass(c echo.Context, next echo.HandlerFunc, st *requestState, sc *parser.SecurityCtx) error {
	if f.auth == nil {
		return f.errors.unauthenticated(c, vapisec.ReasonSchemeNotAllowed, errUserPassDisabled)
	}
	user, pass, err := sc.UserPass()
	if err != nil {
		cause := redactParseError(err)
		return f.errors.malformed(c, cause.Error(), cause)
	}
	if refused, err := f.csrf.checkBasic(c); refused {
		return err
	}
	usc, err := authenticateUserPass(c, f.auth, &f.errors, user, pass, vapisec.SourceBody)
	if err != nil {
		return err
	}
	st.sc = usc
	return next(c)
}

// bodyOAuth authenticates an oauth securityCtx (accessToken, DESIGN Q20)
// with the AccessTokenVerifier of the OAuth middleware, under its rules:
// the token as strict as a Bearer header (parser.SecurityCtx
// AccessTokenValue, 400 when malformed), 401 with the verifier's reason
// when refused, 503 when the issuer's keys are unavailable (fail closed).
// Without a verifier the scheme is refused, scheme_not_allowed. No CSRF
// check: a token in the body is never ambient, unlike a cookie or Basic
// credentials a browser replays.
func (f *jsonrpcFront) bodyOAuth(c echo.Context, next echo.HandlerFunc, st *requestState, sc *parser.SecurityCtx) error {
	if f.oauth == nil {
		return f.errors.unauthenticated(c, vapisec.ReasonSchemeNotAllowed, errOAuthNotEnabled)
	}
	tok, err := sc.AccessTokenValue()
	if err != nil {
		cause := redactParseError(err)
		return f.errors.malformed(c, cause.Error(), cause)
	}
	at, err := f.oauth.Verify(c.Request().Context(), tok)
	switch {
	case errors.Is(err, verifier.ErrKeysUnavailable):
		return f.errors.unavailable(c, vapisec.ReasonKeysUnavailable, err)
	case err != nil:
		return f.errors.unauthenticated(c, verifier.ReasonOf(err), err)
	}
	st.sc = *at.SecurityContext(vapisec.SourceBody)
	return next(c)
}

// cloneTicket redeems a clone ticket on JSON-RPC session create, as the
// CloneTicket middleware does on the REST create routes: the ticket must be
// the only credential.
func (f *jsonrpcFront) cloneTicket(c echo.Context, next echo.HandlerFunc, tickets []string) error {
	req := c.Request()
	if len(tickets) > 1 || req.Header.Get(echo.HeaderAuthorization) != "" || hasSessionID(req) || req.Header.Get(vapisec.HeaderCSPAuthToken) != "" {
		return f.errors.invalidRequest(c, "a clone ticket must be the only credential", errAmbiguous)
	}
	st := ensureState(c, &f.errors)
	child, err := f.manager.CloneSession(req.Context(), tickets[0])
	if err != nil {
		return managerFailure(c, f.errors, err)
	}
	st.sc = sessionContext(child, child.ID, vapisec.SourceHeader)
	c.Set(clonedKey, true)
	return next(c)
}

// idOf returns the id of a parsed request, JSON null when it has none.
func idOf(r *parser.JSONRPCRequest) json.RawMessage {
	switch r.ID.Kind() {
	case parser.KindString, parser.KindNumber:
		return json.RawMessage(r.ID)
	}
	return jsonNull
}
