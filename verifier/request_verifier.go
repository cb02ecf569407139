package verifier

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	vapisec "github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/canonical"
	"github.com/vapisec/vapisec/parser"
)

// RequestVerifier verifies signed vAPI requests: JSON-RPC bodies whose
// securityCtx carries a SAML holder-of-key signature or (opt-in) a bearer
// token (spec §7), and REST requests with "Authorization: SIGN" (spec §8).
// It follows the Java runtime's order and adds what no vAPI runtime does:
// a maximum timestamp window, algorithm names bound to key types, strict
// JSON, and a replay check.
//
// A RequestVerifier is safe for concurrent use.
type RequestVerifier struct {
	cfg      requestConfig
	tokens   *TokenVerifier
	parser   *parser.JSONRPCParser
	extra    []*canonical.Canonicalizer // WithProfiles, in order
	signAlgs map[string]requestAlg
	replay   ReplayCache
	wire     *wireTokenCache
	scratch  sync.Pool // of *[]byte, canonical and token buffers
}

// Result is what a successful verification returns.
type Result struct {
	// SecurityContext is the caller's context: scheme HoK or bearer,
	// authenticated, principal and groups from the token, the token facts,
	// the source (body for JSON-RPC, authorization for SIGN) and, for
	// JSON-RPC, VerifiedBody = the exact body bytes that were verified.
	SecurityContext *vapisec.SecurityContext
	// Token is the verified token; shared and read-only.
	Token *Token
	// Profile is the canonical profile whose form the JSON-RPC signature
	// verified with (canonical.Java unless WithProfiles added others).
	Profile canonical.Profile
}

// NewRequestVerifier returns a RequestVerifier that validates tokens with
// tokens (required; its trust anchors, clock and cache apply, and its clock
// is the request clock too unless WithRequestClock says otherwise) and is
// configured by opts. WithAllowedHosts is required for the SIGN scheme
// (ErrNoAllowedHosts); a verifier for JSON-RPC bodies only is built with
// WithoutSIGN instead.
func NewRequestVerifier(tokens *TokenVerifier, opts ...RequestOption) (*RequestVerifier, error) {
	if tokens == nil {
		return nil, newError("nil token verifier", ErrInvalidOption)
	}
	cfg := defaultRequestConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.clock == nil {
		cfg.clock = tokens.cfg.clock
	}
	switch {
	case cfg.noSign && len(cfg.hosts) > 0:
		return nil, newError("WithoutSIGN and WithAllowedHosts together", ErrInvalidOption)
	case !cfg.noSign && len(cfg.hosts) == 0:
		return nil, newError("", ErrNoAllowedHosts, ErrInvalidOption)
	}
	p, err := parser.NewJSONRPCParser(canonical.WithMaxSize(cfg.maxBody), canonical.WithMaxDepth(cfg.canonicalDepth))
	if err != nil {
		return nil, newError(err.Error(), ErrInvalidOption)
	}
	v := &RequestVerifier{cfg: cfg, tokens: tokens, parser: p, signAlgs: signAlgorithms(), replay: cfg.replay, wire: newWireTokenCache(cfg.wireCacheSize)}
	for _, prof := range cfg.profiles {
		c, err := canonical.New(canonical.WithProfile(prof), canonical.WithMaxSize(cfg.maxBody),
			canonical.WithMaxDepth(cfg.canonicalDepth), canonical.WithoutMember(parser.SignaturePath()...))
		if err != nil {
			return nil, newError(err.Error(), ErrInvalidOption)
		}
		v.extra = append(v.extra, c)
	}
	if v.replay == nil {
		opts := []MemoryReplayOption{WithReplayClock(cfg.clock)}
		if cfg.replaySize > 0 { // WithReplayCacheSize
			opts = append(opts, WithMaxReplayEntries(cfg.replaySize))
		}
		rc, err := NewMemoryReplayCache(opts...)
		if err != nil {
			return nil, err
		}
		v.replay = rc
	}
	return v, nil
}

// AllowBearer reports whether bearer tokens are accepted (WithAllowBearer).
func (v *RequestVerifier) AllowBearer() bool { return v.cfg.allowBearer }

// SIGNEnabled reports whether VerifySign verifies SIGN requests (false
// with WithoutSIGN).
func (v *RequestVerifier) SIGNEnabled() bool { return !v.cfg.noSign }

// MaxBodySize returns the body size limit (WithMaxBodySize).
func (v *RequestVerifier) MaxBodySize() int { return v.cfg.maxBody }

func (v *RequestVerifier) getBuf(n int) *[]byte {
	if p, _ := v.scratch.Get().(*[]byte); p != nil && cap(*p) >= n {
		return p
	}
	b := make([]byte, 0, max(n, 4096))
	return &b
}

func (v *RequestVerifier) putBuf(p *[]byte) {
	if cap(*p) <= 256<<10 {
		*p = (*p)[:0]
		v.scratch.Put(p)
	}
}

// VerifyJSONRPC verifies the JSON-RPC request body (spec §7.4, Java's
// order, DESIGN §7):
//
//  1. size limit; strict parse and canonicalization in one pass (parser
//     errors, all matching parser.ErrMalformed);
//  2. no params.ctx.securityCtx (the fixed path only, DESIGN Q12), or one
//     without schemeId and signature → ErrNotSigned; a schemeId of another
//     scheme → ErrOtherScheme: the caller passes the request on;
//  3. bearer scheme: only WithAllowBearer (ErrSchemeNotAllowed); the
//     token must verify and be a bearer token;
//  4. HoK: signature must be an object; timestamp created/expires in the
//     exact form YYYY-MM-DDTHH:MM:SS.mmmZ with created ≤ now + future
//     skew, expires ≥ now − past skew, created ≤ expires, expires −
//     created ≤ MaxWindow (DESIGN Q11);
//  5. signatureAlgorithm in the allow-list, exact case (DESIGN Q15);
//  6. signature.value and signature.samlToken strings; value is standard
//     base64, padding optional, CR/LF/space ignored (DESIGN Q17);
//  7. the token: the JSON string at most WithMaxEncodedTokenSize bytes
//     before it is unescaped (ErrEncodedTokenTooLarge); it verifies
//     (cached) and is a holder-of-key token whose key fits the algorithm;
//  8. the signature over the canonical bytes without signature (Java
//     profile, then the WithProfiles ones);
//  9. replay check, only now: key (certificate, canonical bytes), TTL
//     expires + past skew − now, within the certificate's share
//     and its subject's (WithReplayShare, WithReplaySubjectShare,
//     ErrReplayQuota).
//
// body is not modified; the result's VerifiedBody is body itself.
func (v *RequestVerifier) VerifyJSONRPC(ctx context.Context, body []byte) (*Result, error) {
	if len(body) > v.cfg.maxBody {
		return nil, newError(fmt.Sprintf("%d bytes, limit %d", len(body), v.cfg.maxBody), ErrBodyTooLarge, ErrMalformedRequest)
	}
	buf := v.getBuf(len(body))
	defer v.putBuf(buf)
	req, err := v.parser.Parse((*buf)[:0], body)
	*buf = req.Buf
	if err != nil {
		return nil, newError(err.Error(), err, ErrMalformedRequest)
	}
	return v.verifyParsed(ctx, body, &req)
}

// VerifyParsedJSONRPC is VerifyJSONRPC for a body the caller has already
// parsed with the verifier's own parser (Parser): req must be the
// successful result of Parser().Parse on exactly body. The middleware parses
// a JSON-RPC body once for every scheme and hands it here for the SAML ones,
// so that a signed request is not parsed twice. req is not retained.
func (v *RequestVerifier) VerifyParsedJSONRPC(ctx context.Context, body []byte, req *parser.JSONRPCRequest) (*Result, error) {
	if len(body) > v.cfg.maxBody {
		return nil, newError(fmt.Sprintf("%d bytes, limit %d", len(body), v.cfg.maxBody), ErrBodyTooLarge, ErrMalformedRequest)
	}
	return v.verifyParsed(ctx, body, req)
}

// Parser returns the JSON-RPC parser the verifier parses bodies with (the
// Java profile, the verifier's body size and depth limits); it is safe for
// concurrent use. See VerifyParsedJSONRPC.
func (v *RequestVerifier) Parser() *parser.JSONRPCParser { return v.parser }

func (v *RequestVerifier) verifyParsed(ctx context.Context, body []byte, req *parser.JSONRPCRequest) (*Result, error) {
	if !req.HasSecurityCtx {
		return nil, ErrNotSigned
	}
	sc := &req.SecurityCtx
	switch scheme := &sc.SchemeID; {
	case scheme.Kind == parser.KindAbsent:
		if sc.Signature.Kind != parser.KindAbsent {
			return nil, malformedRequest("securityCtx has a signature but no schemeId")
		}
		return nil, ErrNotSigned
	case !scheme.IsString():
		return nil, malformedRequest("schemeId is not a string")
	case scheme.Equal(string(vapisec.SchemeSAMLHoK)):
		return v.verifyHoK(ctx, body, req)
	case scheme.Equal(string(vapisec.SchemeSAMLBearer)):
		return v.verifyJSONBearer(ctx, body, sc)
	case asciiEqualFold(scheme.Value, string(vapisec.SchemeSAMLHoK)), asciiEqualFold(scheme.Value, string(vapisec.SchemeSAMLBearer)):
		// Java compares case-insensitively; a case variant is refused rather
		// than passed on as "another scheme".
		return nil, malformedRequest("schemeId %.80q is not in the exact case", scheme.Value)
	}
	return nil, ErrOtherScheme
}

func malformedRequest(format string, args ...any) error {
	return newError(fmt.Sprintf(format, args...), ErrMalformedRequest)
}

func (v *RequestVerifier) verifyJSONBearer(ctx context.Context, body []byte, sc *parser.SecurityCtx) (*Result, error) {
	if !v.cfg.allowBearer {
		return nil, ErrSchemeNotAllowed
	}
	vt, err := v.jsonToken(ctx, &sc.SAMLToken)
	if err != nil {
		return nil, err
	}
	if vt.token.Confirmation != vapisec.ConfirmationBearer {
		return nil, newError("holder-of-key token sent as bearer", ErrConfirmationMismatch)
	}
	return v.result(vt, vapisec.SchemeSAMLBearer, vapisec.SourceBody, body, canonical.Java), nil
}

// jsonToken verifies a samlToken member: its size as sent, then the token
// it decodes to.
func (v *RequestVerifier) jsonToken(ctx context.Context, m *parser.CtxString) (*verifiedToken, error) {
	if !m.IsString() {
		return nil, malformedRequest("samlToken is not a string")
	}
	raw := m.Raw
	if len(raw) > v.cfg.maxWireToken {
		return nil, newError(fmt.Sprintf("%d bytes, limit %d", len(raw), v.cfg.maxWireToken), ErrEncodedTokenTooLarge, ErrTokenTooLarge, ErrMalformedToken)
	}
	if len(raw) > 6*v.cfg.maxToken {
		return nil, newError(fmt.Sprintf("%d bytes", len(raw)), ErrTokenTooLarge, ErrMalformedToken)
	}
	// The XML is unescaped only on a miss of the wire-token cache.
	return token(ctx, v, raw, func([]byte) ([]byte, error) { return m.Unescaped(), nil })
}

func (v *RequestVerifier) verifyHoK(ctx context.Context, body []byte, req *parser.JSONRPCRequest) (*Result, error) {
	sc := &req.SecurityCtx
	expires, now, err := v.hokWindow(sc)
	if err != nil {
		return nil, err
	}
	// 5. algorithm.
	if !sc.SignatureAlgorithm.IsString() {
		return nil, malformedRequest("signatureAlgorithm is missing or not a string")
	}
	alg, ok := v.cfg.jsonAlgs[string(sc.SignatureAlgorithm.Raw)]
	if !ok {
		return nil, newError(quote(string(sc.SignatureAlgorithm.Raw)), ErrRequestAlgorithm)
	}
	// 6. value and samlToken.
	if !sc.Signature.SAMLToken.IsString() {
		return nil, malformedRequest("signature.samlToken is missing or not a string")
	}
	if err := sc.Signature.BytesErr; err != nil {
		return nil, malformedRequest("%s", securityCtxDetail(err))
	}
	// 7. token.
	vt, err := v.jsonToken(ctx, &sc.Signature.SAMLToken)
	if err != nil {
		return nil, err
	}
	if vt.token.Confirmation != vapisec.ConfirmationHolderOfKey || vt.token.HoKCertificate == nil {
		return nil, newError("bearer token sent as holder-of-key", ErrConfirmationMismatch)
	}
	pub := vt.token.HoKCertificate.PublicKey
	if err := alg.checkKey(pub); err != nil {
		return nil, err
	}
	// 8. signature over the canonical bytes.
	signed, profile, err := v.verifyCanonical(&alg, pub, req, body)
	if err != nil {
		return nil, err
	}
	// 9. replay, after the signature verified.
	key := jsonRPCReplayKey(&vt.certSum, signed)
	if err := v.record(ctx, vt, key, expires.Add(v.cfg.pastSkew).Sub(now)); err != nil {
		return nil, err
	}
	return v.result(vt, vapisec.SchemeSAMLHoK, vapisec.SourceBody, body, profile), nil
}

// hokWindow is step 4 of VerifyJSONRPC: the signature is an object and
// the timestamp window holds now. It returns timestamp.expires and now.
func (v *RequestVerifier) hokWindow(sc *parser.SecurityCtx) (expires, now time.Time, err error) {
	if sc.Signature.Kind != parser.KindObject {
		return expires, now, malformedRequest("signature is not an object")
	}
	ts := &sc.Timestamp
	if ts.Kind != parser.KindObject {
		return expires, now, malformedRequest("timestamp is missing or not an object")
	}
	for _, t := range [...]*parser.CtxTime{&ts.Created, &ts.Expires} {
		if t.Err != nil {
			return expires, now, malformedRequest("%s", securityCtxDetail(t.Err))
		}
	}
	now = v.cfg.clock()
	return ts.Expires.Time, now, v.checkWindow(ts.Created.Time, ts.Expires.Time, now)
}

// securityCtxDetail is the detail of a parser securityCtx member error,
// without the parser's sentinel text.
func securityCtxDetail(err error) string {
	return strings.TrimPrefix(err.Error(), parser.ErrSecurityCtxInvalid.Error()+": ")
}

// verifyCanonical is step 8 of VerifyJSONRPC: the signature over the
// parser's canonical bytes (the Java profile), then over the forms of the
// WithProfiles profiles in order. It returns the bytes that verified and
// their profile.
func (v *RequestVerifier) verifyCanonical(alg *requestAlg, pub crypto.PublicKey, req *parser.JSONRPCRequest, body []byte) ([]byte, canonical.Profile, error) {
	sig := req.SecurityCtx.Signature.Bytes
	err := alg.verify(pub, req.Canonical, sig)
	if err == nil {
		return req.Canonical, canonical.Java, nil
	}
	for _, c := range v.extra {
		// After Buf, not after Canonical: sig lives in between.
		res, cerr := c.AppendResult(req.Buf[len(req.Buf):], body)
		if cerr != nil {
			continue
		}
		if alg.verify(pub, res.Canonical, sig) == nil {
			return res.Canonical, c.Profile(), nil
		}
	}
	return nil, 0, err
}

// record inserts key of the verified token vt into the replay cache,
// within the share of its holder-of-key certificate and that of its
// subject; ttl is at least one second.
func (v *RequestVerifier) record(ctx context.Context, vt *verifiedToken, key ReplayKey, ttl time.Duration) error {
	ttl = max(ttl, time.Second)
	err := v.replay.Record(ctx, ReplayEntry{
		Owner: vt.certSum, Subject: NewReplaySubject(vt.token.Subject), Key: key, TTL: ttl,
		Share: v.cfg.replayShare, SubjectShare: v.cfg.userShare,
	})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrReplayed):
		return err
	case errors.Is(err, ErrStoreUnavailable):
		return err
	case errors.Is(err, ErrReplayQuota):
		return newError("", ErrStoreUnavailable, err)
	}
	return newError(err.Error(), ErrStoreUnavailable)
}

// checkWindow applies DESIGN Q11.
func (v *RequestVerifier) checkWindow(created, expires, now time.Time) error {
	switch {
	case created.After(expires):
		return newError("created after expires", ErrTimestampWindow)
	case expires.Sub(created) > v.cfg.maxWindow:
		return newError(fmt.Sprintf("window %v longer than %v", expires.Sub(created), v.cfg.maxWindow), ErrTimestampWindow)
	case created.After(now.Add(v.cfg.futureSkew)):
		return newError(fmt.Sprintf("created %s", created.Format(time.RFC3339)), ErrRequestNotYetValid)
	case expires.Before(now.Add(-v.cfg.pastSkew)):
		return newError(fmt.Sprintf("expired %s", expires.Format(time.RFC3339)), ErrRequestExpired)
	}
	return nil
}

// result builds the Result.
func (v *RequestVerifier) result(vt *verifiedToken, scheme vapisec.SchemeID, src vapisec.CredentialSource, body []byte, p canonical.Profile) *Result {
	r := &struct {
		res Result
		sc  vapisec.SecurityContext
	}{}
	r.sc = vapisec.SecurityContext{
		Scheme:        scheme,
		Authenticated: true,
		Principal:     vt.token.Subject,
		Groups:        vt.token.Groups,
		Source:        src,
		Token:         vt.info,
	}
	if src == vapisec.SourceBody {
		r.sc.VerifiedBody = body
	}
	r.res = Result{SecurityContext: &r.sc, Token: vt.token, Profile: p}
	return &r.res
}
