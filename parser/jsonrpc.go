package parser

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/vapisec/vapisec/canonical"
)

// JSON-RPC 2.0 envelope member names used by vAPI (spec §1).
const (
	jsonrpcVersion = "2.0"
)

// SignaturePath is the member path a holder-of-key signature leaves out of
// the signed content (spec §7.2): params.ctx.securityCtx.signature. It is a
// fixed path (DESIGN Q12): a member named securityCtx anywhere else, e.g.
// inside params.input, is ordinary data.
var signaturePath = [...]string{"params", "ctx", "securityCtx", "signature"}

// SignaturePath returns a copy of the member path of the JSON-RPC HoK
// signature: "params", "ctx", "securityCtx", "signature".
func SignaturePath() []string { return append([]string(nil), signaturePath[:]...) }

// JSONRPCRequest is the parsed, unverified envelope of a vAPI JSON-RPC 2.0
// request (spec §1) and its decoded securityCtx, read from the fixed path
// params.ctx.securityCtx only (DESIGN Q12). Every JSONValue in it is a
// sub-slice of the parsed body, and so is every decoded value that needs no
// copy; the others are in Buf.
type JSONRPCRequest struct {
	// Canonical is the dst passed to JSONRPCParser.Parse with the canonical
	// form of the body appended (the parser's canonical profile), without
	// params.ctx.securityCtx.signature: the bytes a HoK signature covers
	// (spec §7.2). The form is built only when that signature member is
	// present (whatever its value); for any other body Canonical is dst:
	// the body is then only validated, as strictly.
	Canonical []byte
	// Buf is Canonical followed by the decoded securityCtx values that
	// could not be sub-slices of the body (escaped strings, the signature
	// bytes): everything Parse appended to dst. Pass it back, truncated,
	// as the next dst to reuse its memory once the request is done with;
	// append other data after len(Buf), never after len(Canonical).
	Buf []byte
	// ID is the request's id (a string, a number or null); absent for a
	// notification. Set even when Parse reports ErrJSONRPCInvalid, as far as
	// the envelope could be read, so that an error response can echo it.
	ID JSONValue
	// Method is the JSON-RPC method ("invoke" for vAPI).
	Method JSONValue
	// ServiceID and OperationID are params.serviceId and params.operationId.
	ServiceID, OperationID JSONValue
	// HasSecurityCtx reports whether params.ctx.securityCtx is present.
	HasSecurityCtx bool
	// SecurityCtx is params.ctx.securityCtx, decoded (zero when absent).
	SecurityCtx SecurityCtx
}

// JSONRPCParser parses vAPI JSON-RPC request bodies strictly: one pass of
// the canonical package validates the whole body (no duplicate member
// names, valid UTF-8, no lone surrogates, no trailing data, depth and size
// limits, DESIGN §7 rule 5) and, when the body carries a HoK signature,
// produces the bytes that signature covers (canonical.AppendIfDropped:
// an unsigned body — session_id, user_pass, bearer, oauth — is validated
// without building a canonical form nothing would read); a second, light
// pass over the now valid body reads the envelope.
//
// A JSONRPCParser is safe for concurrent use.
type JSONRPCParser struct {
	canon *canonical.Canonicalizer
}

// NewJSONRPCParser returns a parser whose validation and canonical form are
// configured by opts (canonical.WithProfile, canonical.WithMaxSize,
// canonical.WithMaxDepth; defaults: the Java profile, 1 MiB, depth 128).
// canonical.WithoutMember is always set to the signature path last, so it
// cannot be overridden. An invalid option returns an error matching
// canonical.ErrInvalidOption.
func NewJSONRPCParser(opts ...canonical.Option) (*JSONRPCParser, error) {
	opts = append(opts[:len(opts):len(opts)], canonical.WithoutMember(signaturePath[:]...))
	c, err := canonical.New(opts...)
	if err != nil {
		return nil, err
	}
	return &JSONRPCParser{canon: c}, nil
}

// Canonicalizer returns the parser's canonicalizer (configured to leave out
// params.ctx.securityCtx.signature).
func (p *JSONRPCParser) Canonicalizer() *canonical.Canonicalizer { return p.canon }

// Parse validates body, appends its canonical form without the signature
// member to dst (JSONRPCRequest.Canonical) when that member is present,
// reads the envelope and decodes
// the securityCtx (decoded values are appended after the canonical form;
// JSONRPCRequest.Buf).
//
// Errors, all matching ErrMalformed:
//   - ErrJSONRPCParse (JSON-RPC -32700): the body is not JSON: syntax
//     error, invalid UTF-8, lone surrogate, trailing data. The
//     canonical.InputError is wrapped too.
//   - ErrJSONRPCInvalid (JSON-RPC -32600): the body is JSON but not an
//     acceptable request: duplicate member names, too deep, too large, a
//     number the profile cannot represent, not an object, "jsonrpc" not
//     "2.0", "method" not a string, "id" not a string, number or null,
//     "params", "ctx" or "securityCtx" not an object.
//
// Members of the securityCtx that cannot be decoded are not errors of
// Parse: they are reported in the member (CtxTime.Err,
// CtxSignature.BytesErr), for the verifier to weigh against the scheme.
//
// On ErrJSONRPCInvalid the returned request holds what could be read
// (notably ID); on ErrJSONRPCParse it is zero but for Canonical and Buf
// (= dst).
func (p *JSONRPCParser) Parse(dst, body []byte) (JSONRPCRequest, error) {
	res, err := p.canon.AppendIfDropped(dst, body)
	if err != nil {
		return JSONRPCRequest{Canonical: dst, Buf: dst}, canonicalError(err)
	}
	req := JSONRPCRequest{Canonical: res.Canonical, Buf: res.Canonical}
	err = readEnvelope(&req, body)
	return req, err
}

// canonicalError sorts a canonical rejection into -32700 or -32600.
func canonicalError(err error) error {
	switch {
	case errors.Is(err, canonical.ErrSyntax), errors.Is(err, canonical.ErrInvalidUTF8),
		errors.Is(err, canonical.ErrLoneSurrogate), errors.Is(err, canonical.ErrTrailingData):
		return fmt.Errorf("%w: %w", ErrJSONRPCParse, err)
	}
	return fmt.Errorf("%w: %w", ErrJSONRPCInvalid, err)
}

// readEnvelope reads the envelope of a body that is known to be valid JSON
// into req, whose Buf receives the decoded securityCtx values. It walks the
// path params.ctx.securityCtx in one pass: the members on the way are read
// in place rather than skipped and then scanned again, so the bytes of the
// securityCtx (a SAML token of several KiB, dense in escaped quotes) are
// scanned once here instead of three times.
func readEnvelope(req *JSONRPCRequest, b []byte) error {
	s := scanner{b: b}
	s.ws()
	if s.peek() != '{' {
		return fmt.Errorf("%w: the request is not a JSON object", ErrJSONRPCInvalid)
	}
	var version, params, ctx, sec, serviceID, operationID JSONValue
	buf0 := req.Buf
	buf := buf0
	// fail leaves req as a failed read always did: nothing read below the
	// level that is wrong.
	fail := func(err error) error {
		req.SecurityCtx, req.Buf, req.ServiceID, req.OperationID = SecurityCtx{}, buf0, nil, nil
		return err
	}
	s.walk(func(name []byte, s *scanner) {
		switch {
		case nameIs(name, "jsonrpc"):
			version = s.value()
		case nameIs(name, "method"):
			req.Method = s.value()
		case nameIs(name, "id"):
			req.ID = s.value()
		case nameIs(name, "params"):
			// For a repeated name the last one wins, as in pick (the
			// canonicalizer has refused duplicates already).
			serviceID, operationID, ctx, sec = nil, nil, nil, nil
			params = s.object(func(name []byte, s *scanner) {
				switch {
				case nameIs(name, "serviceId"):
					serviceID = s.value()
				case nameIs(name, "operationId"):
					operationID = s.value()
				case nameIs(name, "ctx"):
					sec = nil
					ctx = s.object(func(name []byte, s *scanner) {
						if !nameIs(name, "securityCtx") {
							s.value()
							return
						}
						// An object is read in place (readSecurityCtxAt);
						// whether it counts is decided below, once the
						// levels above are known to be valid.
						req.SecurityCtx, buf = SecurityCtx{}, buf0
						if s.peek() != '{' {
							sec = s.value()
							return
						}
						start := s.i
						buf = readSecurityCtxAt(&req.SecurityCtx, s, buf)
						sec = s.b[start:s.i]
					})
				default:
					s.value()
				}
			})
		default:
			s.value()
		}
	})
	switch k := req.ID.Kind(); {
	case req.ID == nil, k == KindString, k == KindNumber, k == KindNull:
	default:
		return fail(fmt.Errorf("%w: \"id\" is a %s", ErrJSONRPCInvalid, k))
	}
	if !version.EqualString(jsonrpcVersion) {
		return fail(fmt.Errorf("%w: \"jsonrpc\" is not \"2.0\"", ErrJSONRPCInvalid))
	}
	if req.Method.Kind() != KindString {
		return fail(fmt.Errorf("%w: \"method\" is not a string", ErrJSONRPCInvalid))
	}
	if params == nil {
		return nil
	}
	if params.Kind() != KindObject {
		return fail(fmt.Errorf("%w: \"params\" is not an object", ErrJSONRPCInvalid))
	}
	req.ServiceID, req.OperationID = serviceID, operationID
	// Below params, a level that is absent or not an object leaves the
	// securityCtx unread (walked ctx objects only read object values).
	if ctx == nil {
		return nil
	}
	if ctx.Kind() != KindObject {
		return fmt.Errorf("%w: \"params.ctx\" is not an object", ErrJSONRPCInvalid)
	}
	if sec == nil {
		return nil
	}
	if sec.Kind() != KindObject {
		return fmt.Errorf("%w: %w: \"params.ctx.securityCtx\" is not an object", ErrSecurityCtxInvalid, ErrJSONRPCInvalid)
	}
	req.HasSecurityCtx = true
	req.Buf = buf
	return nil
}

// objectMembers calls fn for each member of the valid JSON object v.
func objectMembers(v JSONValue, fn func(name []byte, v JSONValue)) {
	s := scanner{b: v}
	s.members(fn)
}

// field names an object member to pick and where its value goes.
type field struct {
	name string
	dst  *JSONValue
}

// pickMembers picks fields from the members of the valid JSON object v;
// see scanner.pick.
func pickMembers(v JSONValue, fields ...field) {
	s := scanner{b: v}
	s.pick(fields...)
}

// nameIs reports whether the raw member name (between the quotes, escapes
// not yet resolved) denotes want. Names are compared after unescaping, as
// the canonical package compares them, so "\u0070arams" is "params".
func nameIs(raw []byte, want string) bool {
	if len(raw) == len(want) && string(raw) == want {
		return true
	}
	if len(raw) <= len(want) || indexByte(raw, '\\') < 0 || len(raw) > 6*len(want) {
		return false
	}
	var buf [128]byte
	u := appendUnescaped(buf[:0], raw)
	return string(u) == want
}

func indexByte(b []byte, c byte) int { return bytes.IndexByte(b, c) }

// scanner walks JSON text that has already been validated; it never
// reports errors and never reads past the end.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// str skips the string at s.i and returns its contents without the quotes.
func (s *scanner) str() []byte {
	start := s.i + 1
	i := start
	for i < len(s.b) {
		j := indexByteFrom(s.b, i, '"')
		if j < 0 {
			s.i = len(s.b)
			return s.b[start:]
		}
		// An odd number of backslashes before the quote escapes it.
		n := 0
		for k := j - 1; k >= start && s.b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			s.i = j + 1
			return s.b[start:j]
		}
		i = j + 1
	}
	s.i = len(s.b)
	return s.b[start:]
}

// value skips the value at s.i and returns its raw text.
func (s *scanner) value() JSONValue {
	start := s.i
	switch s.peek() {
	case '"':
		s.str()
		return s.b[start:s.i]
	case '{', '[':
		s.i = skipContainer(s.b, s.i)
		return s.b[start:s.i]
	}
	// A literal or a number: it ends at the first structural byte or
	// white space.
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', ':':
			return s.b[start:s.i]
		}
		s.i++
	}
	return s.b[start:s.i]
}

// skipContainer returns the index just past the object or array that
// starts at b[i], or len(b). b is valid JSON, so inside a string a
// backslash always escapes the byte after it and the first unescaped quote
// ends it: strings are skipped in the same loop, byte by byte, without
// looking back for runs of backslashes (the short names and values of a
// vAPI body cost more in calls than in bytes).
func skipContainer(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			for i++; i < len(b); i++ {
				if c := b[i]; c == '\\' {
					i++
				} else if c == '"' {
					break
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return len(b)
}

// members walks the object at s.i and calls fn for every member.
func (s *scanner) members(fn func(name []byte, v JSONValue)) {
	s.walk(func(name []byte, s *scanner) { fn(name, s.value()) })
}

// walk walks the object at s.i and calls fn for every member with s at the
// member's value; fn must move s past the value (s.value, s.object).
func (s *scanner) walk(fn func(name []byte, s *scanner)) {
	s.i++ // '{'
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] == '}' {
			s.i++
			return
		}
		if s.b[s.i] == ',' {
			s.i++
			s.ws()
		}
		name := s.str()
		s.ws()
		s.i++ // ':'
		s.ws()
		fn(name, s)
	}
}

// object passes the value at s.i and returns its raw text, as value does;
// when the value is an object, it is walked with fn on the way (one pass).
func (s *scanner) object(fn func(name []byte, s *scanner)) JSONValue {
	if s.peek() != '{' {
		return s.value()
	}
	start := s.i
	s.walk(fn)
	return s.b[start:s.i]
}

// pick walks the object at s.i and stores the value of each member that a
// field names (nameIs: after unescaping) into the field's dst; for a
// repeated name the last one wins (the canonicalizer has refused duplicates
// already). Other members are passed over.
func (s *scanner) pick(fields ...field) {
	s.members(func(name []byte, v JSONValue) {
		for _, f := range fields {
			if nameIs(name, f.name) {
				*f.dst = v
				return
			}
		}
	})
}

// indexByteFrom returns the index of c in b at or after i, or -1.
func indexByteFrom(b []byte, i int, c byte) int {
	if j := bytes.IndexByte(b[i:], c); j >= 0 {
		return i + j
	}
	return -1
}
