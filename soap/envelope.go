package soap

import (
	"strings"

	"github.com/beevik/etree"
)

// Namespaces of the envelopes the handler reads and writes.
const (
	// NamespaceSOAP11 is the SOAP 1.1 envelope namespace, the only one
	// vim25 speaks.
	NamespaceSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	// NamespaceSOAP12 is the SOAP 1.2 envelope namespace; an envelope in it
	// is refused with ErrVersionMismatch.
	NamespaceSOAP12 = "http://www.w3.org/2003/05/soap-envelope"
	// NamespaceVim25 is the namespace of vim25 method elements.
	NamespaceVim25 = "urn:vim25"
	// nsXSI is the XML Schema instance namespace (xsi:type).
	nsXSI = "http://www.w3.org/2001/XMLSchema-instance"
)

// Limits of ParseEnvelope. The body size is bounded before (WithMaxBodySize).
const (
	// MaxDepth is the deepest element nesting ParseEnvelope accepts. A
	// LoginByToken envelope with a WS-Security header and a SAML token in
	// it nests about 12 deep.
	MaxDepth = 32
	// MaxElements is the largest number of elements ParseEnvelope accepts.
	MaxElements = 4096
)

// Envelope is a parsed SOAP 1.1 request: a Header (optional) and a Body with
// exactly one vim25 method element. Its elements belong to Doc; treat them as
// read-only.
type Envelope struct {
	// Doc is the whole parsed document.
	Doc *etree.Document
	// Header is the soapenv:Header element; nil when the envelope has none.
	Header *etree.Element
	// Body is the soapenv:Body element.
	Body *etree.Element
	// Call is the one element of Body: the method and its arguments, in the
	// urn:vim25 namespace.
	Call *etree.Element
	// Method is Call's local name ("Login", "RetrievePropertiesEx", …).
	Method string
	// ns is the namespace of Call and its arguments: NamespaceVim25, or
	// none for the LoginByToken call govmomi's sts.Signer writes.
	ns string
}

// ParseEnvelope parses a SOAP 1.1 request body strictly, in numbered steps,
// cheapest first:
//
//  1. the raw bytes pass the token pre-checks (scanXML): no DOCTYPE,
//     directive, comment or processing instruction (but one leading UTF-8
//     XML declaration), only the predefined entities, no attribute twice
//     and at most 64 on an element (internal/xmlscan.MaxAttributes), one
//     root, at most MaxDepth deep and MaxElements elements;
//  2. etree parses them (encoding/xml: the rest of well-formedness);
//  3. namespace-aware checks, never by prefix: every prefix is bound, no
//     attribute twice under two prefixes of one namespace, the root is
//     {NamespaceSOAP11}Envelope (a SOAP 1.2 or unknown envelope namespace is
//     ErrVersionMismatch), whose children are an optional Header and then
//     exactly one Body and nothing else, whose Body holds exactly one
//     element, in NamespaceVim25, and no text. The one exception is
//     LoginByToken, which may be in no namespace: govmomi's sts.Signer
//     signs and sends it (and its arguments) so, and its arguments are then
//     read in no namespace too.
//
// Every error matches ErrMalformed (and a refined sentinel where one
// applies). ParseEnvelope never panics; b is not retained.
func ParseEnvelope(b []byte) (*Envelope, error) {
	if err := scanXML(b, MaxDepth, MaxElements); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings.MaxDepth = MaxDepth + 1
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, malformed(ErrMalformed, "%.80s", err.Error())
	}
	root := doc.Root()
	if root == nil {
		return nil, malformed(ErrMalformed, "no root element")
	}
	if err := checkNamespaces(root); err != nil {
		return nil, err
	}
	if root.Tag != "Envelope" {
		return nil, malformed(ErrMalformed, "root element %.40q is not Envelope", root.Tag)
	}
	switch ns := root.NamespaceURI(); ns {
	case NamespaceSOAP11:
	case NamespaceSOAP12:
		return nil, malformed(ErrVersionMismatch, "SOAP 1.2 envelope")
	default:
		return nil, malformed(ErrVersionMismatch, "envelope namespace %.60q", ns)
	}
	env := &Envelope{Doc: doc}
	if err := onlyWhitespace(root); err != nil {
		return nil, err
	}
	for _, c := range root.ChildElements() {
		if c.NamespaceURI() != NamespaceSOAP11 {
			return nil, malformed(ErrMalformed, "element %.40q in the envelope", c.Tag)
		}
		switch {
		case c.Tag == "Header" && env.Header == nil && env.Body == nil:
			env.Header = c
		case c.Tag == "Body" && env.Body == nil:
			env.Body = c
		default:
			return nil, malformed(ErrMalformed, "unexpected or repeated %.40q in the envelope", c.Tag)
		}
	}
	if env.Body == nil {
		return nil, malformed(ErrMalformed, "no Body")
	}
	if err := onlyWhitespace(env.Body); err != nil {
		return nil, err
	}
	calls := env.Body.ChildElements()
	if len(calls) != 1 {
		return nil, malformed(ErrMalformed, "Body holds %d elements, not one", len(calls))
	}
	env.Call = calls[0]
	env.Method = env.Call.Tag
	switch env.ns = env.Call.NamespaceURI(); {
	case env.ns == NamespaceVim25:
	case env.ns == "" && env.Method == "LoginByToken":
		// govmomi's sts.Signer marshals the signed call without xmlns.
	default:
		return nil, malformed(ErrMalformed, "method namespace %.60q is not urn:vim25", env.ns)
	}
	return env, nil
}

// checkNamespaces walks el and its descendants: every element and attribute
// prefix is bound, and no element has two attributes with the same namespace
// URI and local name (the raw scan rejected identical qualified names).
func checkNamespaces(el *etree.Element) error {
	stack := []*etree.Element{el}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e.Space != "" && e.NamespaceURI() == "" {
			return malformed(ErrMalformed, "unbound prefix %.20q", e.Space)
		}
		for i := range e.Attr {
			a := &e.Attr[i]
			if a.Space == "" || a.Space == "xmlns" || a.Space == "xml" {
				continue
			}
			ns := a.NamespaceURI()
			if ns == "" {
				return malformed(ErrMalformed, "unbound attribute prefix %.20q", a.Space)
			}
			for j := i + 1; j < len(e.Attr); j++ {
				b := &e.Attr[j]
				if b.Key == a.Key && b.Space != "" && b.Space != "xmlns" && b.Space != a.Space && b.NamespaceURI() == ns {
					return malformed(ErrDuplicateAttribute, "attribute %.40q repeated under two prefixes", a.Key)
				}
			}
		}
		stack = append(stack, e.ChildElements()...)
	}
	return nil
}

// onlyWhitespace fails when el has character data other than whitespace
// among its children.
func onlyWhitespace(el *etree.Element) error {
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok && !cd.IsWhitespace() {
			return malformed(ErrMalformed, "text in <%.40s>", el.Tag)
		}
	}
	return nil
}

// MoRef is a managed object reference: <_this type="SessionManager">SessionManager</_this>.
type MoRef struct {
	Type  string
	Value string
}

// This returns the method's _this argument: exactly one, in the call's namespace,
// with a type attribute and text only.
func (e *Envelope) This() (MoRef, error) {
	el, err := e.arg("_this")
	if err != nil {
		return MoRef{}, err
	}
	if el == nil {
		return MoRef{}, malformed(ErrMalformed, "%s without _this", e.Method)
	}
	return moRef(el)
}

// moRef reads a managed object reference element.
func moRef(el *etree.Element) (MoRef, error) {
	typ, ok := plainAttr(el, "type")
	if !ok {
		return MoRef{}, malformed(ErrMalformed, "<%.40s> without type", el.Tag)
	}
	v, err := textOf(el)
	if err != nil {
		return MoRef{}, err
	}
	return MoRef{Type: typ, Value: v}, nil
}

// Arg returns the text of the method's argument name, and whether it is
// present. It fails when the argument is repeated, has child elements or is
// not in the call's namespace (NamespaceVim25, or none for govmomi's signed
// LoginByToken).
func (e *Envelope) Arg(name string) (string, bool, error) {
	el, err := e.arg(name)
	if err != nil || el == nil {
		return "", false, err
	}
	v, err := textOf(el)
	return v, err == nil, err
}

// Args returns the texts of every occurrence of the repeated argument name.
func (e *Envelope) Args(name string) ([]string, error) {
	var out []string
	for _, c := range e.Call.ChildElements() {
		if c.Tag != name || c.NamespaceURI() != e.ns {
			continue
		}
		v, err := textOf(c)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// CheckArgs fails when the method element has a child that is not one of
// allowed (by local name, in the call's namespace), or text.
func (e *Envelope) CheckArgs(allowed ...string) error {
	if err := onlyWhitespace(e.Call); err != nil {
		return err
	}
	for _, c := range e.Call.ChildElements() {
		if c.NamespaceURI() != e.ns || !contains(allowed, c.Tag) {
			return &argError{name: c.Tag}
		}
	}
	return nil
}

// argError is an argument a method does not take; the handler answers
// InvalidArgument naming it.
type argError struct{ name string }

func (e *argError) Error() string { return "soap: unexpected argument " + quote(e.name) }
func (e *argError) Unwrap() error { return ErrMalformed }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// arg returns the one argument element name of the call (nil when absent).
func (e *Envelope) arg(name string) (*etree.Element, error) {
	var found *etree.Element
	for _, c := range e.Call.ChildElements() {
		if c.Tag != name || c.NamespaceURI() != e.ns {
			continue
		}
		if found != nil {
			return nil, malformed(ErrMalformed, "argument %.40q repeated", name)
		}
		found = c
	}
	return found, nil
}

// plainAttr returns el's unprefixed attribute key.
func plainAttr(el *etree.Element, key string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// textOf returns the character data of el, which must have no child element.
func textOf(el *etree.Element) (string, error) {
	var sb strings.Builder
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.CharData:
			sb.WriteString(t.Data)
		case *etree.Element:
			return "", malformed(ErrMalformed, "element in <%.40s>", el.Tag)
		}
	}
	return sb.String(), nil
}

// quote quotes and truncates attacker bytes for an error message.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "\"", "'")
}
