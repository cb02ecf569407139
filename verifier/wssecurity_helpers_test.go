package verifier_test

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec/verifier"
)

// Namespaces and algorithms of a WS-Security login, as govmomi's
// sts.Signer writes them.
const (
	wsSOAP   = "http://schemas.xmlsoap.org/soap/envelope/"
	wsWSSE   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	wsWSU    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	wsDSig   = "http://www.w3.org/2000/09/xmldsig#"
	wsExcC14 = "http://www.w3.org/2001/10/xml-exc-c14n#"
	wsTime   = "2006-01-02T15:04:05.000Z"
	wsTSID   = "_ts-2f6c1a0e"
	wsBodyID = "_body-9b3d77c4"
	// wsLogin is the LoginByToken call govmomi v0.52.0 sends (no namespace).
	wsLogin = `<LoginByToken><_this type="SessionManager">SessionManager</_this><locale>en_US</locale></LoginByToken>`
)

// wsReq describes a LoginByToken envelope for signEnvelope.
type wsReq struct {
	token    []byte        // default the RSA HoK token
	key      crypto.Signer // default the RSA HoK key; nil with bearer
	bearer   bool          // no Signature (a bearer login)
	created  time.Time     // default testNow
	ttl      time.Duration // Expires − Created; default 1 min (govmomi)
	sigAlg   string        // default rsa-sha256
	digest   string        // default xmlenc#sha256
	tsXform  string        // Timestamp reference transform; default exc-c14n
	call     string        // Body content; default wsLogin
	keyInfo  string        // ds:KeyInfo content; default a SAMLID KeyIdentifier
	signHash crypto.Hash   // hash actually signed with; default from sigAlg
}

// signEnvelope builds and signs a LoginByToken envelope exactly as
// govmomi v0.52.0's sts.Signer.Sign does (the strings are their own
// exclusive canonical form, which is what govmomi digests and signs).
func signEnvelope(tb testing.TB, e *reqEnv, r wsReq) []byte {
	tb.Helper()
	if r.token == nil {
		r.token = e.hokToken
	}
	if r.key == nil {
		r.key = e.rsaKey
	}
	if r.created.IsZero() {
		r.created = testNow
	}
	if r.ttl == 0 {
		r.ttl = time.Minute
	}
	if r.sigAlg == "" {
		r.sigAlg = verifier.SignatureRSASHA256
	}
	if r.digest == "" {
		r.digest = verifier.DigestSHA256
	}
	if r.tsXform == "" {
		r.tsXform = wsExcC14
	}
	if r.call == "" {
		r.call = wsLogin
	}
	ts := fmt.Sprintf(`<wsu:Timestamp xmlns:wsu="%s" wsu:Id="%s"><wsu:Created>%s</wsu:Created><wsu:Expires>%s</wsu:Expires></wsu:Timestamp>`,
		wsWSU, wsTSID, r.created.UTC().Format(wsTime), r.created.Add(r.ttl).UTC().Format(wsTime))
	body := fmt.Sprintf(`<soap:Body xmlns:soap="%s" xmlns:wsu="%s" wsu:Id="%s">%s</soap:Body>`, wsSOAP, wsWSU, wsBodyID, r.call)
	var sig string
	if !r.bearer {
		ref := func(id, xform, c14n string) string {
			return fmt.Sprintf(`<ds:Reference URI="#%s"><ds:Transforms><ds:Transform Algorithm="%s"></ds:Transform></ds:Transforms>`+
				`<ds:DigestMethod Algorithm="%s"></ds:DigestMethod><ds:DigestValue>%s</ds:DigestValue></ds:Reference>`,
				id, xform, r.digest, base64.StdEncoding.EncodeToString(wsDigest(r.digest, c14n)))
		}
		si := fmt.Sprintf(`<ds:SignedInfo xmlns:ds="%s"><ds:CanonicalizationMethod Algorithm="%s"></ds:CanonicalizationMethod>`+
			`<ds:SignatureMethod Algorithm="%s"></ds:SignatureMethod>%s%s</ds:SignedInfo>`,
			wsDSig, wsExcC14, r.sigAlg, ref(wsTSID, r.tsXform, ts), ref(wsBodyID, wsExcC14, body))
		h := r.signHash
		if h == 0 {
			h = crypto.SHA256
			switch {
			case strings.HasSuffix(r.sigAlg, "384"):
				h = crypto.SHA384
			case strings.HasSuffix(r.sigAlg, "512"):
				h = crypto.SHA512
			}
		}
		alg := map[crypto.Hash]string{crypto.SHA256: "RS256", crypto.SHA384: "RS384", crypto.SHA512: "RS512"}[h]
		value := signBytes(tb, r.key, alg, []byte(si))
		keyInfo := r.keyInfo
		if keyInfo == "" {
			keyInfo = `<wsse:SecurityTokenReference xmlns:wsse11="http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd" ` +
				`wsse11:TokenType="http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0"><wsse:KeyIdentifier ` +
				`ValueType="http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLID">token</wsse:KeyIdentifier></wsse:SecurityTokenReference>`
		}
		sig = fmt.Sprintf(`<ds:Signature xmlns:ds="%s" Id="">%s<ds:SignatureValue>%s</ds:SignatureValue><ds:KeyInfo>%s</ds:KeyInfo></ds:Signature>`,
			wsDSig, si, base64.StdEncoding.EncodeToString(value), keyInfo)
	}
	return []byte(fmt.Sprintf(`<soap:Envelope xmlns:soap="%s"><soap:Header><wsse:Security xmlns:wsse="%s" xmlns:wsu="%s">%s%s%s</wsse:Security></soap:Header>%s</soap:Envelope>`,
		wsSOAP, wsWSSE, wsWSU, ts, r.token, sig, body))
}

// wsDigest is the digest of s with the XML-DSig digest method uri.
func wsDigest(uri, s string) []byte {
	switch uri {
	case verifier.DigestSHA384:
		d := sha512.Sum384([]byte(s))
		return d[:]
	case verifier.DigestSHA512:
		d := sha512.Sum512([]byte(s))
		return d[:]
	}
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// wsHost is the Host the SOAP tests send (one of testHosts).
const wsHost = "vc.example.com"

// cut returns env split around the first occurrence of marker (which must
// occur), for the tests that move elements about.
func cut(tb testing.TB, env []byte, marker string) (before, after string) {
	tb.Helper()
	b, a, ok := strings.Cut(string(env), marker)
	if !ok {
		tb.Fatalf("%q not in the envelope", marker)
	}
	return b, a
}

// between returns the text of env from the first start through the first
// end after it.
func between(tb testing.TB, env []byte, start, end string) string {
	tb.Helper()
	s := string(env)
	i := strings.Index(s, start)
	if i < 0 {
		tb.Fatalf("%q not in the envelope", start)
	}
	j := strings.Index(s[i:], end)
	if j < 0 {
		tb.Fatalf("%q not after %q", end, start)
	}
	return s[i : i+j+len(end)]
}

// readWSFixture reads a file of testdata/wssecurity.
func readWSFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("../testdata/wssecurity/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// replaceLast replaces the last occurrence of old in env (which must
// occur): the envelope's own Signature comes after the token's.
func replaceLast(env []byte, old, new string) []byte {
	s := string(env)
	i := strings.LastIndex(s, old)
	if i < 0 {
		panic("replaceLast: " + old + " not found")
	}
	return []byte(s[:i] + new + s[i+len(old):])
}
