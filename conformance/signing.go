package conformance

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/canonical"
	"github.com/vapisec/vapisec/sts"
)

// The suite's own signing: an independent oracle.
//
// The signed cases are signed here, from the spec's text, and deliberately
// not with package signer (nor with vapisec.TimestampLayout or the other
// wire names of the root package): the suite judges a server, and a server
// built with this module would otherwise be tested with the very code it
// shares with its clients, so a bug in signer (or a wrong wire name) that
// the server mirrors would pass unseen. SignRequest and SignJSONRPC are
// exported as that oracle: their spec-vector tests pin them to spec §11.3
// and §11.4 independently of signer's, and a caller can use them to check
// another signer or server against the reading of the spec the suite
// applies. They sign with RS256 / RSA-SHA256 only and are not meant as a
// client library: use package signer for that.

// timestampLayout is the vAPI DateTime of JSON-RPC timestamps (spec §7.3),
// spelled here on purpose (see above) rather than taken from
// vapisec.TimestampLayout.
const timestampLayout = "2006-01-02T15:04:05.000Z"

// materials are the tokens and keys the signed cases use, built once per
// runner on first use.
type materials struct {
	hokToken    []byte
	bearerToken []byte
	otherKey    crypto.Signer     // a key no token confirms
	otherCert   *x509.Certificate // otherKey's self-signed certificate

	// untrustedToken is a HoK token for the runner's HoK certificate,
	// issued by a self-made STS the target has never seen; built on first
	// use.
	untrustedToken []byte
}

func isHoKToken(xml []byte) bool {
	return bytes.Contains(xml, []byte("urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"))
}

func (r *Runner) hasHoK() bool {
	return r.hokKey != nil && (r.stsKey != nil || (r.token != nil && isHoKToken(r.token)))
}

func (r *Runner) hasBearer() bool {
	return r.stsKey != nil || (r.token != nil && !isHoKToken(r.token))
}

// materials issues the tokens the runner needs (with the STS key when
// given) and a spare key.
func (r *Runner) materials() (*materials, error) {
	if r.signingMaterials != nil {
		return r.signingMaterials, nil
	}
	m := &materials{}
	if r.token != nil {
		if isHoKToken(r.token) {
			m.hokToken = r.token
		} else {
			m.bearerToken = r.token
		}
	}
	if r.stsKey != nil {
		issuer, err := sts.New(r.stsKey, r.stsCert, sts.WithClock(r.now))
		if err != nil {
			return nil, fmt.Errorf("%w: STS: %w", ErrMissingMaterial, err)
		}
		if m.hokToken == nil && r.hokCert != nil {
			if m.hokToken, err = issuer.Issue(sts.IssueRequest{Subject: r.subject, HoKCertificate: r.hokCert, NotBefore: r.now().Add(-time.Minute)}); err != nil {
				return nil, fmt.Errorf("%w: issuing a HoK token: %w", ErrMissingMaterial, err)
			}
		}
		if m.bearerToken == nil {
			if m.bearerToken, err = issuer.Issue(sts.IssueRequest{Subject: r.subject, NotBefore: r.now().Add(-time.Minute)}); err != nil {
				return nil, fmt.Errorf("%w: issuing a bearer token: %w", ErrMissingMaterial, err)
			}
		}
	}
	now := r.now()
	other, otherCert, err := sts.GenerateKeyPair("vapisec conformance: a key no token confirms", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	m.otherKey, m.otherCert = other, otherCert
	r.signingMaterials = m
	return m, nil
}

// untrusted returns a HoK token for the runner's HoK certificate signed by
// an STS of the runner's own making, which the target does not trust.
func (r *Runner) untrusted(m *materials) ([]byte, error) {
	if m.untrustedToken != nil {
		return m.untrustedToken, nil
	}
	if r.hokCert == nil {
		return nil, fmt.Errorf("%w: no HoK certificate", ErrMissingMaterial)
	}
	now := r.now()
	key, cert, err := sts.GenerateKeyPair("vapisec conformance: an STS nobody trusts", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	issuer, err := sts.New(key, cert, sts.WithClock(r.now))
	if err != nil {
		return nil, fmt.Errorf("%w: untrusted STS: %w", ErrTransport, err)
	}
	if m.untrustedToken, err = issuer.Issue(sts.IssueRequest{Subject: r.subject, HoKCertificate: r.hokCert, NotBefore: now.Add(-time.Minute)}); err != nil {
		return nil, fmt.Errorf("%w: issuing an untrusted HoK token: %w", ErrTransport, err)
	}
	return m.untrustedToken, nil
}

var (
	nameIDContent  = regexp.MustCompile(`(<(?:[A-Za-z_][\w.-]*:)?NameID\b[^>]*>)([^<]*)(</)`)
	x509CertInside = regexp.MustCompile(`(<(?:[A-Za-z_][\w.-]*:)?X509Certificate\b[^>]*>)([^<]*)(</)`)
)

// alteredToken returns token with the text of its (first) NameID changed
// to another principal after the STS signed it: the signature no longer
// covers the content.
func alteredToken(token []byte) ([]byte, error) {
	loc := nameIDContent.FindSubmatchIndex(token)
	if loc == nil {
		return nil, fmt.Errorf("%w: the HoK token has no NameID to alter", ErrMissingMaterial)
	}
	victim := "administrator@vsphere.local"
	if string(token[loc[4]:loc[5]]) == victim {
		victim = "root@vsphere.local"
	}
	out := append([]byte(nil), token[:loc[4]]...)
	out = append(out, victim...)
	return append(out, token[loc[5]:]...), nil
}

// forgedToken returns token with the confirmation certificate (the first
// X509Certificate after SubjectConfirmationData) replaced by cert: a
// stolen token rebound to the thief's own key.
func forgedToken(token []byte, cert *x509.Certificate) ([]byte, error) {
	start := bytes.Index(token, []byte("SubjectConfirmationData"))
	if start < 0 {
		return nil, fmt.Errorf("%w: the HoK token has no SubjectConfirmationData", ErrMissingMaterial)
	}
	loc := x509CertInside.FindSubmatchIndex(token[start:])
	if loc == nil {
		return nil, fmt.Errorf("%w: the HoK token has no confirmation certificate", ErrMissingMaterial)
	}
	out := append([]byte(nil), token[:start+loc[4]]...)
	out = append(out, base64.StdEncoding.EncodeToString(cert.Raw)...)
	return append(out, token[start+loc[5]:]...), nil
}

// hokTokenAndKey returns the token and the signing key of a HoK request
// for variant: the runner's HoK token and key, or one of the bad tokens
// ("untrusted-sts", "token-altered", "forged-hok-cert"); any other
// variant gets the runner's token and key (the caller applies it).
func (cr *caseRun) hokTokenAndKey(variant string, m *materials) (token []byte, key crypto.Signer, err error) {
	token, key = m.hokToken, cr.r.hokKey
	switch variant {
	case "untrusted-sts":
		token, err = cr.r.untrusted(m)
	case "token-altered":
		if token == nil {
			return nil, nil, fmt.Errorf("%w: no HoK token", ErrMissingMaterial)
		}
		token, err = alteredToken(token)
	case "forged-hok-cert":
		if token == nil {
			return nil, nil, fmt.Errorf("%w: no HoK token", ErrMissingMaterial)
		}
		token, err = forgedToken(token, m.otherCert)
		key = m.otherKey
	}
	return token, key, err
}

// sign signs p as s says.
func (cr *caseRun) sign(s *Sign, p *prepared) error {
	m, err := cr.r.materials()
	if err != nil {
		return err
	}
	switch s.Kind {
	case "sign-bearer":
		if m.bearerToken == nil {
			return fmt.Errorf("%w: no bearer token", ErrMissingMaterial)
		}
		tok, err := gzipBase64(m.bearerToken)
		if err != nil {
			return err
		}
		p.headers = append(p.headers, [2]string{"Authorization", `SIGN token="` + tok + `"`})
		return nil
	case "sign-hok":
		return cr.signHeader(s.Variant, m, p)
	case "jsonrpc-bearer":
		return cr.jsonrpcBearer(m, p)
	case "jsonrpc-hok":
		return cr.signJSONRPC(s.Variant, m, p)
	}
	return fmt.Errorf("%w: sign kind %q", ErrInvalidSuite, s.Kind)
}

// signHeader adds an Authorization: SIGN header for a HoK token (spec §8,
// govmomi's format).
func (cr *caseRun) signHeader(variant string, m *materials, p *prepared) error {
	token, key, err := cr.hokTokenAndKey(variant, m)
	if err != nil {
		return err
	}
	if token == nil {
		return fmt.Errorf("%w: no HoK token", ErrMissingMaterial)
	}
	tok, err := gzipBase64(token)
	if err != nil {
		return err
	}
	u, err := url.Parse(cr.r.base + p.path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSuite, err)
	}
	host, port, path, body := strings.ToLower(u.Hostname()), u.Port(), u.Path, p.body
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" {
		port = "80"
	}
	now := cr.r.now()
	switch variant {
	case "", "untrusted-sts", "token-altered", "forged-hok-cert":
	case "wrong-host":
		host = "wrong-host.example"
	case "relayed":
		// Signed for another server and sent with the Host it was signed
		// for, as that server would relay it (DESIGN Q21).
		host = relayHost
		p.host = relayHost
		if u.Port() != "" {
			p.host += ":" + u.Port()
		}
	case "wrong-path":
		path += "/wrong"
	case "wrong-body":
		body = append(append([]byte(nil), body...), " tampered"...)
	case "stale-nonce":
		now = now.Add(-2 * time.Hour)
	case "wrong-key":
		key = m.otherKey
	default:
		return fmt.Errorf("%w: SIGN variant %q", ErrInvalidSuite, variant)
	}
	nonce := strconv.FormatInt(now.UnixMilli(), 10) + ":" + strconv.FormatUint(randomUint63(), 10)
	sig, bodyHash, err := SignRequest(key, nonce, p.method, path, host, port, body)
	if err != nil {
		return err
	}
	p.headers = append(p.headers, [2]string{"Authorization", fmt.Sprintf(`SIGN token="%s", signature_alg="RSA-SHA256", signature="%s", nonce="%s", bodyhash="%s"`, tok, sig, nonce, bodyHash)})
	return nil
}

// relayHost is the host a "relayed" SIGN header is signed for and sent
// with: a server other than the target.
const relayHost = "relay.example"

// SignRequest computes the signature and body hash of an Authorization:
// SIGN header (spec §8.2): RSASSA-PKCS1-v1_5 SHA-256 over nonce, method,
// path, host and port, each followed by LF, then the raw SHA-256 of body
// and LF. Both results are standard base64. Host and port are used as
// given (no lower-casing, no default port): the caller normalizes them.
//
// It is the suite's independent oracle for SIGN, written from the spec
// without package signer so that a signer bug the server under test mirrors
// cannot hide a server bug; signer.HeaderSigner is the client API. Errors
// match ErrMissingMaterial.
func SignRequest(key crypto.Signer, nonce, method, path, host, port string, body []byte) (signature, bodyHash string, err error) {
	h := sha256.Sum256(body)
	var b bytes.Buffer
	for _, s := range []string{nonce, method, path, host, port} {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	b.Write(h[:])
	b.WriteByte('\n')
	digest := sha256.Sum256(b.Bytes())
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return "", "", fmt.Errorf("%w: signing: %w", ErrMissingMaterial, err)
	}
	return base64.StdEncoding.EncodeToString(sig), base64.StdEncoding.EncodeToString(h[:]), nil
}

// signJSONRPC puts a signed HoK securityCtx into the JSON-RPC body of p
// (spec §7.2).
func (cr *caseRun) signJSONRPC(variant string, m *materials, p *prepared) error {
	token, key, err := cr.hokTokenAndKey(variant, m)
	if err != nil {
		return err
	}
	alg := "RS256"
	created := cr.r.now().UTC()
	expires := created.Add(10 * time.Minute)
	switch variant {
	case "", "tampered":
	case "untrusted-sts", "token-altered", "forged-hok-cert":
	case "expired":
		created = created.Add(-2 * time.Hour)
		expires = created.Add(10 * time.Minute)
	case "future":
		created = created.Add(time.Hour)
		expires = created.Add(10 * time.Minute)
	case "wrong-alg":
		alg = "HS256"
	case "bearer-as-hok":
		token = m.bearerToken
	case "wrong-key":
		key = m.otherKey
	default:
		return fmt.Errorf("%w: JSON-RPC variant %q", ErrInvalidSuite, variant)
	}
	if token == nil {
		return fmt.Errorf("%w: no token for %q", ErrMissingMaterial, variant)
	}
	ctx := map[string]any{
		"schemeId":           string(vapisec.SchemeSAMLHoK),
		"signatureAlgorithm": alg,
		"timestamp":          map[string]any{"created": created.Format(timestampLayout), "expires": expires.Format(timestampLayout)},
	}
	sig, signed, err := SignJSONRPC(key, p.body, ctx)
	if err != nil {
		return err
	}
	ctx["signature"] = map[string]any{"samlToken": string(token), "value": sig}
	if variant == "tampered" {
		appCtx, _ := signed["params"].(map[string]any)["ctx"].(map[string]any)["appCtx"].(map[string]any)
		if appCtx == nil {
			return fmt.Errorf("%w: tampered needs params.ctx.appCtx in the body", ErrInvalidSuite)
		}
		appCtx["opId"] = "tampered-after-signing"
	}
	out, err := json.Marshal(signed)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSuite, err)
	}
	p.body = out
	return nil
}

// jsonrpcBearer puts a bearer securityCtx (schemeId saml_bearer_token and
// the token, no signature: spec §2) into the JSON-RPC body of p.
func (cr *caseRun) jsonrpcBearer(m *materials, p *prepared) error {
	if m.bearerToken == nil {
		return fmt.Errorf("%w: no bearer token", ErrMissingMaterial)
	}
	dec := json.NewDecoder(bytes.NewReader(p.body))
	dec.UseNumber()
	var req map[string]any
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("%w: JSON-RPC body: %w", ErrInvalidSuite, err)
	}
	params, _ := req["params"].(map[string]any)
	if params == nil {
		return fmt.Errorf("%w: JSON-RPC body without params", ErrInvalidSuite)
	}
	ctx, _ := params["ctx"].(map[string]any)
	if ctx == nil {
		ctx = map[string]any{}
		params["ctx"] = ctx
	}
	ctx["securityCtx"] = map[string]any{"schemeId": string(vapisec.SchemeSAMLBearer), "samlToken": string(m.bearerToken)}
	out, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidSuite, err)
	}
	p.body = out
	return nil
}

// SignJSONRPC signs the JSON-RPC request body with key as spec §7.2 says:
// it sets params.ctx.securityCtx to securityCtx (which must not hold the
// signature yet), canonicalizes the whole request (Java profile) and signs
// it with RSASSA-PKCS1-v1_5 SHA-256. It returns the base64 signature and
// the decoded request with securityCtx in place (the caller adds
// securityCtx["signature"] and marshals it).
//
// It is the suite's independent oracle for signed JSON-RPC, written from the
// spec without package signer so that a signer bug the server under test
// mirrors cannot hide a server bug; signer.JSONRPCSigner is the client API. Errors match ErrInvalidSuite (a body that is not a JSON-RPC request
// with an object params) or ErrMissingMaterial (the key failed to sign).
func SignJSONRPC(key crypto.Signer, body []byte, securityCtx map[string]any) (string, map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var req map[string]any
	if err := dec.Decode(&req); err != nil {
		return "", nil, fmt.Errorf("%w: JSON-RPC body: %w", ErrInvalidSuite, err)
	}
	params, _ := req["params"].(map[string]any)
	if params == nil {
		return "", nil, fmt.Errorf("%w: JSON-RPC body without params", ErrInvalidSuite)
	}
	ctx, _ := params["ctx"].(map[string]any)
	if ctx == nil {
		ctx = map[string]any{}
		params["ctx"] = ctx
	}
	ctx["securityCtx"] = securityCtx
	raw, err := json.Marshal(req)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrInvalidSuite, err)
	}
	canon, err := canonical.Canonicalize(raw)
	if err != nil {
		return "", nil, fmt.Errorf("%w: canonical: %w", ErrInvalidSuite, err)
	}
	digest := sha256.Sum256(canon)
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return "", nil, fmt.Errorf("%w: signing: %w", ErrMissingMaterial, err)
	}
	return base64.StdEncoding.EncodeToString(sig), req, nil
}

// gzipBase64 is the token encoding of a SIGN header: base64(gzip(xml)).
func gzipBase64(xml []byte) (string, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(xml); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSuite, err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidSuite, err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

func randomUint63() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) >> 1
}
