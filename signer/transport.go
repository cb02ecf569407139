package signer

import (
	"encoding/json"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
)

// Transport is an http.RoundTripper that signs every request before Base
// sends it: a JSON-RPC request with JSONRPC (the body is replaced by the
// signed body), any other request with a SIGN header from Header. It never
// modifies the caller's request. It is safe for concurrent use when Base is.
//
// Redirects: http.Client sends each redirect hop through RoundTrip again,
// with req.Response set to the redirect response. A hop to the same origin
// (scheme, host and port) is signed for its own URL; a hop to another
// origin, https to http included, is refused with ErrCrossHostRedirect
// before anything is signed, since a SIGN header or signed body made for
// the attacker's host could be relayed to the real server (Q21). Requests
// sent without http.Client's redirect handling (req.Response nil) are
// signed for the URL they carry. The bearer token of TokenSource obeys the
// same rule: it is never put on a hop to another origin.
//
//	client := &http.Client{Transport: &signer.Transport{JSONRPC: js, Header: hs}}
//	client := &http.Client{Transport: &signer.Transport{TokenSource: ts}} // OAuth 2.0
type Transport struct {
	// Base sends the signed requests.
	// Default value nil: http.DefaultTransport.
	Base http.RoundTripper

	// JSONRPC signs JSON-RPC request bodies.
	// Default value nil: JSON-RPC requests are treated like the others.
	JSONRPC *JSONRPCSigner

	// Header signs the other requests with an "Authorization: SIGN" header.
	// Default value nil: they are sent as they are.
	Header *HeaderSigner

	// TokenSource supplies an OAuth 2.0 access token that is sent as
	// "Authorization: Bearer <token>" (scheme
	// com.vmware.vapi.std.security.oauth) on every request JSONRPC does not
	// sign; each request asks the source (see BearerToken), so a source
	// that refreshes (oauth2.ReuseTokenSource, a clientcredentials Config's
	// TokenSource) keeps the requests authenticated. A source error fails
	// the request with ErrTokenSource before anything is sent. Setting both
	// Header and TokenSource is an error (ErrInvalidOption): a request
	// carries one Authorization scheme.
	// Default value nil: no bearer token.
	TokenSource oauth2.TokenSource

	// JSONRPCPath, when set, makes only POST requests to exactly this URL
	// path JSON-RPC requests (vCenter's is "/api").
	// Default value "": every POST whose body is a JSON object with a
	// top-level "jsonrpc" member.
	JSONRPCPath string

	// MaxBodySize bounds the body the transport buffers to sign; a larger
	// body fails the request with ErrBodyTooLarge.
	// Default value 0: DefaultMaxRequestSize (1 MiB).
	MaxBodySize int
}

var _ http.RoundTripper = (*Transport)(nil)

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

// RoundTrip signs a copy of req and sends it with Base. The signed copy has
// a replayable body (GetBody set), so redirects and retries keep working.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.JSONRPC == nil && t.Header == nil && t.TokenSource == nil {
		return t.base().RoundTrip(req)
	}
	if t.Header != nil && t.TokenSource != nil {
		closeBody(req)
		return nil, fmt.Errorf("%w: Transport with both Header and TokenSource", ErrInvalidOption)
	}
	// A redirect hop to another origin would get a signature made for
	// that origin (or a signed body), which its owner could relay to the
	// real server: refuse it before signing anything.
	if err := checkRedirectHop(req); err != nil {
		closeBody(req)
		return nil, err
	}
	maybeJSONRPC := t.JSONRPC != nil && req.Method == http.MethodPost && (t.JSONRPCPath == "" || req.URL.Path == t.JSONRPCPath)
	needBody := maybeJSONRPC || (t.Header != nil && !t.Header.Bearer())
	if !maybeJSONRPC && t.Header == nil && t.TokenSource == nil {
		return t.send(req)
	}
	out := req.Clone(req.Context())
	var body []byte
	if needBody {
		limit := t.MaxBodySize
		if limit <= 0 {
			limit = DefaultMaxRequestSize
		}
		replay := req.GetBody != nil
		var err error
		if body, err = bufferBody(out, limit); err != nil {
			closeBody(req)
			return nil, err
		}
		if replay {
			// Read through GetBody: send the buffered copy, release the
			// original (RoundTrip must close it).
			closeBody(req)
			setBody(out, body)
		}
	}
	if maybeJSONRPC && isJSONRPC(body) {
		signed, err := t.JSONRPC.Sign(body)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		setBody(out, signed)
		if out.Header.Get("Content-Type") == "" {
			out.Header.Set("Content-Type", "application/json")
		}
		return t.send(out)
	}
	if t.Header != nil {
		v, err := t.Header.Authorization(out.Method, out.URL, body)
		if err != nil {
			closeBody(req)
			return nil, fmt.Errorf("signer: SIGN header: %w", err)
		}
		out.Header.Set("Authorization", v)
	}
	if t.TokenSource != nil {
		tok, err := BearerToken(t.TokenSource)
		if err != nil {
			closeBody(req)
			return nil, err
		}
		out.Header.Set("Authorization", "Bearer "+tok)
	}
	return t.send(out)
}

// send sends req with Base and makes sure the response names the request
// it answers, as net/http's Transport does: a redirect hop's check reads
// the origin from req.Response.Request, and a hop whose source is unknown
// is refused.
func (t *Transport) send(req *http.Request) (*http.Response, error) {
	res, err := t.base().RoundTrip(req)
	if err == nil && res != nil && res.Request == nil {
		res.Request = req
	}
	return res, err
}

// isJSONRPC reports whether body is a JSON object with a top-level
// "jsonrpc" member.
func isJSONRPC(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	_, ok := m["jsonrpc"]
	return ok
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
