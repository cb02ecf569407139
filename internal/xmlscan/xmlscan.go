// Package xmlscan is the strict pre-scanner that every XML vapisec accepts
// from the network passes before any XML parser sees it: SAML tokens
// (verifier), WS-Security envelopes (verifier.VerifySOAPLogin) and vim25
// SOAP bodies (soap). It uses only the standard library.
//
// Its errors wrap one of the sentinels below; each caller maps them onto its
// own package's exported sentinels (verifier.ErrUnsafeXML,
// soap.ErrUnsafeXML, …) by the *Error's Kind, keeping its Detail, so that
// errors.Is on the public sentinels keeps working.
package xmlscan

import (
	"bytes"
	"errors"
	"fmt"
)

// The kinds of refusal. Every error Scan returns is an *Error wrapping
// exactly one of them.
var (
	// ErrMalformed: bytes that are not well-formed XML as far as the scan
	// sees (an unterminated tag, an end tag without a start tag, …).
	ErrMalformed = errors.New("xmlscan: not well-formed")
	// ErrRoot: content other than whitespace outside the root element, or
	// a second root element.
	ErrRoot = errors.New("xmlscan: not one root element")
	// ErrUnsafe: a DOCTYPE or other directive, an entity reference other
	// than the predefined ones and character references, a processing
	// instruction other than one leading XML declaration, a comment, an XML
	// declaration without version or with an encoding other than UTF-8.
	ErrUnsafe = errors.New("xmlscan: forbidden XML construct")
	// ErrLimit: elements nested deeper than, or more elements than, the
	// limits given to Scan, or an element with more than MaxAttributes
	// attributes.
	ErrLimit = errors.New("xmlscan: XML limit exceeded")
	// ErrDuplicateAttribute: the same attribute name twice on an element.
	ErrDuplicateAttribute = errors.New("xmlscan: duplicate attribute")
)

// MaxAttributes is the most attributes (namespace declarations included)
// Scan accepts on one element; more is ErrLimit. The repeated-name check is
// quadratic in an element's attributes: without this bound one 256 KiB
// start tag of ~28,000 attributes cost seconds of CPU before any parser ran.
// The XML vapisec reads (SAML tokens, WS-Security headers, vim25 envelopes)
// carries fewer than 16 on any element.
const MaxAttributes = 64

// Error is a refusal by Scan: its kind (one of the sentinels above) and a
// detail whose attacker bytes are already quoted and truncated.
type Error struct {
	// Kind is ErrMalformed, ErrRoot, ErrUnsafe, ErrLimit or
	// ErrDuplicateAttribute.
	Kind error
	// Detail says what was refused and where ("comment at offset 12").
	Detail string
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Detail }
func (e *Error) Unwrap() error { return e.Kind }

func malformed(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// ScanAs runs Scan and hands a refusal to wrap as the caller's own
// sentinel, looked up in sentinels by the refusal's Kind (a kind missing
// from sentinels is looked up as ErrMalformed), and its Detail. It returns
// nil when Scan accepts b.
func ScanAs(b []byte, maxDepth, maxElements int, sentinels map[error]error, wrap func(sentinel error, detail string) error) error {
	var e *Error
	if err := Scan(b, maxDepth, maxElements); !errors.As(err, &e) {
		return err
	}
	s, ok := sentinels[e.Kind]
	if !ok {
		s = sentinels[ErrMalformed]
	}
	return wrap(s, e.Detail)
}

// Scan is the first line of defence (DESIGN §7 rules 1 and 2): a single
// pass over the raw bytes, before any XML parser sees them. It rejects
//   - anything but whitespace outside the one root element, and a second root;
//   - DOCTYPE and every other directive, entity references other than the
//     five predefined ones and character references;
//   - processing instructions other than one leading XML declaration, and an
//     XML declaration without version or naming an encoding other than UTF-8;
//   - comments (they let a signed NameID read differently to different
//     parsers);
//   - the same attribute name twice on an element, and more than
//     MaxAttributes attributes on one;
//   - nesting deeper than maxDepth and more than maxElements elements.
//
// It is deliberately stricter than XML (it is a filter, not a parser): what
// it accepts is then parsed by encoding/xml through etree, which checks the
// rest of well-formedness. maxDepth and maxElements must be positive.
// Scan never panics and does not retain b.
func Scan(b []byte, maxDepth, maxElements int) error {
	s := scanner{b: b, maxDepth: maxDepth, maxElements: maxElements}
	if err := s.declaration(); err != nil {
		return err
	}
	for s.i < len(b) {
		var err error
		if b[s.i] == '<' {
			err = s.markup()
		} else {
			err = s.text()
		}
		if err != nil {
			return err
		}
	}
	if s.depth != 0 || !s.rootSeen {
		return malformed(ErrMalformed, "no complete root element")
	}
	return nil
}

// scanner is the state of one Scan pass: the offset i of the next
// byte of b, the open elements, and the element count.
type scanner struct {
	b                     []byte
	i                     int
	depth, elements       int
	rootSeen              bool
	maxDepth, maxElements int
	// attrBuf backs the attribute names of the current start tag, so that
	// a tag of up to 16 attributes allocates nothing.
	attrBuf [16][]byte
}

// declaration skips one leading XML declaration, refusing an encoding
// other than UTF-8.
func (s *scanner) declaration() error {
	b := s.b
	if !bytes.HasPrefix(b, []byte("<?xml")) || len(b) <= 5 || !IsSpace(b[5]) {
		return nil
	}
	end := bytes.Index(b[5:], []byte("?>"))
	if end < 0 {
		return malformed(ErrMalformed, "unterminated XML declaration")
	}
	if err := checkXMLDecl(b[5 : 5+end]); err != nil {
		return err
	}
	s.i = 5 + end + 2
	return nil
}

// text skips character data at s.i: only whitespace outside the root
// element (one byte at a time), and inside it text up to the next '<' with
// no references but the predefined and character ones.
func (s *scanner) text() error {
	b := s.b
	if s.depth == 0 {
		if !IsSpace(b[s.i]) {
			return malformed(ErrRoot, "content outside the root element at offset %d", s.i)
		}
		s.i++
		return nil
	}
	j := bytes.IndexByte(b[s.i:], '<')
	if j < 0 {
		return malformed(ErrMalformed, "unterminated element")
	}
	if err := checkReferences(b[s.i : s.i+j]); err != nil {
		return err
	}
	s.i += j
	return nil
}

// markup scans the markup that starts with the '<' at s.i.
func (s *scanner) markup() error {
	b, i := s.b, s.i
	if i+1 >= len(b) {
		return malformed(ErrMalformed, "unterminated markup")
	}
	switch b[i+1] {
	case '?':
		return malformed(ErrUnsafe, "processing instruction at offset %d", i)
	case '!':
		return s.bang()
	case '/':
		return s.endTag()
	}
	return s.startTag()
}

// bang skips a CDATA section inside the root element and refuses every
// other "<!" markup: comments, DOCTYPE and the other directives.
func (s *scanner) bang() error {
	b, i := s.b, s.i
	if s.depth > 0 && bytes.HasPrefix(b[i:], []byte("<![CDATA[")) {
		end := bytes.Index(b[i+9:], []byte("]]>"))
		if end < 0 {
			return malformed(ErrMalformed, "unterminated CDATA section")
		}
		s.i += 9 + end + 3
		return nil
	}
	if bytes.HasPrefix(b[i:], []byte("<!--")) {
		return malformed(ErrUnsafe, "comment at offset %d", i)
	}
	return malformed(ErrUnsafe, "directive %.20q at offset %d", b[i:], i)
}

// endTag skips an end tag and closes one element.
func (s *scanner) endTag() error {
	if s.depth == 0 {
		return malformed(ErrMalformed, "end tag without start tag at offset %d", s.i)
	}
	j := bytes.IndexByte(s.b[s.i:], '>')
	if j < 0 {
		return malformed(ErrMalformed, "unterminated end tag")
	}
	s.i += j + 1
	s.depth--
	return nil
}

// startTag scans a start tag (or an empty-element tag): the element limits,
// the name and the attributes, none of them twice.
func (s *scanner) startTag() error {
	b, n, i := s.b, len(s.b), s.i
	if s.depth == 0 && s.rootSeen {
		return malformed(ErrRoot, "second root element at offset %d", i)
	}
	s.rootSeen = true
	if s.elements++; s.elements > s.maxElements {
		return malformed(ErrLimit, "more than %d elements", s.maxElements)
	}
	if s.depth+1 > s.maxDepth {
		return malformed(ErrLimit, "elements nested deeper than %d", s.maxDepth)
	}
	i++
	start := i
	for i < n && !IsSpace(b[i]) && b[i] != '>' && b[i] != '/' {
		i++
	}
	if i == start {
		return malformed(ErrMalformed, "empty element name at offset %d", start)
	}
	attrs := s.attrBuf[:0]
	for {
		i = skipSpace(b, i)
		if i >= n {
			return malformed(ErrMalformed, "unterminated start tag")
		}
		switch b[i] {
		case '>':
			s.i = i + 1
			s.depth++
			return nil
		case '/':
			if i+1 < n && b[i+1] == '>' {
				s.i = i + 2
				return nil
			}
			return malformed(ErrMalformed, "stray '/' in start tag at offset %d", i)
		}
		var name []byte
		var err error
		if name, i, err = scanAttribute(b, i); err != nil {
			return err
		}
		for _, a := range attrs {
			if bytes.Equal(a, name) {
				return malformed(ErrDuplicateAttribute, "attribute %.40q repeated", name)
			}
		}
		if len(attrs) == MaxAttributes {
			return malformed(ErrLimit, "more than %d attributes on one element", MaxAttributes)
		}
		attrs = append(attrs, name)
	}
}

// scanAttribute scans the name="value" (or 'value') pair of a start tag at
// b[i:] and returns the name and the offset after the value.
func scanAttribute(b []byte, i int) (name []byte, next int, err error) {
	n := len(b)
	nameStart := i
	for i < n && b[i] != '=' && !IsSpace(b[i]) && b[i] != '>' && b[i] != '/' {
		i++
	}
	name = b[nameStart:i]
	i = skipSpace(b, i)
	if len(name) == 0 || i >= n || b[i] != '=' {
		return nil, 0, malformed(ErrMalformed, "attribute without value at offset %d", nameStart)
	}
	i = skipSpace(b, i+1)
	if i >= n || (b[i] != '"' && b[i] != '\'') {
		return nil, 0, malformed(ErrMalformed, "unquoted attribute value at offset %d", i)
	}
	q := b[i]
	i++
	end := bytes.IndexByte(b[i:], q)
	if end < 0 {
		return nil, 0, malformed(ErrMalformed, "unterminated attribute value")
	}
	value := b[i : i+end]
	if bytes.IndexByte(value, '<') >= 0 {
		return nil, 0, malformed(ErrMalformed, "'<' in attribute value at offset %d", i)
	}
	if err := checkReferences(value); err != nil {
		return nil, 0, err
	}
	return name, i + end + 1, nil
}

// skipSpace returns the offset of the first byte at or after i in b that
// is not XML whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// IsSpace reports whether c is XML whitespace (XML 1.0 §2.3, production S).
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// checkReferences accepts only the predefined entity references and
// character references in text or an attribute value.
func checkReferences(s []byte) error {
	for {
		k := bytes.IndexByte(s, '&')
		if k < 0 {
			return nil
		}
		s = s[k+1:]
		end := bytes.IndexByte(s, ';')
		if end < 0 || end > 10 {
			return malformed(ErrUnsafe, "bad entity reference %.12q", s)
		}
		switch ref := string(s[:end]); {
		case ref == "lt" || ref == "gt" || ref == "amp" || ref == "quot" || ref == "apos":
		case len(ref) > 1 && ref[0] == '#':
		default:
			return malformed(ErrUnsafe, "entity reference %.12q", ref)
		}
		s = s[end+1:]
	}
}

// checkXMLDecl refuses an XML declaration without a version or naming an
// encoding other than UTF-8 (etree would read such bytes as UTF-8 without conversion).
//
// It also requires the declaration to start with its version (XML 1.0
// §2.8, production XMLDecl): "<?xml ?>" passes encoding/xml but is
// serialized back by etree as "<?xml?>", which no longer reads as a
// declaration (found by soap's FuzzParseEnvelope).
func checkXMLDecl(decl []byte) error {
	if !bytes.HasPrefix(bytes.TrimLeft(decl, " \t\r\n"), []byte("version")) {
		return malformed(ErrUnsafe, "XML declaration without version")
	}
	k := bytes.Index(decl, []byte("encoding"))
	if k < 0 {
		return nil
	}
	rest := bytes.TrimLeft(decl[k+len("encoding"):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return malformed(ErrUnsafe, "bad XML declaration")
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) < 2 || (rest[0] != '"' && rest[0] != '\'') {
		return malformed(ErrUnsafe, "bad XML declaration")
	}
	end := bytes.IndexByte(rest[1:], rest[0])
	if end < 0 {
		return malformed(ErrUnsafe, "bad XML declaration")
	}
	if enc := rest[1 : 1+end]; !bytes.EqualFold(enc, []byte("UTF-8")) {
		return malformed(ErrUnsafe, "encoding %.20q", enc)
	}
	return nil
}
