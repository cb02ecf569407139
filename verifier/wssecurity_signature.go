package verifier

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// wsSignatureAlgorithms is the WS-Security SignatureMethod allow-list:
// RSA PKCS#1 v1.5 with SHA-256/384/512, the methods govmomi, pyVmomi and
// the Java SDK sign with. SHA-1, HMAC, "none" and ECDSA are refused.
func wsSignatureAlgorithms(uri string) (requestAlg, bool) {
	switch uri {
	case SignatureRSASHA256:
		return requestAlg{name: "rsa-sha256", hash: crypto.SHA256}, true
	case SignatureRSASHA384:
		return requestAlg{name: "rsa-sha384", hash: crypto.SHA384}, true
	case SignatureRSASHA512:
		return requestAlg{name: "rsa-sha512", hash: crypto.SHA512}, true
	}
	return requestAlg{}, false
}

// wsSignature is the envelope's ds:Signature, read by readWSSignature.
type wsSignature struct {
	signedInfo *etree.Element
	alg        requestAlg
	value      []byte
	refs       [2]wsReference
}

// wsReference is one ds:Reference: the element it resolved to, the
// digest method and the expected digest.
type wsReference struct {
	target *etree.Element
	hash   crypto.Hash
	digest []byte
}

// readWSSignature is step 6 of VerifySOAPLogin: the Signature's shape, its
// algorithms and the elements its References resolve to.
func readWSSignature(env *soapEnvelope) (*wsSignature, error) {
	kids, err := dsChildrenStrict(env.signature, []string{"SignedInfo", "SignatureValue", "KeyInfo"}, map[string]bool{"KeyInfo": true})
	if err != nil {
		return nil, err
	}
	si := kids["SignedInfo"]
	s := &wsSignature{signedInfo: si}
	if s.value, err = base64Text(kids["SignatureValue"]); err != nil {
		return nil, err
	}
	parts := childElements(si)
	if len(parts) != 4 || !isElem(parts[0], nsDSig, "CanonicalizationMethod") || !isElem(parts[1], nsDSig, "SignatureMethod") ||
		!isElem(parts[2], nsDSig, "Reference") || !isElem(parts[3], nsDSig, "Reference") {
		return nil, wsStructure("SignedInfo is not CanonicalizationMethod, SignatureMethod and two References")
	}
	if err := onlyAlgorithm(parts[0], algExcC14N); err != nil {
		return nil, err
	}
	alg, err := algorithmAttr(parts[1])
	if err != nil {
		return nil, err
	}
	var ok bool
	if s.alg, ok = wsSignatureAlgorithms(alg); !ok {
		return nil, newError(quote(alg), ErrRequestAlgorithm)
	}
	if len(childElements(parts[1])) != 0 {
		return nil, newError("ds:SignatureMethod with parameters", ErrRequestAlgorithm)
	}
	ids := collectIDs(env.root)
	for i, ref := range parts[2:] {
		if err := readReference(ref, ids, &s.refs[i]); err != nil {
			return nil, err
		}
	}
	targets := [2]*etree.Element{s.refs[0].target, s.refs[1].target}
	if !(targets == [2]*etree.Element{env.timestamp, env.body} || targets == [2]*etree.Element{env.body, env.timestamp}) {
		return nil, wsStructure("the References are not the Envelope's Body and the Security header's Timestamp")
	}
	return s, nil
}

// readReference reads one Reference: URI "#id" resolving to exactly one
// element of the document (collectIDs), which carries the id as wsu:Id;
// exactly one Transform, exclusive c14n; a DigestMethod from the
// allow-list; a base64 DigestValue.
func readReference(ref *etree.Element, ids map[string][]*etree.Element, out *wsReference) error {
	uri, _ := attr(ref, "URI")
	id, ok := strings.CutPrefix(uri, "#")
	if !ok || id == "" {
		return wsStructure("Reference URI %.80q is not #id", uri)
	}
	matches := ids[id]
	if len(matches) != 1 {
		return wsStructure("Reference URI %.80q matches %d elements, want exactly one", uri, len(matches))
	}
	if v, _ := wsuID(matches[0]); v != id {
		return wsStructure("Reference URI %.80q does not match a wsu:Id", uri)
	}
	out.target = matches[0]
	kids, err := dsChildrenStrict(ref, []string{"Transforms", "DigestMethod", "DigestValue"}, nil)
	if err != nil {
		return err
	}
	transforms := childElements(kids["Transforms"])
	if len(transforms) != 1 || !isElem(transforms[0], nsDSig, "Transform") {
		return newError("want exactly one Transform, exclusive c14n", ErrRequestAlgorithm)
	}
	if err := onlyAlgorithm(transforms[0], algExcC14N); err != nil {
		return err
	}
	dm, err := algorithmAttr(kids["DigestMethod"])
	if err != nil {
		return err
	}
	switch dm {
	case DigestSHA256:
		out.hash = crypto.SHA256
	case DigestSHA384:
		out.hash = crypto.SHA384
	case DigestSHA512:
		out.hash = crypto.SHA512
	default:
		return newError(quote(dm), ErrRequestAlgorithm)
	}
	out.digest, err = base64Text(kids["DigestValue"])
	return err
}

// check is step 7 of VerifySOAPLogin: the digest of the exclusive
// canonical form of the referenced element.
func (r *wsReference) check() error {
	c, err := canonicalExc(r.target)
	if err != nil {
		return err
	}
	var sum []byte
	switch r.hash {
	case crypto.SHA256:
		s := sha256.Sum256(c)
		sum = s[:]
	case crypto.SHA384:
		s := sha512.Sum384(c)
		sum = s[:]
	default:
		s := sha512.Sum512(c)
		sum = s[:]
	}
	if subtle.ConstantTimeCompare(sum, r.digest) != 1 {
		return newError("digest of "+r.target.Tag+" does not match", ErrRequestSignature)
	}
	return nil
}

// collectIDs maps every Id, ID or id attribute value (in any namespace) to
// the elements that carry it, once per attribute, so that a Reference
// resolves only when its id is unique in the whole document.
func collectIDs(root *etree.Element) map[string][]*etree.Element {
	ids := make(map[string][]*etree.Element)
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		for _, a := range el.Attr {
			if a.Space != "xmlns" && (a.Key == "Id" || a.Key == "ID" || a.Key == "id") && a.Value != "" {
				ids[a.Value] = append(ids[a.Value], el)
			}
		}
		for _, c := range childElements(el) {
			walk(c)
		}
	}
	walk(root)
	return ids
}

// wsuID returns el's wsu:Id attribute, matched by namespace URI.
func wsuID(el *etree.Element) (string, bool) {
	for i := range el.Attr {
		a := &el.Attr[i]
		if a.Key == "Id" && a.Space != "" && a.NamespaceURI() == nsWSU {
			return a.Value, true
		}
	}
	return "", false
}

// dsChildrenStrict returns el's child elements, which must all be in the
// XML-DSig namespace, be named in want, in that order, each once (names in
// optional may be absent), with no text but whitespace between them.
func dsChildrenStrict(el *etree.Element, want []string, optional map[string]bool) (map[string]*etree.Element, error) {
	got := make(map[string]*etree.Element, len(want))
	k := 0
	for _, t := range el.Child {
		c, ok := t.(*etree.Element)
		if !ok {
			if cd, isText := t.(*etree.CharData); !isText || !cd.IsWhitespace() {
				return nil, wsStructure("text in ds:%s", el.Tag)
			}
			continue
		}
		for k < len(want) && want[k] != c.Tag {
			if !optional[want[k]] {
				return nil, wsStructure("ds:%s without ds:%s", el.Tag, want[k])
			}
			k++
		}
		if k == len(want) || c.NamespaceURI() != nsDSig {
			return nil, wsStructure("unexpected {%.80s}%.40s in ds:%s", c.NamespaceURI(), c.Tag, el.Tag)
		}
		got[c.Tag] = c
		k++
	}
	for ; k < len(want); k++ {
		if !optional[want[k]] {
			return nil, wsStructure("ds:%s without ds:%s", el.Tag, want[k])
		}
	}
	return got, nil
}

// onlyAlgorithm requires el to name algorithm want and to have no child
// element (no InclusiveNamespaces, no HMACOutputLength).
func onlyAlgorithm(el *etree.Element, want string) error {
	alg, err := algorithmAttr(el)
	if err != nil {
		return err
	}
	if alg != want {
		return newError(quote(alg), ErrRequestAlgorithm)
	}
	if len(childElements(el)) != 0 {
		return newError("ds:"+el.Tag+" with parameters", ErrRequestAlgorithm)
	}
	return nil
}

// algorithmAttr returns el's Algorithm attribute.
func algorithmAttr(el *etree.Element) (string, error) {
	alg, ok := attr(el, "Algorithm")
	if !ok {
		return "", wsStructure("ds:%s without Algorithm", el.Tag)
	}
	return alg, nil
}

// base64Text decodes the standard base64 text of el (whitespace ignored).
func base64Text(el *etree.Element) ([]byte, error) {
	s, err := text(el)
	if err != nil {
		return nil, wsStructure("ds:%s is not text", el.Tag)
	}
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, malformedRequest("ds:%s is not base64", el.Tag)
	}
	return b, nil
}

// detach copies el with every namespace declaration in scope where it
// stands, so that it reads the same on its own.
func detach(el *etree.Element) (*etree.Element, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, newError(err.Error(), ErrInvalidXML, ErrMalformedRequest)
	}
	d, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return nil, newError(err.Error(), ErrInvalidXML, ErrMalformedRequest)
	}
	return d, nil
}

// canonicalExc returns the exclusive XML canonical form (without comments,
// no inclusive prefixes) of el in its namespace context.
func canonicalExc(el *etree.Element) ([]byte, error) {
	d, err := detach(el)
	if err != nil {
		return nil, err
	}
	b, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(d)
	if err != nil {
		return nil, newError(err.Error(), ErrInvalidXML, ErrMalformedRequest)
	}
	return b, nil
}
