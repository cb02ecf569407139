package soap

import "bytes"

// scanXML is the first line of defence (DESIGN §7 rules 1 and 2): a single
// pass over the raw body bytes, before any XML parser sees them. It is the
// filter the verifier runs over SAML tokens (verifier/xml_scan.go, which
// does not export it), with this package's sentinels. It rejects
//   - anything but whitespace outside the one root element, and a second root;
//   - DOCTYPE and every other directive, entity references other than the
//     five predefined ones and character references;
//   - processing instructions other than one leading XML declaration, and an
//     XML declaration naming an encoding other than UTF-8;
//   - comments (they let a signed NameID read differently to different
//     parsers);
//   - the same attribute name twice on an element;
//   - nesting deeper than maxDepth and more than maxElements elements.
//
// It is deliberately stricter than XML (it is a filter, not a parser): what
// it accepts is then parsed by encoding/xml through etree, which checks the
// rest of well-formedness.
func scanXML(b []byte, maxDepth, maxElements int) error {
	s := xmlScanner{b: b, maxDepth: maxDepth, maxElements: maxElements}
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

// xmlScanner is the state of one scanXML pass: the offset i of the next
// byte of b, the open elements, and the element count.
type xmlScanner struct {
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
func (s *xmlScanner) declaration() error {
	b := s.b
	if !bytes.HasPrefix(b, []byte("<?xml")) || len(b) <= 5 || !isXMLSpace(b[5]) {
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
func (s *xmlScanner) text() error {
	b := s.b
	if s.depth == 0 {
		if !isXMLSpace(b[s.i]) {
			return malformed(ErrMalformed, "content outside the root element at offset %d", s.i)
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
func (s *xmlScanner) markup() error {
	b, i := s.b, s.i
	if i+1 >= len(b) {
		return malformed(ErrMalformed, "unterminated markup")
	}
	switch b[i+1] {
	case '?':
		return malformed(ErrUnsafeXML, "processing instruction at offset %d", i)
	case '!':
		return s.bang()
	case '/':
		return s.endTag()
	}
	return s.startTag()
}

// bang skips a CDATA section inside the root element and refuses every
// other "<!" markup: comments, DOCTYPE and the other directives.
func (s *xmlScanner) bang() error {
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
		return malformed(ErrUnsafeXML, "comment at offset %d", i)
	}
	return malformed(ErrUnsafeXML, "directive %.20q at offset %d", b[i:], i)
}

// endTag skips an end tag and closes one element.
func (s *xmlScanner) endTag() error {
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
func (s *xmlScanner) startTag() error {
	b, n, i := s.b, len(s.b), s.i
	if s.depth == 0 && s.rootSeen {
		return malformed(ErrMalformed, "second root element at offset %d", i)
	}
	s.rootSeen = true
	if s.elements++; s.elements > s.maxElements {
		return malformed(ErrXMLLimit, "more than %d elements", s.maxElements)
	}
	if s.depth+1 > s.maxDepth {
		return malformed(ErrXMLLimit, "elements nested deeper than %d", s.maxDepth)
	}
	i++
	start := i
	for i < n && !isXMLSpace(b[i]) && b[i] != '>' && b[i] != '/' {
		i++
	}
	if i == start {
		return malformed(ErrMalformed, "empty element name at offset %d", start)
	}
	attrs := s.attrBuf[:0]
	for {
		i = skipXMLSpace(b, i)
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
		attrs = append(attrs, name)
	}
}

// scanAttribute scans the name="value" (or 'value') pair of a start tag at
// b[i:] and returns the name and the offset after the value.
func scanAttribute(b []byte, i int) (name []byte, next int, err error) {
	n := len(b)
	nameStart := i
	for i < n && b[i] != '=' && !isXMLSpace(b[i]) && b[i] != '>' && b[i] != '/' {
		i++
	}
	name = b[nameStart:i]
	i = skipXMLSpace(b, i)
	if len(name) == 0 || i >= n || b[i] != '=' {
		return nil, 0, malformed(ErrMalformed, "attribute without value at offset %d", nameStart)
	}
	i = skipXMLSpace(b, i+1)
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

// skipXMLSpace returns the offset of the first byte at or after i in b that
// is not XML whitespace.
func skipXMLSpace(b []byte, i int) int {
	for i < len(b) && isXMLSpace(b[i]) {
		i++
	}
	return i
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

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
			return malformed(ErrUnsafeXML, "bad entity reference %.12q", s)
		}
		switch ref := string(s[:end]); {
		case ref == "lt" || ref == "gt" || ref == "amp" || ref == "quot" || ref == "apos":
		case len(ref) > 1 && ref[0] == '#':
		default:
			return malformed(ErrUnsafeXML, "entity reference %.12q", ref)
		}
		s = s[end+1:]
	}
}

// checkXMLDecl refuses an XML declaration naming an encoding other than
// UTF-8 (etree would read such bytes as UTF-8 without conversion).
//
// Unlike the verifier's copy it also requires the declaration to start with
// its version (XML 1.0 §2.8): "<?xml ?>" passes encoding/xml but is
// serialized back by etree as "<?xml?>", which no longer reads as a
// declaration (found by FuzzParseEnvelope).
func checkXMLDecl(decl []byte) error {
	if !bytes.HasPrefix(bytes.TrimLeft(decl, " \t\r\n"), []byte("version")) {
		return malformed(ErrUnsafeXML, "XML declaration without version")
	}
	k := bytes.Index(decl, []byte("encoding"))
	if k < 0 {
		return nil
	}
	rest := bytes.TrimLeft(decl[k+len("encoding"):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return malformed(ErrUnsafeXML, "bad XML declaration")
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) < 2 || (rest[0] != '"' && rest[0] != '\'') {
		return malformed(ErrUnsafeXML, "bad XML declaration")
	}
	end := bytes.IndexByte(rest[1:], rest[0])
	if end < 0 {
		return malformed(ErrUnsafeXML, "bad XML declaration")
	}
	if enc := rest[1 : 1+end]; !bytes.EqualFold(enc, []byte("UTF-8")) {
		return malformed(ErrUnsafeXML, "encoding %.20q", enc)
	}
	return nil
}
