package verifier

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/beevik/etree"
	vapisec "github.com/vapisec/vapisec"
)

// validity holds what the conditions check needs besides the Token.
type validity struct {
	// scdNotBefore and scdNotOnOrAfter come from the SubjectConfirmationData
	// (zero when absent).
	scdNotBefore, scdNotOnOrAfter time.Time
	// restrictions lists the audiences of each AudienceRestriction.
	restrictions [][]string
	// issueInstant is the Assertion's IssueInstant.
	issueInstant time.Time
	// authnInstant and authnLatest are the earliest and the latest
	// AuthnInstant of the AuthnStatements (zero when there is none).
	authnInstant, authnLatest time.Time
}

// readToken reads every field of the token from root, namespace-aware. In
// the verification path root is the element goxmldsig returned (the
// canonical, verified bytes re-parsed); for ParseTokenUnverified it is the
// parsed document's root, whose ds:Signature child is skipped.
func readToken(root *etree.Element) (*Token, *validity, error) {
	if v, _ := attr(root, "Version"); v != "2.0" {
		return nil, nil, fieldError("Assertion Version %.20q", v)
	}
	t := &Token{}
	t.ID, _ = attr(root, "ID")
	val := &validity{}
	var err error
	if val.issueInstant, err = optionalTime(root, "IssueInstant"); err != nil {
		return nil, nil, err
	}
	if val.issueInstant.IsZero() {
		return nil, nil, fieldError("Assertion without IssueInstant")
	}
	var issuer, subject, conditions *etree.Element
	for _, c := range childElements(root) {
		ns := c.NamespaceURI()
		if ns == nsDSig && c.Tag == "Signature" {
			continue
		}
		if ns != nsSAMLAssertion {
			return nil, nil, fieldError("unexpected {%.80s}%.40s in Assertion", ns, c.Tag)
		}
		switch c.Tag {
		case "Issuer":
			if issuer != nil {
				return nil, nil, fieldError("two Issuer elements")
			}
			issuer = c
		case "Subject":
			if subject != nil {
				return nil, nil, fieldError("two Subject elements")
			}
			subject = c
		case "Conditions":
			if conditions != nil {
				return nil, nil, fieldError("two Conditions elements")
			}
			conditions = c
		case "AttributeStatement":
			if err := readAttributes(c, t); err != nil {
				return nil, nil, err
			}
		case "AuthnStatement":
			at, err := optionalTime(c, "AuthnInstant")
			if err != nil {
				return nil, nil, err
			}
			if at.IsZero() {
				return nil, nil, fieldError("AuthnStatement without AuthnInstant")
			}
			if val.authnInstant.IsZero() || at.Before(val.authnInstant) {
				val.authnInstant = at
			}
			if at.After(val.authnLatest) {
				val.authnLatest = at
			}
		case "Advice", "AuthzDecisionStatement":
		default:
			return nil, nil, fieldError("unexpected %.40s in Assertion", c.Tag)
		}
	}
	if issuer == nil || subject == nil || conditions == nil {
		return nil, nil, fieldError("Assertion without Issuer, Subject or Conditions")
	}
	if t.Issuer, err = text(issuer); err != nil {
		return nil, nil, err
	}
	if err := readSubject(subject, t, val); err != nil {
		return nil, nil, err
	}
	if err := readConditions(conditions, t, val); err != nil {
		return nil, nil, err
	}
	return t, val, nil
}

func fieldError(format string, args ...any) error {
	return newError(fmt.Sprintf(format, args...), ErrMalformedToken)
}

func readSubject(subject *etree.Element, t *Token, val *validity) error {
	var nameID, conf *etree.Element
	for _, c := range childElements(subject) {
		switch {
		case isElem(c, nsSAMLAssertion, "NameID") && nameID == nil:
			nameID = c
		case isElem(c, nsSAMLAssertion, "SubjectConfirmation"):
			if conf != nil {
				return newError("more than one SubjectConfirmation", ErrSubjectConfirmation, ErrMalformedToken)
			}
			conf = c
		default:
			return fieldError("unexpected %.40s in Subject", c.Tag)
		}
	}
	if nameID == nil {
		return fieldError("Subject without NameID")
	}
	name, err := text(nameID)
	if err != nil {
		return err
	}
	if name == "" {
		return fieldError("empty NameID")
	}
	if r, _ := utf8.DecodeRuneInString(name); unicode.IsSpace(r) {
		return malformed(ErrNameIDWhitespace, "NameID %s", quote(name))
	}
	if r, _ := utf8.DecodeLastRuneInString(name); unicode.IsSpace(r) {
		return malformed(ErrNameIDWhitespace, "NameID %s", quote(name))
	}
	if paddedPart(name) {
		return malformed(ErrNameIDWhitespace, "NameID %s", quote(name))
	}
	format, hasFormat := attr(nameID, "Format")
	if hasFormat && !slices.Contains(nameIDFormats, format) {
		return malformed(ErrNameIDFormat, "NameID Format %s", quote(format))
	}
	t.NameID = name
	t.NameIDFormat = format
	t.Subject = vapisec.ParsePrincipal(name)
	if conf == nil {
		return newError("Subject without SubjectConfirmation", ErrSubjectConfirmation, ErrMalformedToken)
	}
	method, _ := attr(conf, "Method")
	t.Confirmation = vapisec.ConfirmationMethod(method)
	var data *etree.Element
	for _, c := range childElements(conf) {
		if !isElem(c, nsSAMLAssertion, "SubjectConfirmationData") || data != nil {
			return newError(fmt.Sprintf("unexpected %.40s in SubjectConfirmation", c.Tag), ErrSubjectConfirmation, ErrMalformedToken)
		}
		data = c
	}
	if data != nil {
		if val.scdNotBefore, err = optionalTime(data, "NotBefore"); err != nil {
			return err
		}
		if val.scdNotOnOrAfter, err = optionalTime(data, "NotOnOrAfter"); err != nil {
			return err
		}
	}
	switch t.Confirmation {
	case vapisec.ConfirmationBearer:
		return nil
	case vapisec.ConfirmationHolderOfKey:
	default:
		return newError("confirmation method "+quote(method), ErrSubjectConfirmation, ErrMalformedToken)
	}
	cert, err := hokCertificate(data)
	if err != nil {
		return err
	}
	t.HoKCertificate = cert
	t.HoKCertificateSHA256 = Fingerprint(cert.Raw)
	return nil
}

// hokCertificate reads SubjectConfirmationData/ds:KeyInfo/ds:X509Data/
// ds:X509Certificate, requiring exactly one element at every step (spec
// §7.5, as the Java runtime does).
func hokCertificate(data *etree.Element) (*x509.Certificate, error) {
	el := data
	for _, step := range []struct{ ns, tag string }{{nsDSig, "KeyInfo"}, {nsDSig, "X509Data"}, {nsDSig, "X509Certificate"}} {
		if el == nil {
			break
		}
		cs := childElements(el)
		if len(cs) != 1 || !isElem(cs[0], step.ns, step.tag) {
			return nil, newError("holder-of-key confirmation needs exactly one "+step.tag, ErrSubjectConfirmation, ErrMalformedToken)
		}
		el = cs[0]
	}
	if el == nil || el == data {
		return nil, newError("holder-of-key confirmation without SubjectConfirmationData", ErrSubjectConfirmation, ErrMalformedToken)
	}
	der, err := decodeCertText(el)
	if err != nil {
		return nil, newError("holder-of-key certificate: "+err.Error(), ErrSubjectConfirmation, ErrMalformedToken)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, newError("holder-of-key certificate: "+err.Error(), ErrSubjectConfirmation, ErrMalformedToken)
	}
	return cert, nil
}

func readConditions(cond *etree.Element, t *Token, val *validity) error {
	var err error
	if t.NotBefore, err = optionalTime(cond, "NotBefore"); err != nil {
		return err
	}
	if t.NotOnOrAfter, err = optionalTime(cond, "NotOnOrAfter"); err != nil {
		return err
	}
	if t.NotBefore.IsZero() || t.NotOnOrAfter.IsZero() {
		return fieldError("Conditions without NotBefore or NotOnOrAfter")
	}
	for _, c := range childElements(cond) {
		if c.NamespaceURI() != nsSAMLAssertion {
			return newError(fmt.Sprintf("condition {%.80s}%.40s", c.NamespaceURI(), c.Tag), ErrUnknownCondition, ErrMalformedToken)
		}
		switch c.Tag {
		case "AudienceRestriction":
			auds, err := audiences(c)
			if err != nil {
				return err
			}
			if len(auds) == 0 {
				return fieldError("AudienceRestriction without Audience")
			}
			val.restrictions = append(val.restrictions, auds)
			t.Audiences = append(t.Audiences, auds...)
		case "ProxyRestriction":
			if _, err := audiences(c); err != nil {
				return err
			}
			n, present, err := count(c)
			if err != nil {
				return err
			}
			t.Delegable = !present || n > 0
		case "Condition":
			ns, local := xsiType(c)
			switch {
			case local == "RenewRestrictionType" && (ns == nsRSASAML || ns == ""):
				n, _, err := count(c)
				if err != nil {
					return err
				}
				t.Renewable = n > 0
			case local == "DelegationRestrictionType" && (ns == nsDelegation || ns == ""):
			default:
				return newError("condition of type "+quote(local), ErrUnknownCondition, ErrMalformedToken)
			}
		default:
			return newError("condition "+quote(c.Tag), ErrUnknownCondition, ErrMalformedToken)
		}
	}
	return nil
}

// audiences returns the Audience values of a restriction.
func audiences(el *etree.Element) ([]string, error) {
	var out []string
	for _, c := range childElements(el) {
		if !isElem(c, nsSAMLAssertion, "Audience") {
			return nil, fieldError("unexpected %.40s in %s", c.Tag, el.Tag)
		}
		s, err := text(c)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func count(el *etree.Element) (int, bool, error) {
	s, ok := attr(el, "Count")
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, true, fieldError("%s Count %.20q", el.Tag, s)
	}
	return n, true, nil
}

// xsiType returns the namespace URI and local name of el's xsi:type. The
// namespace is "" when the prefix is not declared in el's scope: exclusive
// canonicalization drops declarations used only in attribute values, so the
// verified element often lacks them.
func xsiType(el *etree.Element) (string, string) {
	for i := range el.Attr {
		a := &el.Attr[i]
		if a.Key != "type" || a.Space == "" || a.NamespaceURI() != nsXSI {
			continue
		}
		prefix, local, ok := strings.Cut(a.Value, ":")
		if !ok {
			return "", a.Value
		}
		for e := el; e != nil; e = e.Parent() {
			for _, d := range e.Attr {
				if d.Space == "xmlns" && d.Key == prefix {
					return d.Value, local
				}
			}
		}
		return "", local
	}
	return "", ""
}

func optionalTime(el *etree.Element, key string) (time.Time, error) {
	s, ok := attr(el, key)
	if !ok {
		return time.Time{}, nil
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fieldError("%s %s %.40q", el.Tag, key, s)
	}
	return tm, nil
}

func readAttributes(stmt *etree.Element, t *Token) error {
	for _, a := range childElements(stmt) {
		if !isElem(a, nsSAMLAssertion, "Attribute") {
			return fieldError("unexpected %.40s in AttributeStatement", a.Tag)
		}
		if nf, ok := attr(a, "NameFormat"); ok && !slices.Contains(attributeNameFormats, nf) {
			return malformed(ErrAttributeNameFormat, "Attribute NameFormat %s", quote(nf))
		}
		name, _ := attr(a, "Name")
		if name != AttributeGroupIdentity && name != AttributeIsSolution {
			continue
		}
		var values []string
		for _, v := range childElements(a) {
			if !isElem(v, nsSAMLAssertion, "AttributeValue") {
				return fieldError("unexpected %.40s in Attribute", v.Tag)
			}
			s, err := text(v)
			if err != nil {
				return err
			}
			values = append(values, s)
		}
		if name == AttributeGroupIdentity {
			t.Groups = append(t.Groups, values...)
			continue
		}
		if len(values) != 1 || (values[0] != "true" && values[0] != "false") {
			return fieldError("isSolution must have exactly one value true or false")
		}
		t.SolutionUser = values[0] == "true"
	}
	return nil
}

// paddedPart reports whether whitespace touches a separator of the
// principal forms (user@domain, DOMAIN\user): "Administrator @vsphere.local"
// would be the principal "Administrator " of vsphere.local, a name that
// differs from a real one only by a space.
func paddedPart(name string) bool {
	prev := rune(-1)
	for _, r := range name {
		if (r == '@' || r == '\\') && unicode.IsSpace(prev) || (prev == '@' || prev == '\\') && unicode.IsSpace(r) {
			return true
		}
		prev = r
	}
	return false
}
