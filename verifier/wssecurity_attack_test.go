package verifier_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// Attacks on VerifySOAPLogin, one test each, named after the attack. Each
// starts from an envelope that verifies (checked first, so that a test
// cannot pass because its envelope was broken to begin with) and asserts
// the specific error of the rule that stops it.

// soapLoginRefused asserts that a fresh verifier accepts good and refuses
// bad with want.
func soapLoginRefused(t *testing.T, good, bad []byte, want error, opts ...verifier.RequestOption) {
	t.Helper()
	e := getReqEnv(t)
	if good != nil {
		if _, err := newRequestVerifier(t, e, opts...).VerifySOAPLogin(context.Background(), good, wsHost); err != nil {
			t.Fatalf("the unaltered envelope does not verify: %v", err)
		}
	}
	res, err := newRequestVerifier(t, e, opts...).VerifySOAPLogin(context.Background(), bad, wsHost)
	if !errors.Is(err, want) {
		t.Fatalf("attack envelope accepted=%v, err = %v; want %v", res != nil, err, want)
	}
}

// TestWrappedBodyIsRefused: the signed Body is moved into the Header
// (inside an element the server ignores) and the real Body says something
// else. The Reference still resolves to one element with the right digest,
// but not to the Envelope's Body.
func TestWrappedBodyIsRefused(t *testing.T) {
	e := getReqEnv(t)
	good := signEnvelope(t, e, wsReq{})
	signedBody := between(t, good, "<soap:Body", "</soap:Body>")
	before, _ := cut(t, good, "<soap:Body")
	evilBody := `<soap:Body xmlns:soap="` + wsSOAP + `"><LoginByToken><_this type="SessionManager">SessionManager</_this><locale>xx_EVIL</locale></LoginByToken></soap:Body>`
	bad := strings.Replace(before, "</soap:Header>", `<w:Wrapper xmlns:w="urn:wrap">`+signedBody+`</w:Wrapper></soap:Header>`, 1) + evilBody + "</soap:Envelope>"
	soapLoginRefused(t, good, []byte(bad), verifier.ErrWSSecurityStructure)
}

// TestMovedTimestampIdIsRefused: a captured envelope whose Timestamp has
// expired is replayed with a fresh, unsigned Timestamp in the Security
// header while the signed one (with its wsu:Id) is moved next to it in the
// Header, where the Reference still finds it.
func TestMovedTimestampIdIsRefused(t *testing.T) {
	e := getReqEnv(t)
	old := signEnvelope(t, e, wsReq{created: testNow.Add(-2 * time.Hour)})
	signedTS := between(t, old, "<wsu:Timestamp", "</wsu:Timestamp>")
	fresh := `<wsu:Timestamp><wsu:Created>` + testNow.UTC().Format(wsTime) + `</wsu:Created><wsu:Expires>` +
		testNow.Add(time.Minute).UTC().Format(wsTime) + `</wsu:Expires></wsu:Timestamp>`
	bad := strings.Replace(string(old), signedTS, fresh, 1)
	bad = strings.Replace(bad, "</soap:Header>", `<w:Old xmlns:w="urn:wrap">`+signedTS+`</w:Old></soap:Header>`, 1)
	// The expired original is refused for its time …
	soapLoginRefused(t, nil, old, verifier.ErrRequestExpired)
	// … and moving its signed Timestamp out of the way does not help.
	soapLoginRefused(t, nil, []byte(bad), verifier.ErrWSSecurityStructure)
}

// TestDuplicatedIdIsRefused: a second element carries the signed
// Timestamp's Id (here after it, so that a first-match resolver picks the
// real one and a last-match resolver the decoy). Which of two elements a
// Reference covers is then up to the resolver; processors disagree, so an
// Id must match exactly one element of the whole document.
func TestDuplicatedIdIsRefused(t *testing.T) {
	e := getReqEnv(t)
	good := signEnvelope(t, e, wsReq{})
	decoy := `<w:Decoy xmlns:w="urn:wrap" xmlns:wsu="` + wsWSU + `" wsu:Id="` + wsTSID + `">2099-01-01T00:00:00.000Z</w:Decoy>`
	bad := strings.Replace(string(good), "</soap:Header>", decoy+"</soap:Header>", 1)
	soapLoginRefused(t, good, []byte(bad), verifier.ErrWSSecurityStructure)
}

// TestExpiredTimestampIsRefused: an envelope captured and replayed after
// its Timestamp expired (plus the past skew).
func TestExpiredTimestampIsRefused(t *testing.T) {
	e := getReqEnv(t)
	bad := signEnvelope(t, e, wsReq{created: testNow.Add(-verifier.DefaultClockSkew - 2*time.Minute)})
	soapLoginRefused(t, signEnvelope(t, e, wsReq{}), bad, verifier.ErrRequestExpired)
}

// TestFutureTimestampIsRefused: an envelope signed for later (beyond the
// future skew), to be used after the signer's key is gone.
func TestFutureTimestampIsRefused(t *testing.T) {
	e := getReqEnv(t)
	bad := signEnvelope(t, e, wsReq{created: testNow.Add(verifier.DefaultClockSkew + time.Minute)})
	soapLoginRefused(t, signEnvelope(t, e, wsReq{}), bad, verifier.ErrRequestNotYetValid)
}

// TestSignatureByAnotherKeyThanTheTokensIsRefused: someone who holds a
// copy of a HoK token (not its key) signs the envelope with a key of their
// own, and names that key's certificate in KeyInfo.
func TestSignatureByAnotherKeyThanTheTokensIsRefused(t *testing.T) {
	e := getReqEnv(t)
	key, cert, err := sts.GenerateKeyPair("Mallory", testNow.Add(-time.Hour), testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	keyInfo := `<ds:X509Data><ds:X509Certificate>` + base64.StdEncoding.EncodeToString(cert.Raw) + `</ds:X509Certificate></ds:X509Data>`
	bad := signEnvelope(t, e, wsReq{key: key, keyInfo: keyInfo})
	soapLoginRefused(t, signEnvelope(t, e, wsReq{keyInfo: keyInfo}), bad, verifier.ErrRequestSignature)
}

// TestBearerLoginWhenBearerIsDisabledIsRefused: a bearer token (no
// signature at all) to a server that accepts holder-of-key only.
func TestBearerLoginWhenBearerIsDisabledIsRefused(t *testing.T) {
	e := getReqEnv(t)
	bad := signEnvelope(t, e, wsReq{token: e.bearer, bearer: true})
	if _, err := newRequestVerifier(t, e, verifier.WithAllowBearer(true)).VerifySOAPLogin(context.Background(), bad, wsHost); err != nil {
		t.Fatalf("bearer with WithAllowBearer: %v", err)
	}
	soapLoginRefused(t, nil, bad, verifier.ErrSchemeNotAllowed)
}

// TestReplayedSOAPLoginIsRefused: a captured envelope sent again inside
// its Timestamp window.
func TestReplayedSOAPLoginIsRefused(t *testing.T) {
	e := getReqEnv(t)
	env := signEnvelope(t, e, wsReq{})
	rv := newRequestVerifier(t, e)
	if _, err := rv.VerifySOAPLogin(context.Background(), env, wsHost); err != nil {
		t.Fatal(err)
	}
	_, err := rv.VerifySOAPLogin(context.Background(), env, wsHost)
	if !errors.Is(err, verifier.ErrReplayed) {
		t.Fatalf("second use: %v, want ErrReplayed", err)
	}
	// The same body signed again (a new Timestamp, a new signature) is a
	// new login.
	if _, err := rv.VerifySOAPLogin(context.Background(), signEnvelope(t, e, wsReq{created: testNow.Add(time.Second)}), wsHost); err != nil {
		t.Fatalf("a fresh signature: %v", err)
	}
}

// TestReferenceTransformOffTheAllowListIsRefused: a Reference whose
// transform selects or rewrites what is digested (XPath, XSLT, enveloped
// signature, inclusive c14n) instead of exclusive c14n of the element.
func TestReferenceTransformOffTheAllowListIsRefused(t *testing.T) {
	e := getReqEnv(t)
	good := signEnvelope(t, e, wsReq{})
	for _, xform := range []string{
		"http://www.w3.org/TR/1999/REC-xpath-19991116",
		"http://www.w3.org/TR/1999/REC-xslt-19991116",
		"http://www.w3.org/2000/09/xmldsig#enveloped-signature",
		"http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
		"http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
	} {
		t.Run(xform, func(t *testing.T) {
			soapLoginRefused(t, good, signEnvelope(t, e, wsReq{tsXform: xform}), verifier.ErrRequestAlgorithm)
		})
	}
}

// TestSignatureMethodHMACOrNoneIsRefused: a SignatureMethod outside the
// RSA allow-list — HMAC (whose "key" an attacker chooses), none, SHA-1,
// a case variant. The value is a real RSA-SHA256 signature, so only the
// allow-list stands between the envelope and a login.
func TestSignatureMethodHMACOrNoneIsRefused(t *testing.T) {
	e := getReqEnv(t)
	good := signEnvelope(t, e, wsReq{})
	for _, alg := range []string{
		"http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
		"http://www.w3.org/2000/09/xmldsig#hmac-sha1",
		"none",
		verifier.SignatureRSASHA256 + " ",
		"http://www.w3.org/2000/09/xmldsig#rsa-sha1",
		"http://www.w3.org/2001/04/xmldsig-more#RSA-SHA256",
	} {
		t.Run(alg, func(t *testing.T) {
			soapLoginRefused(t, good, signEnvelope(t, e, wsReq{sigAlg: alg, signHash: crypto.SHA256}), verifier.ErrRequestAlgorithm)
		})
	}
}

// TestSOAPTokenFromUntrustedIssuerIsRefused: a holder-of-key token minted
// by an STS the server does not trust, for the attacker's own key, with a
// correct envelope signature.
func TestSOAPTokenFromUntrustedIssuerIsRefused(t *testing.T) {
	e := getReqEnv(t)
	key, cert, err := sts.GenerateKeyPair("Security Token Service", testNow.Add(-time.Hour), testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	evil, err := sts.New(key, cert, sts.WithClock(fixedClock(testNow)))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := evil.Issue(sts.IssueRequest{Subject: "Administrator@vsphere.local", HoKCertificate: e.rsaCert})
	if err != nil {
		t.Fatal(err)
	}
	soapLoginRefused(t, signEnvelope(t, e, wsReq{}), signEnvelope(t, e, wsReq{token: tok}), verifier.ErrUntrustedIssuer)
}

// TestOversizedEnvelopeIsRefused: an envelope over WithMaxBodySize is
// refused before it is parsed, even when it would verify.
func TestOversizedEnvelopeIsRefused(t *testing.T) {
	e := getReqEnv(t)
	env := signEnvelope(t, e, wsReq{})
	padded := []byte(strings.Replace(string(env), "<soap:Header>", "<soap:Header>"+strings.Repeat(" ", 64<<10), 1))
	soapLoginRefused(t, env, padded, verifier.ErrBodyTooLarge, verifier.WithMaxBodySize(len(env)+1024))
	// Deep nesting inside the limit of size is refused by the depth limit.
	deep := strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200)
	nested := strings.Replace(string(env), "</soap:Header>", deep+"</soap:Header>", 1)
	soapLoginRefused(t, nil, []byte(nested), verifier.ErrXMLLimit)
}

// TestDoctypeInEnvelopeIsRefused: a DOCTYPE (internal subset, entity
// declarations, external entities) in front of a valid envelope, and an
// entity reference inside it.
func TestDoctypeInEnvelopeIsRefused(t *testing.T) {
	e := getReqEnv(t)
	env := signEnvelope(t, e, wsReq{})
	for name, bad := range map[string]string{
		"doctype":         `<!DOCTYPE soap:Envelope>` + string(env),
		"internal subset": `<!DOCTYPE soap:Envelope [<!ENTITY x "y">]>` + string(env),
		"external entity": `<!DOCTYPE soap:Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>` + strings.Replace(string(env), "en_US", "&x;", 1),
		"entity in text":  strings.Replace(string(env), "en_US", "&x;", 1),
	} {
		t.Run(name, func(t *testing.T) {
			soapLoginRefused(t, env, []byte(bad), verifier.ErrUnsafeXML)
		})
	}
}

// TestSignedSTSRequestIsNotALogin: an envelope the client signed for
// another operation with the same token and key (an STS request, say)
// relayed to the server's SessionManager is not a login.
func TestSignedSTSRequestIsNotALogin(t *testing.T) {
	e := getReqEnv(t)
	rst := `<wst:RequestSecurityToken xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512"><wst:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Renew</wst:RequestType></wst:RequestSecurityToken>`
	soapLoginRefused(t, signEnvelope(t, e, wsReq{}), signEnvelope(t, e, wsReq{call: rst}), verifier.ErrWSSecurityStructure)
}

// TestSOAPLoginFromAnotherHostIsRefused: a login signed for (or captured
// at) another server and relayed here with that server's Host: nothing
// signed names the host, so the Host must be one of ours.
func TestSOAPLoginFromAnotherHostIsRefused(t *testing.T) {
	e := getReqEnv(t)
	env := signEnvelope(t, e, wsReq{})
	_, err := newRequestVerifier(t, e).VerifySOAPLogin(context.Background(), env, "evil.example:443")
	if !errors.Is(err, verifier.ErrHostNotAllowed) {
		t.Fatalf("err = %v, want ErrHostNotAllowed", err)
	}
}

// TestAttributeFloodIsRefusedBeforeTheQuadraticCheck: one start tag with
// tens of thousands of attributes made the repeated-attribute check of the
// pre-scan compare every pair (seconds of CPU for one body within the size
// limit, before any signature is looked at). More than
// xmlscan.MaxAttributes (64) attributes on one element is ErrXMLLimit, in
// a WS-Security envelope (here) and in a SAML token (TestVerify's
// "attribute flood" case) alike.
func TestAttributeFloodIsRefusedBeforeTheQuadraticCheck(t *testing.T) {
	e := getReqEnv(t)
	env := signEnvelope(t, e, wsReq{})
	flooded := strings.Replace(string(env), "<soap:Header>", "<soap:Header"+attrFlood(65)+">", 1)
	soapLoginRefused(t, env, []byte(flooded), verifier.ErrXMLLimit)
}
