package verifier

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// TokenVerifier validates SAML 2.0 tokens issued by a vCenter-style STS
// (spec §7.5–§7.6, DESIGN §7 rules 1–4, 8, 9), the way the Java vAPI runtime
// does and stricter: the token must be a single, safe Assertion signed by a
// trust anchor, and every field is read from the element the signature
// covers.
//
// A TokenVerifier is safe for concurrent use; Reload may run concurrently
// with Verify.
type TokenVerifier struct {
	cfg   tokenConfig
	state atomic.Pointer[trustState]
}

// NewTokenVerifier returns a TokenVerifier configured by opts. At least one
// of WithTrustedCertificates or WithTrustedRoots is required
// (ErrNoTrustAnchors); WithTrustedRoots requires WithTrustedSignerNames or
// WithTrustedSignerSPKIPins (ErrNoTrustedSigner).
func NewTokenVerifier(opts ...TokenOption) (*TokenVerifier, error) {
	cfg := defaultTokenConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	st, err := newTrustState(cfg.anchors, cfg.cacheSize)
	if err != nil {
		return nil, err
	}
	cfg.anchors = TrustAnchors{}
	v := &TokenVerifier{cfg: cfg}
	v.state.Store(st)
	return v, nil
}

// Reload replaces the trust anchors (hot reload, DESIGN Q16) and flushes the
// verified-token cache. The rules of NewTokenVerifier apply to anchors:
// Roots need SignerNames or SignerSPKIPins. Verifications already running finish with the old
// anchors; their results are not cached under the new ones.
func (v *TokenVerifier) Reload(anchors TrustAnchors) error {
	st, err := newTrustState(anchors, v.cfg.cacheSize)
	if err != nil {
		return err
	}
	v.state.Store(st)
	return nil
}

// Verify validates token (the Assertion XML bytes) and returns its facts.
// The returned *Token may be shared through the cache and must be treated
// as read-only.
//
// Steps, cheapest first: size limit; cache lookup by SHA-256 of the bytes;
// raw scan (scanXML); etree parse; structural pre-checks (checkStructure);
// trust decision on the ds:KeyInfo certificates; goxmldsig Validate with the
// injected clock; fields read from the verified element only; conditions.
// Errors wrap the sentinels of errors.go; ReasonOf maps them to reason codes.
func (v *TokenVerifier) Verify(ctx context.Context, token []byte) (*Token, error) {
	e, _, err := v.verify(ctx, token)
	if err != nil {
		return nil, err
	}
	return e.token, nil
}

// verify is Verify that also returns the validity bounds and the trust
// state it verified under, for verifyForRequest: the steps before the
// XML (size limit, then the token cache, keyed by SHA-256 of the bytes
// and skipped, hash included, when the cache is off), then verifyCold.
func (v *TokenVerifier) verify(ctx context.Context, token []byte) (cacheEntry, *trustState, error) {
	if len(token) > v.cfg.maxSize {
		return cacheEntry{}, nil, newError(fmt.Sprintf("%d bytes, limit %d", len(token), v.cfg.maxSize), ErrTokenTooLarge, ErrMalformedToken)
	}
	st := v.state.Load()
	now := v.cfg.clock()
	var key [32]byte
	if st.cache != nil {
		key = sha256.Sum256(token)
		if e, ok := st.cache.get(&key); ok {
			if now.Before(e.from) {
				return cacheEntry{}, nil, newError("", ErrTokenNotYetValid)
			}
			if !now.Before(e.until) {
				st.cache.remove(&key)
				return cacheEntry{}, nil, newError("", ErrTokenExpired)
			}
			return e, st, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return cacheEntry{}, nil, err
	}
	t, from, until, err := v.verifyCold(st, token, now)
	if err != nil {
		return cacheEntry{}, nil, err
	}
	e := cacheEntry{token: t, from: from, until: until}
	st.cache.put(&key, e, now)
	return e, st, nil
}

func (v *TokenVerifier) verifyCold(st *trustState, token []byte, now time.Time) (*Token, time.Time, time.Time, error) {
	var zero time.Time
	if err := scanXML(token, v.cfg.maxDepth, v.cfg.maxElements); err != nil {
		return nil, zero, zero, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings.MaxDepth = v.cfg.maxDepth + 1
	if err := doc.ReadFromBytes(token); err != nil {
		return nil, zero, zero, newError(err.Error(), ErrInvalidXML, ErrMalformedToken)
	}
	root, keyInfo, err := checkStructure(doc, v.cfg.sigAlgs, v.cfg.digestAlgs)
	if err != nil {
		return nil, zero, zero, err
	}
	return v.verifyElement(st, root, keyInfo, now)
}

// verifyElement runs the steps after the pre-checks: trust decision on the
// ds:KeyInfo certificates, goxmldsig Validate, then the fields and
// conditions of the element Validate returned, never of root. The verified
// element is the canonical bytes of the transformed root re-parsed, and
// differs from root whenever the transforms removed something (the
// signature, comments); reading root would trust content the signature
// does not cover.
func (v *TokenVerifier) verifyElement(st *trustState, root *etree.Element, keyInfo [][]byte, now time.Time) (*Token, time.Time, time.Time, error) {
	var zero time.Time
	store, err := st.signingStore(keyInfo, now)
	if err != nil {
		return nil, zero, zero, err
	}
	vc := &dsig.ValidationContext{
		CertificateStore: store,
		IdAttribute:      dsig.DefaultIdAttr,
		Clock:            dsig.NewFakeClockAt(now),
	}
	verified, err := vc.Validate(root)
	if err != nil {
		return nil, zero, zero, newError(err.Error(), ErrBadSignature)
	}
	t, val, err := readToken(verified)
	if err != nil {
		return nil, zero, zero, err
	}
	from, until, err := v.checkConditions(t, val, now)
	if err != nil {
		return nil, zero, zero, err
	}
	return t, from, until, nil
}

// checkConditions applies DESIGN §7 rule 4 and Q14: NotOnOrAfter must not
// precede NotBefore; IssueInstant must not lie more than the skew after now,
// after NotBefore or after the earliest AuthnInstant, nor an AuthnInstant
// more than the skew after IssueInstant (ErrTokenTiming); NotBefore − skew ≤ now < NotOnOrAfter + skew, narrowed
// by the SubjectConfirmationData's own bounds (which must lie within the
// token's); every AudienceRestriction must name a configured audience. It
// returns the instants between which the token is valid.
func (v *TokenVerifier) checkConditions(t *Token, val *validity, now time.Time) (time.Time, time.Time, error) {
	var zero time.Time
	if t.NotOnOrAfter.Before(t.NotBefore) {
		return zero, zero, fieldError("NotOnOrAfter %s before NotBefore %s", t.NotOnOrAfter.Format(time.RFC3339), t.NotBefore.Format(time.RFC3339))
	}
	notBefore, notOnOrAfter := t.NotBefore, t.NotOnOrAfter
	if !val.scdNotOnOrAfter.IsZero() {
		if val.scdNotOnOrAfter.After(t.NotOnOrAfter) {
			return zero, zero, fieldError("SubjectConfirmationData NotOnOrAfter after the token's")
		}
		notOnOrAfter = val.scdNotOnOrAfter
	}
	if !val.scdNotBefore.IsZero() && val.scdNotBefore.After(notBefore) {
		notBefore = val.scdNotBefore
	}
	// Timing divergence (the Java runtime's InvalidTimingException): an
	// assertion cannot be issued in the future, nor after the start of its
	// own validity or after the authentication it records, and that
	// authentication cannot follow the issue.
	if val.issueInstant.After(now.Add(v.cfg.skew)) {
		return zero, zero, newError(fmt.Sprintf("IssueInstant %s in the future", val.issueInstant.UTC().Format(time.RFC3339)), ErrTokenTiming, ErrTokenNotYetValid)
	}
	if val.issueInstant.After(t.NotBefore.Add(v.cfg.skew)) {
		return zero, zero, newError(fmt.Sprintf("IssueInstant %s after NotBefore %s", val.issueInstant.UTC().Format(time.RFC3339), t.NotBefore.UTC().Format(time.RFC3339)), ErrTokenTiming, ErrMalformedToken)
	}
	if !val.authnInstant.IsZero() && val.issueInstant.After(val.authnInstant.Add(v.cfg.skew)) {
		return zero, zero, newError(fmt.Sprintf("IssueInstant %s after AuthnInstant %s", val.issueInstant.UTC().Format(time.RFC3339), val.authnInstant.UTC().Format(time.RFC3339)), ErrTokenTiming, ErrMalformedToken)
	}
	if val.authnLatest.After(val.issueInstant.Add(v.cfg.skew)) {
		return zero, zero, newError(fmt.Sprintf("AuthnInstant %s after IssueInstant %s", val.authnLatest.UTC().Format(time.RFC3339), val.issueInstant.UTC().Format(time.RFC3339)), ErrTokenTiming, ErrMalformedToken)
	}
	from, until := notBefore.Add(-v.cfg.skew), notOnOrAfter.Add(v.cfg.skew)
	if now.Before(from) {
		return zero, zero, newError(fmt.Sprintf("valid from %s", notBefore.UTC().Format(time.RFC3339)), ErrTokenNotYetValid)
	}
	if !now.Before(until) {
		return zero, zero, newError(fmt.Sprintf("expired at %s", notOnOrAfter.UTC().Format(time.RFC3339)), ErrTokenExpired)
	}
	if len(v.cfg.audiences) > 0 {
		for _, r := range val.restrictions {
			ok := false
			for _, a := range r {
				if slices.Contains(v.cfg.audiences, a) {
					ok = true
					break
				}
			}
			if !ok {
				return zero, zero, newError(fmt.Sprintf("audiences %.120q", r), ErrAudienceMismatch)
			}
		}
	}
	return from, until, nil
}

// ParseTokenUnverified reads the fields of a token WITHOUT verifying its
// signature, trust or conditions, for diagnostics (vapisec token inspect).
// It applies the same size limit and XML safety checks as Verify (with the
// default limits), and the same field checks (so a token without
// IssueInstant, with an undefined NameID or Attribute format, or with a
// padded NameID is refused here too); trust, signature and time are not
// checked.
//
// WARNING: nothing in the result can be trusted. Never use it to make an
// authentication or authorization decision; use TokenVerifier.Verify.
func ParseTokenUnverified(token []byte) (*Token, error) {
	if len(token) > DefaultMaxTokenSize {
		return nil, newError(fmt.Sprintf("%d bytes, limit %d", len(token), DefaultMaxTokenSize), ErrTokenTooLarge, ErrMalformedToken)
	}
	if err := scanXML(token, DefaultMaxXMLDepth, DefaultMaxXMLElements); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(token); err != nil {
		return nil, newError(err.Error(), ErrInvalidXML, ErrMalformedToken)
	}
	root := doc.Root()
	if root == nil || !isElem(root, nsSAMLAssertion, "Assertion") {
		return nil, malformed(ErrNotAssertion, "root is not a SAML 2.0 Assertion")
	}
	t, _, err := readToken(root)
	return t, err
}
