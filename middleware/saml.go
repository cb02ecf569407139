package middleware

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/verifier"
)

// SAMLConfig configures the SAML middleware.
type SAMLConfig struct {
	// Skipper defines a function to skip the middleware.
	// Default value DefaultSkipper.
	Skipper Skipper

	// Verifier verifies JSON-RPC and SIGN requests.
	// Required.
	Verifier *verifier.RequestVerifier

	// MaxBodySize bounds the body read for verification; a longer body is
	// refused with 413 (on JSON-RPC with a -32600 error body).
	// Default value Verifier.MaxBodySize().
	MaxBodySize int

	// JSONRPCPath is the path whose POST requests carry JSON-RPC bodies
	// (their securityCtx is verified).
	// Default value vapisec.JSONRPCPath ("/api").
	JSONRPCPath string

	// Errors says how failures are written.
	// Default value: see ErrorsConfig.
	Errors ErrorsConfig
}

// DefaultSAMLConfig is the default SAML middleware configuration.
var DefaultSAMLConfig = SAMLConfig{
	Skipper:     DefaultSkipper,
	JSONRPCPath: vapisec.JSONRPCPath,
}

// SAML returns a middleware that authenticates signed requests with v:
// REST requests carrying "Authorization: SIGN" (spec §8; holder-of-key, or
// bearer when the verifier allows it) and POSTs to the JSON-RPC path whose
// params.ctx.securityCtx holds a SAML holder-of-key signature or (opt-in) a
// bearer token (spec §7).
//
// The body is read once, with a size limit; after a successful
// verification the handler reads exactly the verified bytes, and
// SecurityContextFrom returns the caller's context. A JSON-RPC request
// without a SAML securityCtx passes on unchanged (body restored) for the
// other schemes. A present but invalid credential is refused and does not
// fall through: 400 for malformed input (JSON-RPC: -32700/-32600), 401 with
// a reason for a bad credential (JSON-RPC: an error whose data is the vAPI
// error), 503 when the replay cache is unavailable (fail closed).
//
// It panics on a configuration error; use SAMLConfig.ToMiddleware to get
// the error instead.
func SAML(v *verifier.RequestVerifier) echo.MiddlewareFunc {
	c := DefaultSAMLConfig
	c.Verifier = v
	return SAMLWithConfig(c)
}

// SAMLWithConfig returns a SAML middleware with config; see SAML. It panics
// on a configuration error.
func SAMLWithConfig(config SAMLConfig) echo.MiddlewareFunc {
	return toMiddlewareOrPanic(config.ToMiddleware())
}

// ToMiddleware returns the SAML middleware, or an error when the
// configuration is not usable.
func (config SAMLConfig) ToMiddleware() (echo.MiddlewareFunc, error) {
	if config.Verifier == nil {
		return nil, ErrNoVerifier
	}
	if config.Skipper == nil {
		config.Skipper = DefaultSAMLConfig.Skipper
	}
	if config.MaxBodySize <= 0 {
		config.MaxBodySize = config.Verifier.MaxBodySize()
	}
	if config.JSONRPCPath == "" {
		config.JSONRPCPath = vapisec.JSONRPCPath
	}
	ec := config.Errors
	if len(ec.Challenges) == 0 {
		realm := ec.Realm
		if realm == "" {
			realm = "vapisec"
		}
		ec.Challenges = []string{`SIGN realm="` + realm + `"`}
	}
	mw := &samlMiddleware{cfg: config, errors: ec.withDefaults()}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { return mw.handle(c, next) }
	}, nil
}

type samlMiddleware struct {
	cfg    SAMLConfig
	errors ErrorsConfig
}

func (mw *samlMiddleware) handle(c echo.Context, next echo.HandlerFunc) error {
	if mw.cfg.Skipper(c) || authenticated(c) {
		return next(c)
	}
	req := c.Request()
	hdr, err := parser.ParseSign(req.Header)
	switch {
	case err == nil:
		return mw.sign(c, next, hdr)
	case errors.Is(err, parser.ErrMultipleAuthorization):
		cause := redactParseError(err)
		return mw.errors.malformed(c, cause.Error(), cause)
	case !errors.Is(err, parser.ErrAbsent):
		// An Authorization: SIGN header that does not parse.
		cause := redactParseError(err)
		return mw.errors.malformed(c, cause.Error(), cause)
	}
	if req.Method == http.MethodPost && req.URL.Path == mw.cfg.JSONRPCPath {
		return mw.jsonrpc(c, next)
	}
	return next(c)
}

// readBody reads the whole body, at most MaxBodySize bytes; too large
// reports false.
func (mw *samlMiddleware) readBody(req *http.Request) ([]byte, bool, error) {
	body, tooLarge, err := readLimited(req, mw.cfg.MaxBodySize)
	return body, !tooLarge, err
}

// restoreBody gives the handler exactly body: req.Body reads it, and
// req.GetBody returns a fresh reader of it.
// When req.Body is already a restored reader of these very bytes (the
// JSON-RPC middleware restored them, then the SAML middleware verified
// them), it is rewound instead of replaced.
func restoreBody(req *http.Request, body []byte) {
	rb, ok := req.Body.(*restoredBody)
	if !ok || !sameBytes(rb.body, body) {
		rb = &restoredBody{body: body}
		rb.get = rb.again
	}
	rb.Reset(body)
	req.Body = rb
	req.ContentLength = int64(len(body))
	req.GetBody = rb.get
}

// sameBytes reports whether a and b are the same slice of memory.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// restoredBody is the body restoreBody hands on: two allocations (the
// reader and its GetBody) where a bytes.Reader, its io.NopCloser and a
// GetBody closure were three, and none when it is rewound.
type restoredBody struct {
	bytes.Reader
	body []byte
	get  func() (io.ReadCloser, error) // again, bound once
}

// Close does nothing, as for io.NopCloser.
func (*restoredBody) Close() error { return nil }

// again is the request's GetBody: a new reader of the same bytes.
func (rb *restoredBody) again() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(rb.body)), nil
}

func (mw *samlMiddleware) sign(c echo.Context, next echo.HandlerFunc, hdr *parser.SignHeader) error {
	req := c.Request()
	body, ok, err := mw.readBody(req)
	if err != nil {
		return mw.errors.malformed(c, "the request body could not be read", err)
	}
	if !ok {
		return mw.errors.tooLarge(c, mw.cfg.MaxBodySize, verifier.ErrBodyTooLarge)
	}
	res, err := mw.cfg.Verifier.VerifySign(req.Context(), req, body, hdr)
	if err != nil {
		return mw.failREST(c, err)
	}
	restoreBody(req, body)
	st := ensureState(c, &mw.errors)
	st.sc = *res.SecurityContext
	return next(c)
}

// failREST answers a failed SIGN verification.
func (mw *samlMiddleware) failREST(c echo.Context, err error) error {
	switch {
	case errors.Is(err, verifier.ErrBodyTooLarge):
		return mw.errors.tooLarge(c, mw.cfg.Verifier.MaxBodySize(), err)
	case errors.Is(err, verifier.ErrMalformedRequest), errors.Is(err, parser.ErrMalformed):
		return mw.errors.malformed(c, "the signed request is malformed", err)
	case errors.Is(err, verifier.ErrStoreUnavailable):
		return mw.errors.unavailable(c, vapisec.ReasonStoreUnavailable, err)
	}
	return mw.errors.unauthenticated(c, verifier.ReasonOf(err), err)
}

func (mw *samlMiddleware) jsonrpc(c echo.Context, next echo.HandlerFunc) error {
	req := c.Request()
	if st := stateOf(c); st != nil && st.rpc != nil && st.rpc.parsed {
		// The chain's JSON-RPC middleware parsed the body already.
		rpc := st.rpc
		if !rpc.req.HasSecurityCtx {
			return next(c)
		}
		var res *verifier.Result
		var err error
		if rpc.byVerifier {
			res, err = mw.cfg.Verifier.VerifyParsedJSONRPC(req.Context(), rpc.body, &rpc.req)
		} else {
			res, err = mw.cfg.Verifier.VerifyJSONRPC(req.Context(), rpc.body)
		}
		return mw.verified(c, next, rpc.body, res, err)
	}
	markJSONRPC(c, &mw.errors, nil)
	body, ok, err := mw.readBody(req)
	if err != nil {
		return mw.errors.malformed(c, "the request body could not be read", err)
	}
	if !ok {
		return mw.errors.tooLarge(c, mw.cfg.MaxBodySize, verifier.ErrBodyTooLarge)
	}
	markJSONRPC(c, &mw.errors, jsonrpcID(body))
	res, err := mw.cfg.Verifier.VerifyJSONRPC(req.Context(), body)
	return mw.verified(c, next, body, res, err)
}

// verified goes on with a verified JSON-RPC request, passes one of another
// scheme on (body restored), or answers the failure.
func (mw *samlMiddleware) verified(c echo.Context, next echo.HandlerFunc, body []byte, res *verifier.Result, err error) error {
	req := c.Request()
	if errors.Is(err, verifier.ErrNotSigned) || errors.Is(err, verifier.ErrOtherScheme) {
		restoreBody(req, body)
		return next(c)
	}
	if err != nil {
		return mw.failJSONRPC(c, err)
	}
	restoreBody(req, res.SecurityContext.VerifiedBody)
	st := ensureState(c, &mw.errors)
	st.sc = *res.SecurityContext
	return next(c)
}

// failJSONRPC answers a failed JSON-RPC verification (DESIGN §5): a body
// that is not a request gets a JSON-RPC error member (-32700, -32600);
// every other failure is a vAPI error in result.error.
func (mw *samlMiddleware) failJSONRPC(c echo.Context, err error) error {
	switch {
	case errors.Is(err, parser.ErrJSONRPCParse):
		return mw.errors.rpcError(c, jsonNull, jsonrpcParseError, "Parse error", err)
	case errors.Is(err, parser.ErrJSONRPCInvalid):
		id, _ := mw.errors.jsonrpcRequest(c)
		return mw.errors.rpcError(c, id, jsonrpcInvalidRequest, "Invalid Request", err)
	}
	return mw.failREST(c, err)
}
