package verifier

import (
	"encoding/base64"
	"fmt"
	"slices"

	"github.com/beevik/etree"

	"github.com/vapisec/vapisec/internal/xmlscan"
)

const nsExcC14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

// isElem reports whether el is {ns}tag, matching the namespace URI, never
// the prefix.
func isElem(el *etree.Element, ns, tag string) bool {
	return el.Tag == tag && el.NamespaceURI() == ns
}

// attr returns the value of el's unprefixed attribute key.
func attr(el *etree.Element, key string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// childElements returns el's child elements.
func childElements(el *etree.Element) []*etree.Element {
	return el.ChildElements()
}

// text returns all character data of el; el must have no child element.
func text(el *etree.Element) (string, error) {
	var s string
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.CharData:
			s += t.Data
		default:
			return "", newError(fmt.Sprintf("unexpected content in <%.40s>", el.Tag), ErrMalformedToken)
		}
	}
	return s, nil
}

// checkStructure performs the namespace-aware pre-checks of DESIGN §7 rule
// 2 on the parsed, not yet verified document: exactly one root
// {SAML 2.0}Assertion with an ID, no attribute twice (by namespace URI and
// local name), exactly one ds:Signature, a child of the root, no other
// Assertion and no other element with the root's ID anywhere, and a
// Signature of the one shape vCenter's STS produces with algorithms from the
// allow-lists. It returns the root and the DER certificates of the
// signature's KeyInfo (nil when it has none).
func checkStructure(doc *etree.Document, sigAlgs, digestAlgs []string) (*etree.Element, [][]byte, error) {
	var root *etree.Element
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			if root != nil {
				return nil, nil, malformed(ErrNotAssertion, "second root element")
			}
			root = t
		case *etree.CharData:
			if !t.IsWhitespace() {
				return nil, nil, malformed(ErrNotAssertion, "content outside the root element")
			}
		case *etree.ProcInst:
			if t.Target != "xml" || t.Index() != 0 {
				return nil, nil, malformed(ErrUnsafeXML, "processing instruction")
			}
		default:
			return nil, nil, malformed(ErrUnsafeXML, "comment or directive outside the root element")
		}
	}
	if root == nil {
		return nil, nil, malformed(ErrNotAssertion, "no root element")
	}
	if !isElem(root, nsSAMLAssertion, "Assertion") {
		return nil, nil, malformed(ErrNotAssertion, "root is {%.80s}%.40s", root.NamespaceURI(), root.Tag)
	}
	id, _ := attr(root, "ID")
	if id == "" {
		return nil, nil, malformed(ErrSignatureStructure, "Assertion without ID")
	}
	var sig *etree.Element
	var walk func(el *etree.Element) error
	walk = func(el *etree.Element) error {
		if err := checkAttributes(el); err != nil {
			return err
		}
		if el != root {
			if v, ok := attr(el, "ID"); ok && v == id {
				return malformed(ErrSignatureStructure, "second element with the Assertion's ID")
			}
		}
		for _, t := range el.Child {
			switch c := t.(type) {
			case *etree.Element:
				switch ns := c.NamespaceURI(); {
				case ns == nsDSig && c.Tag == "Signature":
					if el != root || sig != nil {
						return malformed(ErrSignatureStructure, "ds:Signature that is not the Assertion's only signature")
					}
					sig = c
				case ns == nsSAMLAssertion && c.Tag == "Assertion":
					return malformed(ErrSignatureStructure, "nested Assertion")
				}
				if err := walk(c); err != nil {
					return err
				}
			case *etree.CharData:
			default:
				return malformed(ErrUnsafeXML, "comment, directive or processing instruction")
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, nil, err
	}
	if sig == nil {
		return nil, nil, malformed(ErrSignatureStructure, "no ds:Signature child of the Assertion")
	}
	keyInfo, err := checkSignature(sig, id, sigAlgs, digestAlgs)
	if err != nil {
		return nil, nil, err
	}
	return root, keyInfo, nil
}

// checkAttributes rejects two attributes with the same namespace URI and
// local name (the raw scan already rejected identical qualified names).
func checkAttributes(el *etree.Element) error {
	for i := range el.Attr {
		a := &el.Attr[i]
		if a.Space == "" || a.Space == "xmlns" {
			continue
		}
		for j := i + 1; j < len(el.Attr); j++ {
			b := &el.Attr[j]
			if b.Key == a.Key && b.Space != "" && b.Space != "xmlns" && b.Space != a.Space && a.NamespaceURI() == b.NamespaceURI() {
				return malformed(ErrDuplicateAttribute, "attribute %.40q repeated under two prefixes", a.Key)
			}
		}
	}
	return nil
}

// dsChildren returns el's child elements, failing unless every one is in
// the XML-DSig namespace and named in want, in that order, each at most once
// (names marked optional may be absent).
func dsChildren(el *etree.Element, want []string, optional map[string]bool) (map[string]*etree.Element, error) {
	got := make(map[string]*etree.Element, len(want))
	k := 0
	for _, c := range childElements(el) {
		for k < len(want) && want[k] != c.Tag {
			if !optional[want[k]] {
				return nil, malformed(ErrSignatureStructure, "ds:%s without ds:%s", el.Tag, want[k])
			}
			k++
		}
		if k == len(want) || c.NamespaceURI() != nsDSig {
			return nil, malformed(ErrSignatureStructure, "unexpected <%.40s> in ds:%s", c.Tag, el.Tag)
		}
		got[c.Tag] = c
		k++
	}
	for ; k < len(want); k++ {
		if !optional[want[k]] {
			return nil, malformed(ErrSignatureStructure, "ds:%s without ds:%s", el.Tag, want[k])
		}
	}
	return got, nil
}

var (
	sigChildren       = []string{"SignedInfo", "SignatureValue", "KeyInfo"}
	sigOptional       = map[string]bool{"KeyInfo": true}
	signedInfoChilds  = []string{"CanonicalizationMethod", "SignatureMethod", "Reference"}
	referenceChildren = []string{"Transforms", "DigestMethod", "DigestValue"}
)

// checkSignature checks the shape and algorithms of the root's Signature
// and returns its KeyInfo certificates.
func checkSignature(sig *etree.Element, id string, sigAlgs, digestAlgs []string) ([][]byte, error) {
	parts, err := dsChildren(sig, sigChildren, sigOptional)
	if err != nil {
		return nil, err
	}
	si, err := dsChildren(parts["SignedInfo"], signedInfoChilds, nil)
	if err != nil {
		return nil, err
	}
	if err := algorithm(si["CanonicalizationMethod"], []string{algExcC14N}); err != nil {
		return nil, err
	}
	if err := algorithm(si["SignatureMethod"], sigAlgs); err != nil {
		return nil, err
	}
	ref := si["Reference"]
	if uri, _ := attr(ref, "URI"); uri != "#"+id {
		return nil, malformed(ErrSignatureStructure, "Reference URI %.60q does not name the Assertion", uri)
	}
	rp, err := dsChildren(ref, referenceChildren, nil)
	if err != nil {
		return nil, err
	}
	transforms := childElements(rp["Transforms"])
	if len(transforms) != 2 {
		return nil, malformed(ErrSignatureStructure, "%d transforms, want enveloped-signature and exc-c14n", len(transforms))
	}
	for i, want := range []string{algEnveloped, algExcC14N} {
		t := transforms[i]
		if !isElem(t, nsDSig, "Transform") {
			return nil, malformed(ErrSignatureStructure, "unexpected <%.40s> in ds:Transforms", t.Tag)
		}
		if alg, _ := attr(t, "Algorithm"); alg != want {
			return nil, newError("transform "+quote(alg), ErrUnsupportedAlgorithm)
		}
		for _, c := range childElements(t) {
			if i != 1 || !isElem(c, nsExcC14N, "InclusiveNamespaces") || len(childElements(t)) != 1 {
				return nil, malformed(ErrSignatureStructure, "unexpected <%.40s> in ds:Transform", c.Tag)
			}
		}
	}
	if err := algorithm(rp["DigestMethod"], digestAlgs); err != nil {
		return nil, err
	}
	ki := parts["KeyInfo"]
	if ki == nil {
		return nil, nil
	}
	kc := childElements(ki)
	if len(kc) != 1 || !isElem(kc[0], nsDSig, "X509Data") {
		return nil, malformed(ErrSignatureStructure, "ds:KeyInfo must hold exactly one ds:X509Data")
	}
	var ders [][]byte
	for _, c := range childElements(kc[0]) {
		if !isElem(c, nsDSig, "X509Certificate") {
			return nil, malformed(ErrSignatureStructure, "unexpected <%.40s> in ds:X509Data", c.Tag)
		}
		der, err := decodeCertText(c)
		if err != nil {
			return nil, err
		}
		ders = append(ders, der)
	}
	if len(ders) == 0 {
		return nil, malformed(ErrSignatureStructure, "ds:X509Data without ds:X509Certificate")
	}
	return ders, nil
}

// algorithm checks that el has no children and an Algorithm from allowed.
func algorithm(el *etree.Element, allowed []string) error {
	if len(childElements(el)) != 0 {
		return malformed(ErrSignatureStructure, "unexpected content in ds:%s", el.Tag)
	}
	alg, _ := attr(el, "Algorithm")
	if !slices.Contains(allowed, alg) {
		return newError(el.Tag+" "+quote(alg), ErrUnsupportedAlgorithm)
	}
	return nil
}

// decodeCertText decodes the base64 text of an X509Certificate element,
// ignoring XML whitespace (line breaks every 64 or 76 columns).
func decodeCertText(el *etree.Element) ([]byte, error) {
	s, err := text(el)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if !xmlscan.IsSpace(s[i]) {
			buf = append(buf, s[i])
		}
	}
	der := make([]byte, base64.StdEncoding.DecodedLen(len(buf)))
	n, err := base64.StdEncoding.Decode(der, buf)
	if err != nil || n == 0 {
		return nil, newError("X509Certificate is not base64", ErrMalformedToken)
	}
	return der[:n], nil
}
