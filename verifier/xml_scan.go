package verifier

import "bytes"

// scanXML is the first line of defence (DESIGN §7 rules 1 and 2): a
// single pass over the raw token bytes, before any XML parser sees them. It
// rejects
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
	i, n := 0, len(b)
	if bytes.HasPrefix(b, []byte("<?xml")) && n > 5 && isXMLSpace(b[5]) {
		end := bytes.Index(b[5:], []byte("?>"))
		if end < 0 {
			return malformed(ErrInvalidXML, "unterminated XML declaration")
		}
		if err := checkXMLDecl(b[5 : 5+end]); err != nil {
			return err
		}
		i = 5 + end + 2
	}
	depth, elements, rootSeen := 0, 0, false
	var attrBuf [16][]byte
	for i < n {
		c := b[i]
		if c != '<' {
			if depth == 0 {
				if !isXMLSpace(c) {
					return malformed(ErrNotAssertion, "content outside the root element at offset %d", i)
				}
				i++
				continue
			}
			j := bytes.IndexByte(b[i:], '<')
			if j < 0 {
				return malformed(ErrInvalidXML, "unterminated element")
			}
			if err := checkReferences(b[i : i+j]); err != nil {
				return err
			}
			i += j
			continue
		}
		if i+1 >= n {
			return malformed(ErrInvalidXML, "unterminated markup")
		}
		switch b[i+1] {
		case '?':
			return malformed(ErrUnsafeXML, "processing instruction at offset %d", i)
		case '!':
			if depth > 0 && bytes.HasPrefix(b[i:], []byte("<![CDATA[")) {
				end := bytes.Index(b[i+9:], []byte("]]>"))
				if end < 0 {
					return malformed(ErrInvalidXML, "unterminated CDATA section")
				}
				i += 9 + end + 3
				continue
			}
			if bytes.HasPrefix(b[i:], []byte("<!--")) {
				return malformed(ErrUnsafeXML, "comment at offset %d", i)
			}
			return malformed(ErrUnsafeXML, "directive %.20q at offset %d", b[i:], i)
		case '/':
			if depth == 0 {
				return malformed(ErrInvalidXML, "end tag without start tag at offset %d", i)
			}
			j := bytes.IndexByte(b[i:], '>')
			if j < 0 {
				return malformed(ErrInvalidXML, "unterminated end tag")
			}
			i += j + 1
			depth--
			continue
		}
		// Start tag.
		if depth == 0 && rootSeen {
			return malformed(ErrNotAssertion, "second root element at offset %d", i)
		}
		rootSeen = true
		if elements++; elements > maxElements {
			return malformed(ErrXMLLimit, "more than %d elements", maxElements)
		}
		if depth+1 > maxDepth {
			return malformed(ErrXMLLimit, "elements nested deeper than %d", maxDepth)
		}
		i++
		start := i
		for i < n && !isXMLSpace(b[i]) && b[i] != '>' && b[i] != '/' {
			i++
		}
		if i == start {
			return malformed(ErrInvalidXML, "empty element name at offset %d", start)
		}
		attrs := attrBuf[:0]
		selfClosing := false
	attrLoop:
		for {
			for i < n && isXMLSpace(b[i]) {
				i++
			}
			if i >= n {
				return malformed(ErrInvalidXML, "unterminated start tag")
			}
			switch b[i] {
			case '>':
				i++
				break attrLoop
			case '/':
				if i+1 < n && b[i+1] == '>' {
					i += 2
					selfClosing = true
					break attrLoop
				}
				return malformed(ErrInvalidXML, "stray '/' in start tag at offset %d", i)
			}
			nameStart := i
			for i < n && b[i] != '=' && !isXMLSpace(b[i]) && b[i] != '>' && b[i] != '/' {
				i++
			}
			name := b[nameStart:i]
			for i < n && isXMLSpace(b[i]) {
				i++
			}
			if len(name) == 0 || i >= n || b[i] != '=' {
				return malformed(ErrInvalidXML, "attribute without value at offset %d", nameStart)
			}
			i++
			for i < n && isXMLSpace(b[i]) {
				i++
			}
			if i >= n || (b[i] != '"' && b[i] != '\'') {
				return malformed(ErrInvalidXML, "unquoted attribute value at offset %d", i)
			}
			q := b[i]
			i++
			end := bytes.IndexByte(b[i:], q)
			if end < 0 {
				return malformed(ErrInvalidXML, "unterminated attribute value")
			}
			value := b[i : i+end]
			if bytes.IndexByte(value, '<') >= 0 {
				return malformed(ErrInvalidXML, "'<' in attribute value at offset %d", i)
			}
			if err := checkReferences(value); err != nil {
				return err
			}
			i += end + 1
			for _, a := range attrs {
				if bytes.Equal(a, name) {
					return malformed(ErrDuplicateAttribute, "attribute %.40q repeated", name)
				}
			}
			attrs = append(attrs, name)
		}
		if !selfClosing {
			depth++
		}
	}
	if depth != 0 || !rootSeen {
		return malformed(ErrInvalidXML, "no complete root element")
	}
	return nil
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
func checkXMLDecl(decl []byte) error {
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
