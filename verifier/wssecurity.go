package verifier

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	vapisec "github.com/vapisec/vapisec"
)

// Namespaces of a vim25 SOAP login with a WS-Security header.
const (
	nsSOAPEnvelope = "http://schemas.xmlsoap.org/soap/envelope/"
	nsWSSE         = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	nsWSU          = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	nsVim25        = "urn:vim25"
)

// Envelope limits on top of the token's (WithMaxXMLDepth,
// WithMaxXMLElements): the Envelope, Header and Security elements above
// the Assertion, and the Timestamp, Signature and Body elements beside it.
const (
	soapExtraDepth    = 4
	soapExtraElements = 256
)

// VerifySOAPLogin verifies a vim25 SOAP envelope calling
// SessionManager.LoginByToken with the WS-Security header govmomi's
// sts.Signer (and vCenter's other SDKs) write: a wsse:Security header with
// a wsu:Timestamp, a SAML 2.0 Assertion and, for holder-of-key, a
// ds:Signature over the Body and the Timestamp. host is the request's Host
// header as received.
//
// Nothing the client signs names the server (the Body holds only
// "_this" = SessionManager and the locale; the Timestamp only times), so a
// signed envelope is bound to this server by what can be bound: host (and
// its port, or "80" without one, as for SIGN) must be in WithAllowedHosts
// (ErrHostNotAllowed; a verifier built WithoutSIGN has no list and refuses
// every envelope), and a token whose Conditions carry an
// AudienceRestriction is bound to the audiences of WithAudiences. The
// replay check below keeps a captured envelope from being used twice.
//
// In this order, cheapest first:
//
//  1. size (WithMaxBodySize, ErrBodyTooLarge) and host;
//  2. the raw scan of the token verifier (no DOCTYPE, entity, comment or
//     processing instruction but a UTF-8 declaration, no attribute twice,
//     one root), nesting at most WithMaxXMLDepth + 4 and at most
//     WithMaxXMLElements + 256 elements, then etree;
//  3. structure, namespace-aware (ErrWSSecurityStructure): the root is a
//     SOAP 1.1 Envelope whose children are one Header then one Body; the
//     Body's one child element is LoginByToken (namespace urn:vim25 or
//     none, as govmomi sends it); the Header holds exactly one
//     wsse:Security, which holds one wsu:Timestamp, one SAML 2.0 Assertion
//     and at most one ds:Signature and nothing else; there is no other
//     Security, Assertion or Signature in the document but the Assertion's
//     own;
//  4. the Timestamp: wsu:Created then wsu:Expires, xsd:dateTime values,
//     within the window of JSON-RPC timestamps (WithFutureSkew,
//     WithPastSkew, WithMaxWindow: ErrRequestNotYetValid,
//     ErrRequestExpired, ErrTimestampWindow);
//  5. no Signature: a bearer login, only WithAllowBearer
//     (ErrSchemeNotAllowed); the token must verify and be a bearer token;
//  6. the Signature (ErrWSSecurityStructure, ErrRequestAlgorithm):
//     SignedInfo holds exactly CanonicalizationMethod exclusive c14n (no
//     InclusiveNamespaces), SignatureMethod RSA-SHA256/384/512 (never SHA-1,
//     HMAC or none) and two References, each with exactly one Transform,
//     exclusive c14n, and a DigestMethod SHA-256/384/512; no ds:Object.
//     Each Reference URI "#id" must match exactly one element of the whole
//     document by an Id, ID or id attribute of any namespace, and the two
//     matches must be the Envelope's own Body (by its wsu:Id) and the
//     Security header's own Timestamp — never a copy elsewhere with the
//     same Id (signature wrapping);
//  7. each Reference digest over the exclusive canonical form of its
//     element, in its namespace context (ErrRequestSignature);
//  8. the token: verified with the TokenVerifier (trust, conditions,
//     audience, lifetime, AuthnInstant rules; cached), a holder-of-key
//     token with an RSA key (ErrConfirmationMismatch, ErrRequestAlgorithm);
//  9. the SignatureValue over the canonical SignedInfo with the token's
//     holder-of-key key — always that key: ds:KeyInfo is not consulted
//     (ErrRequestSignature);
//  10. replay, only now: key (certificate, SignatureValue), TTL Expires +
//     past skew − now, within the certificate's and the subject's share
//     (ErrReplayed, ErrReplayQuota).
//
// The Result's SecurityContext has the SAML scheme (HoK or bearer), source
// body and VerifiedBody = envelope.
func (v *RequestVerifier) VerifySOAPLogin(ctx context.Context, envelope []byte, host string) (*Result, error) {
	if len(envelope) > v.cfg.maxBody {
		return nil, newError(fmt.Sprintf("%d bytes, limit %d", len(envelope), v.cfg.maxBody), ErrBodyTooLarge, ErrMalformedRequest)
	}
	h, port := hostHeaderPort(host)
	if !v.cfg.hostAllowed(h, port) {
		return nil, newError(quote(h+":"+port), ErrHostNotAllowed)
	}
	env, err := v.parseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	now := v.cfg.clock()
	created, expires, err := wsTimestamp(env.timestamp)
	if err != nil {
		return nil, err
	}
	if err := v.checkWindow(created, expires, now); err != nil {
		return nil, err
	}
	if env.signature == nil {
		return v.verifySOAPBearer(ctx, env, envelope)
	}
	sig, err := readWSSignature(env)
	if err != nil {
		return nil, err
	}
	for i := range sig.refs {
		if err := sig.refs[i].check(); err != nil {
			return nil, err
		}
	}
	vt, err := v.soapToken(ctx, env)
	if err != nil {
		return nil, err
	}
	if vt.token.Confirmation != vapisec.ConfirmationHolderOfKey || vt.token.HoKCertificate == nil {
		return nil, newError("bearer token sent with a signature", ErrConfirmationMismatch)
	}
	signedInfo, err := canonicalExc(sig.signedInfo)
	if err != nil {
		return nil, err
	}
	if err := sig.alg.verify(vt.token.HoKCertificate.PublicKey, signedInfo, sig.value); err != nil {
		return nil, err
	}
	if err := v.record(ctx, vt, wsReplayKey(&vt.certSum, sig.value), expires.Add(v.cfg.pastSkew).Sub(now)); err != nil {
		return nil, err
	}
	res := v.result(vt, vapisec.SchemeSAMLHoK, vapisec.SourceBody, envelope, 0)
	return res, nil
}

// verifySOAPBearer is step 5 of VerifySOAPLogin.
func (v *RequestVerifier) verifySOAPBearer(ctx context.Context, env *soapEnvelope, envelope []byte) (*Result, error) {
	if !v.cfg.allowBearer {
		return nil, ErrSchemeNotAllowed
	}
	vt, err := v.soapToken(ctx, env)
	if err != nil {
		return nil, err
	}
	if vt.token.Confirmation != vapisec.ConfirmationBearer {
		return nil, newError("holder-of-key token sent without a signature", ErrConfirmationMismatch)
	}
	return v.result(vt, vapisec.SchemeSAMLBearer, vapisec.SourceBody, envelope, 0), nil
}

// soapToken verifies the envelope's Assertion: detached with the
// namespaces in scope where it stands, serialized, and verified as a
// standalone token (cached by those bytes).
func (v *RequestVerifier) soapToken(ctx context.Context, env *soapEnvelope) (*verifiedToken, error) {
	el, err := detach(env.assertion)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.SetRoot(el)
	xml, err := doc.WriteToBytes()
	if err != nil {
		return nil, newError(err.Error(), ErrMalformedToken)
	}
	if len(xml) > v.cfg.maxToken {
		return nil, newError(fmt.Sprintf("%d bytes, limit %d", len(xml), v.cfg.maxToken), ErrTokenTooLarge, ErrMalformedToken)
	}
	return token(ctx, v, xml, func(b []byte) ([]byte, error) { return b, nil })
}

// soapEnvelope is the parsed envelope with the elements of step 3.
type soapEnvelope struct {
	doc       *etree.Document
	root      *etree.Element
	body      *etree.Element
	security  *etree.Element
	timestamp *etree.Element
	assertion *etree.Element
	signature *etree.Element // nil: bearer
}

// parseEnvelope is steps 2 and 3 of VerifySOAPLogin.
func (v *RequestVerifier) parseEnvelope(b []byte) (*soapEnvelope, error) {
	tc := &v.tokens.cfg
	maxDepth, maxElements := tc.maxDepth+soapExtraDepth, tc.maxElements+soapExtraElements
	if err := scanXML(b, maxDepth, maxElements); err != nil {
		return nil, envelopeError(err)
	}
	doc := etree.NewDocument()
	doc.ReadSettings.MaxDepth = maxDepth + 1
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, newError(err.Error(), ErrInvalidXML, ErrMalformedRequest)
	}
	root := doc.Root()
	if root == nil || !isElem(root, nsSOAPEnvelope, "Envelope") {
		return nil, wsStructure("root is not a SOAP 1.1 Envelope")
	}
	env := &soapEnvelope{doc: doc, root: root}
	var header *etree.Element
	for _, t := range root.Child {
		switch c := t.(type) {
		case *etree.Element:
			switch {
			case isElem(c, nsSOAPEnvelope, "Header") && header == nil && env.body == nil:
				header = c
			case isElem(c, nsSOAPEnvelope, "Body") && env.body == nil:
				env.body = c
			default:
				return nil, wsStructure("Envelope child {%.80s}%.40s out of place", c.NamespaceURI(), c.Tag)
			}
		case *etree.CharData:
			if !t.(*etree.CharData).IsWhitespace() {
				return nil, wsStructure("text in the Envelope")
			}
		default:
			return nil, wsStructure("comment or directive in the Envelope")
		}
	}
	if header == nil || env.body == nil {
		return nil, wsStructure("Envelope without Header or Body")
	}
	if err := checkLoginBody(env.body); err != nil {
		return nil, err
	}
	for _, c := range childElements(header) {
		if isElem(c, nsWSSE, "Security") {
			if env.security != nil {
				return nil, wsStructure("two wsse:Security headers")
			}
			env.security = c
		}
	}
	if env.security == nil {
		return nil, newError("no wsse:Security header", ErrNotSigned)
	}
	for _, t := range env.security.Child {
		c, ok := t.(*etree.Element)
		if !ok {
			if cd, isText := t.(*etree.CharData); !isText || !cd.IsWhitespace() {
				return nil, wsStructure("text in wsse:Security")
			}
			continue
		}
		var slot **etree.Element
		switch {
		case isElem(c, nsWSU, "Timestamp"):
			slot = &env.timestamp
		case isElem(c, nsSAMLAssertion, "Assertion"):
			slot = &env.assertion
		case isElem(c, nsDSig, "Signature"):
			slot = &env.signature
		default:
			return nil, wsStructure("wsse:Security child {%.80s}%.40s", c.NamespaceURI(), c.Tag)
		}
		if *slot != nil {
			return nil, wsStructure("two %s in wsse:Security", c.Tag)
		}
		*slot = c
	}
	if env.timestamp == nil || env.assertion == nil {
		return nil, wsStructure("wsse:Security without Timestamp or Assertion")
	}
	return env, walkEnvelope(env)
}

// walkEnvelope checks the whole document: no attribute twice under two
// prefixes, and no Security, Assertion or Signature but the ones
// parseEnvelope picked (and the Assertion's own Signature, which the token
// verifier checks).
func walkEnvelope(env *soapEnvelope) error {
	var walk func(el *etree.Element) error
	walk = func(el *etree.Element) error {
		if err := checkAttributes(el); err != nil {
			return newError(err.Error(), ErrMalformedRequest)
		}
		switch {
		case isElem(el, nsWSSE, "Security") && el != env.security,
			isElem(el, nsSAMLAssertion, "Assertion") && el != env.assertion,
			isElem(el, nsDSig, "Signature") && el != env.signature && el.Parent() != env.assertion:
			return wsStructure("%s out of place", el.Tag)
		}
		for _, c := range childElements(el) {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(env.root)
}

// checkLoginBody requires the Body to hold exactly one element,
// LoginByToken in the vim25 namespace or in none, unprefixed (govmomi
// sends it so); an unbound prefix is not "no namespace".
func checkLoginBody(body *etree.Element) error {
	var call *etree.Element
	for _, t := range body.Child {
		switch c := t.(type) {
		case *etree.Element:
			if call != nil {
				return wsStructure("Body with more than one element")
			}
			call = c
		case *etree.CharData:
			if !c.IsWhitespace() {
				return wsStructure("text in the Body")
			}
		default:
			return wsStructure("comment or directive in the Body")
		}
	}
	if call == nil || call.Tag != "LoginByToken" || (call.NamespaceURI() != nsVim25 && (call.NamespaceURI() != "" || call.Space != "")) {
		return wsStructure("Body is not a LoginByToken call")
	}
	return nil
}

// wsTimestamp reads a wsu:Timestamp: wsu:Created then wsu:Expires, both
// xsd:dateTime with a time zone.
func wsTimestamp(ts *etree.Element) (created, expires time.Time, err error) {
	kids := childElements(ts)
	if len(kids) != 2 || !isElem(kids[0], nsWSU, "Created") || !isElem(kids[1], nsWSU, "Expires") {
		return created, expires, wsStructure("Timestamp is not Created then Expires")
	}
	for i, dst := range [...]*time.Time{&created, &expires} {
		s, err := text(kids[i])
		if err != nil {
			return created, expires, wsStructure("Timestamp %s is not text", kids[i].Tag)
		}
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
		if err != nil {
			return created, expires, malformedRequest("Timestamp %s %.40q is not an xsd:dateTime with a time zone", kids[i].Tag, s)
		}
		*dst = t
	}
	return created, expires, nil
}

// envelopeError turns a raw-scan error (which speaks of tokens) into an
// envelope error, keeping the specific sentinel.
func envelopeError(err error) error {
	for _, s := range [...]error{ErrUnsafeXML, ErrXMLLimit, ErrDuplicateAttribute} {
		if errors.Is(err, s) {
			return newError(err.Error(), s, ErrMalformedRequest)
		}
	}
	return newError(err.Error(), ErrInvalidXML, ErrMalformedRequest)
}

func wsStructure(format string, args ...any) error {
	return newError(fmt.Sprintf(format, args...), ErrWSSecurityStructure, ErrMalformedRequest)
}

// Domain tag of WS-Security replay keys.
const replayTagWSSecurity = 'W'

// wsReplayKey returns the replay key of a verified WS-Security signature:
// its holder's certificate and the SHA-256 of the SignatureValue bytes.
func wsReplayKey(certSum *[32]byte, sigValue []byte) ReplayKey {
	var buf [65]byte
	buf[0] = replayTagWSSecurity
	copy(buf[1:], certSum[:])
	s := sha256.Sum256(sigValue)
	copy(buf[33:], s[:])
	return sha256.Sum256(buf[:])
}
