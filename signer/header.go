package signer

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// HeaderSigner builds "Authorization: SIGN" values (spec §8) for a SAML
// token: holder-of-key ([NewHeaderSigner]) or bearer
// ([NewBearerHeaderSigner]). For the same token, key, request and nonce
// its output is byte-identical to govmomi's sts.Signer.SignRequest. It is
// safe for concurrent use.
type HeaderSigner struct {
	key   crypto.Signer // nil: bearer
	token string        // base64(gzip(XML)), computed once
	cfg   config
}

// signatureAlgs maps the RSA algorithms to their SIGN names.
var signatureAlgs = map[Algorithm]string{RS256: "RSA-SHA256", RS384: "RSA-SHA384", RS512: "RSA-SHA512"}

// NewHeaderSigner returns a holder-of-key SIGN signer: key is the RSA
// private key of the token's confirmation certificate, token the SAML
// Assertion XML. Defaults: RS256 (signature_alg "RSA-SHA256", the only one
// govmomi sends), govmomi's nonces, 1 MiB bodies.
func NewHeaderSigner(key crypto.Signer, token []byte, opts ...Option) (*HeaderSigner, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: a holder-of-key signer needs a private key", ErrInvalidOption)
	}
	s, err := newHeaderSigner(token, opts)
	if err != nil {
		return nil, err
	}
	if _, ok := signatureAlgs[s.cfg.alg]; !ok {
		return nil, fmt.Errorf("%w: %s cannot be sent in a SIGN header", ErrUnsupportedAlgorithm, s.cfg.alg)
	}
	if err := s.cfg.alg.checkKey(key); err != nil {
		return nil, err
	}
	s.key = key
	return s, nil
}

// NewBearerHeaderSigner returns a signer whose header carries only the
// token: `SIGN token="<base64(gzip(XML))>"`.
func NewBearerHeaderSigner(token []byte, opts ...Option) (*HeaderSigner, error) {
	return newHeaderSigner(token, opts)
}

func newHeaderSigner(token []byte, opts []Option) (*HeaderSigner, error) {
	if err := checkToken(token); err != nil {
		return nil, err
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	enc, err := EncodeSignToken(token)
	if err != nil {
		return nil, err
	}
	s := &HeaderSigner{token: enc, cfg: cfg}
	if s.cfg.nonce == nil {
		s.cfg.nonce = s.defaultNonce
	}
	return s, nil
}

// EncodeSignToken returns the token parameter of a SIGN header:
// base64(gzip(token)) with the standard alphabet and padding, compressed
// with compress/gzip's default settings as govmomi does.
func EncodeSignToken(token []byte) (string, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	if _, err := gz.Write(token); err != nil {
		return "", fmt.Errorf("%w: gzip: %w", ErrInvalidToken, err)
	}
	if err := gz.Close(); err != nil {
		return "", fmt.Errorf("%w: gzip: %w", ErrInvalidToken, err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// defaultNonce is govmomi's: "<unix ms>:<random int63>".
func (s *HeaderSigner) defaultNonce() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(math.MaxInt64))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidNonce, err)
	}
	return strconv.FormatInt(s.cfg.clock().UnixMilli(), 10) + ":" + n.String(), nil
}

// Bearer reports whether the signer sends a bearer header (no signature).
func (s *HeaderSigner) Bearer() bool { return s.key == nil }

// Authorization returns the Authorization value for a request with this
// method, URL and body, with a fresh nonce from the nonce source.
func (s *HeaderSigner) Authorization(method string, u *url.URL, body []byte) (string, error) {
	if s.key == nil {
		return s.AuthorizationWithNonce(method, u, body, "")
	}
	nonce, err := s.cfg.nonce()
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidNonce, err)
	}
	return s.AuthorizationWithNonce(method, u, body, nonce)
}

// AuthorizationWithNonce is Authorization with the given nonce (ignored by
// a bearer signer). The parameters are token, signature_alg, signature,
// nonce and bodyhash, in govmomi's order; the signature covers the
// normalized request of spec §8.2 (see NormalizedRequest).
func (s *HeaderSigner) AuthorizationWithNonce(method string, u *url.URL, body []byte, nonce string) (string, error) {
	var b strings.Builder
	b.Grow(len(s.token) + 512)
	b.WriteString(`SIGN token="`)
	b.WriteString(s.token)
	b.WriteByte('"')
	if s.key == nil {
		return b.String(), nil
	}
	if u == nil {
		return "", fmt.Errorf("%w: nil URL", ErrInvalidRequest)
	}
	if !validNonce(nonce) {
		return "", fmt.Errorf("%w: %.40q", ErrInvalidNonce, nonce)
	}
	bodyHash := sha256.Sum256(body)
	sig, err := s.cfg.alg.sign(s.key, NormalizedRequest(nonce, method, u, bodyHash))
	if err != nil {
		return "", err
	}
	param := func(name, value string) {
		b.WriteString(`, `)
		b.WriteString(name)
		b.WriteString(`="`)
		b.WriteString(value)
		b.WriteByte('"')
	}
	param("signature_alg", signatureAlgs[s.cfg.alg])
	param("signature", base64.StdEncoding.EncodeToString(sig))
	param("nonce", nonce)
	param("bodyhash", base64.StdEncoding.EncodeToString(bodyHash[:]))
	return b.String(), nil
}

// SignRequest sets the Authorization header of req. The body is read through
// req.GetBody when set; otherwise a body is read (at most the configured
// maximum) and put back with GetBody set, so the request can still be sent
// and retried. It has the signature of govmomi's rest.Signer, so a
// HeaderSigner can be given to govmomi's LoginByToken.
func (s *HeaderSigner) SignRequest(req *http.Request) error {
	var body []byte
	if s.key != nil {
		var err error
		if body, err = bufferBody(req, s.cfg.maxSize); err != nil {
			return err
		}
	}
	v, err := s.Authorization(req.Method, req.URL, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", v)
	return nil
}

// bufferBody returns the body of req, at most limit bytes, leaving req
// able to send it (Body and GetBody are replaced when the body was read
// directly).
func bufferBody(req *http.Request, limit int) ([]byte, error) {
	var rc io.ReadCloser
	switch {
	case req.GetBody != nil:
		r, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("%w: body: %w", ErrInvalidRequest, err)
		}
		rc = r
	case req.Body == nil || req.Body == http.NoBody:
		return nil, nil
	default:
		rc = req.Body
	}
	body, err := io.ReadAll(io.LimitReader(rc, int64(limit)+1))
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("%w: body: %w", ErrInvalidRequest, err)
	}
	if len(body) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, limit)
	}
	if req.GetBody == nil {
		setBody(req, body)
	}
	return body, nil
}

// setBody makes body the replayable body of req.
func setBody(req *http.Request, body []byte) {
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
}

// NormalizedRequest returns the bytes a SIGN signature covers (spec §8.2,
// govmomi's construction): the nonce, the method, the URL's path (no
// query), its host lower-cased (IPv6 literals in brackets), its port or
// "80" when it has none — even for https — each followed by "\n", then the
// raw 32-byte SHA-256 of the body and "\n".
func NormalizedRequest(nonce, method string, u *url.URL, bodyHash [sha256.Size]byte) []byte {
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		host = "[" + host + "]"
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	var b bytes.Buffer
	b.Grow(len(nonce) + len(method) + len(u.Path) + len(host) + len(port) + 5 + sha256.Size + 1)
	for _, s := range [...]string{nonce, method, u.Path, strings.ToLower(host), port} {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	b.Write(bodyHash[:])
	b.WriteByte('\n')
	return b.Bytes()
}

// validNonce: non-empty visible ASCII without '"', ',' and '\' (the SIGN
// value grammar of parser.ParseSignValue).
func validNonce(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == '\\' {
			return false
		}
	}
	return true
}
