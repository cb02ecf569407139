package signer

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/canonical"
)

// JSONRPCSigner signs vAPI JSON-RPC requests with a SAML token: holder-of-key
// ([NewJSONRPCSigner]) or bearer ([NewBearerJSONRPCSigner]). It is safe for
// concurrent use.
type JSONRPCSigner struct {
	key   crypto.Signer // nil: bearer
	token string
	cfg   config
	strip *canonical.Canonicalizer // validates and drops params.ctx.securityCtx
	tbs   *canonical.Canonicalizer // the to-be-signed bytes
}

// securityCtx is the wire form of params.ctx.securityCtx. Field order is the
// spec's (§7.2); it does not matter for the signature, which is computed
// over the canonical form.
type securityCtx struct {
	SchemeID           vapisec.SchemeID `json:"schemeId"`
	SignatureAlgorithm Algorithm        `json:"signatureAlgorithm,omitempty"`
	Timestamp          *timestamp       `json:"timestamp,omitempty"`
	SAMLToken          string           `json:"samlToken,omitempty"` // bearer only
	Signature          *signatureValue  `json:"signature,omitempty"`
}

type timestamp struct {
	Created string `json:"created"`
	Expires string `json:"expires"`
}

type signatureValue struct {
	SAMLToken string `json:"samlToken"`
	Value     string `json:"value"`
}

// NewJSONRPCSigner returns a holder-of-key signer: key is the private key of
// the token's confirmation certificate, token the SAML Assertion XML as the
// STS issued it. The key is only ever used through its Sign method.
// Defaults: RS256, 10 minutes validity, time.Now, 1 MiB requests.
func NewJSONRPCSigner(key crypto.Signer, token []byte, opts ...Option) (*JSONRPCSigner, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: a holder-of-key signer needs a private key", ErrInvalidOption)
	}
	s, err := newJSONRPCSigner(token, opts)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.alg.checkKey(key); err != nil {
		return nil, err
	}
	s.key = key
	return s, nil
}

// NewBearerJSONRPCSigner returns a signer that puts a bearer token into
// requests: securityCtx becomes {"schemeId":"…saml_bearer_token",
// "samlToken":<token>}, with no timestamp and no signature. Only
// WithMaxRequestSize matters among the options.
func NewBearerJSONRPCSigner(token []byte, opts ...Option) (*JSONRPCSigner, error) {
	return newJSONRPCSigner(token, opts)
}

func newJSONRPCSigner(token []byte, opts []Option) (*JSONRPCSigner, error) {
	if err := checkToken(token); err != nil {
		return nil, err
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	strip, err := canonical.New(canonical.WithMaxSize(cfg.maxSize), canonical.WithoutMember("params", "ctx", "securityCtx"))
	if err != nil {
		return nil, err
	}
	// The re-encoded request may be longer than the canonical one (escapes
	// of U+2028/U+2029) and has the new securityCtx.
	tbs, err := canonical.New(canonical.WithMaxSize(2*cfg.maxSize + 4096))
	if err != nil {
		return nil, err
	}
	return &JSONRPCSigner{token: string(token), cfg: cfg, strip: strip, tbs: tbs}, nil
}

func checkToken(token []byte) error {
	if len(bytes.TrimSpace(token)) == 0 {
		return fmt.Errorf("%w: empty token", ErrInvalidToken)
	}
	if !utf8.Valid(token) {
		return fmt.Errorf("%w: token is not valid UTF-8", ErrInvalidToken)
	}
	return nil
}

// Algorithm returns the configured algorithm ("" for a bearer signer).
func (s *JSONRPCSigner) Algorithm() Algorithm {
	if s.key == nil {
		return ""
	}
	return s.cfg.alg
}

// Sign returns request signed, as compact JSON. request must be a JSON
// object whose "params" is an object; "params.ctx" is created when absent
// and must otherwise be an object. Any existing params.ctx.securityCtx is
// replaced. The input is validated strictly first (package canonical: no
// duplicate members, valid UTF-8, no lone surrogates, no trailing data);
// errors match ErrInvalidRequest (and the canonical sentinel),
// ErrBodyTooLarge or ErrSign.
//
// The returned bytes are not byte-equal to request (members are re-encoded,
// numbers in their canonical form), but their canonical form — what a
// verifier checks — is the request's with the new securityCtx.
func (s *JSONRPCSigner) Sign(request []byte) ([]byte, error) {
	if len(request) > s.cfg.maxSize {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrBodyTooLarge, len(request), s.cfg.maxSize)
	}
	// 1. Validate strictly and drop the old securityCtx.
	stripped, err := s.strip.Canonicalize(request)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	// 2. Edit the parsed request: canonical output is valid UTF-8 without
	// duplicates, so this decode loses nothing; numbers stay exact text.
	top, ctx, err := decodeRequest(stripped)
	if err != nil {
		return nil, err
	}
	sc := &securityCtx{}
	ctx["securityCtx"] = sc
	if s.key == nil {
		sc.SchemeID = vapisec.SchemeSAMLBearer
		sc.SAMLToken = s.token
		return encodeCompact(top)
	}
	created := s.cfg.clock().UTC()
	sc.SchemeID = vapisec.SchemeSAMLHoK
	sc.SignatureAlgorithm = s.cfg.alg
	sc.Timestamp = &timestamp{Created: created.Format(vapisec.TimestampLayout), Expires: created.Add(s.cfg.validity).Format(vapisec.TimestampLayout)}

	// 3. Canonicalize the request with the signature-less securityCtx.
	unsigned, err := encodeCompact(top)
	if err != nil {
		return nil, err
	}
	tbs, err := s.tbs.Canonicalize(unsigned)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	// 4. Sign, 5. add the signature.
	sig, err := s.cfg.alg.sign(s.key, tbs)
	if err != nil {
		return nil, err
	}
	sc.Signature = &signatureValue{SAMLToken: s.token, Value: base64.StdEncoding.EncodeToString(sig)}
	return encodeCompact(top)
}

// SignValue marshals v with encoding/json and signs the result (see Sign).
func (s *JSONRPCSigner) SignValue(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return s.Sign(b)
}

// decodeRequest parses a canonical JSON-RPC request and returns it with its
// params.ctx object (created when absent).
func decodeRequest(src []byte) (top, ctx map[string]any, err error) {
	if len(src) == 0 || src[0] != '{' {
		return nil, nil, fmt.Errorf("%w: the request is not a JSON object", ErrInvalidRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	params, ok := top["params"].(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%w: params is missing or not an object", ErrInvalidRequest)
	}
	switch c := params["ctx"].(type) {
	case map[string]any:
		ctx = c
	case nil:
		if _, present := params["ctx"]; present {
			return nil, nil, fmt.Errorf("%w: params.ctx is null", ErrInvalidRequest)
		}
		ctx = map[string]any{}
		params["ctx"] = ctx
	default:
		return nil, nil, fmt.Errorf("%w: params.ctx is not an object", ErrInvalidRequest)
	}
	return top, ctx, nil
}

// encodeCompact encodes v as compact JSON without HTML escaping and without
// a trailing newline.
func encodeCompact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
}
