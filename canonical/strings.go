package canonical

import (
	"unicode/utf8"
)

// Byte classes for the string fast path: bytes copied through unchanged.
var (
	// rawSafe: printable ASCII and DEL except '"' and '\\' (Java, GoSDK).
	rawSafe = byteClass(0x20, 0x7F)
	// asciiSafe: printable ASCII except '"' and '\\' (Python escapes DEL).
	asciiSafe = byteClass(0x20, 0x7E)
)

func byteClass(lo, hi byte) (t [256]bool) {
	for c := int(lo); c <= int(hi); c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}

const lowerHex, upperHex = "0123456789abcdef", "0123456789ABCDEF"

// str canonicalizes the string at s.pos (which holds the opening quote),
// reporting whether it contained escapes (its unescaped bytes then differ
// from the input).
func (s *state) str(dst []byte) ([]byte, bool, error) {
	src := s.src
	py := s.cfg.profile == Python
	out := !s.validate // a validating pass checks without writing
	safe := &rawSafe
	if py {
		safe = &asciiSafe
	}
	i := s.pos + 1
	start, esc := i, false
	if out {
		dst = append(dst, '"')
	}
	for {
		for i < len(src) && safe[src[i]] {
			i++
		}
		if i >= len(src) {
			return dst, esc, s.syntax(s.pos, "unterminated string")
		}
		switch c := src[i]; {
		case c == '"':
			s.pos = i + 1
			if !out {
				return dst, esc, nil
			}
			dst = append(dst, src[start:i]...)
			return append(dst, '"'), esc, nil
		case c == '\\':
			r, n, err := unescapeRune(src, i)
			if err != nil {
				return dst, esc, err
			}
			switch {
			case !out:
			case py:
				dst = append(dst, src[start:i]...)
				dst = appendPythonRune(dst, r)
			default:
				dst = append(dst, src[start:i]...)
				dst = appendJavaRune(dst, r)
			}
			i += n
			start, esc = i, true
		case c < 0x20:
			return dst, esc, s.syntax(i, "control character in string")
		case c == 0x7F: // only reached in the Python profile
			if out {
				dst = append(dst, src[start:i]...)
				dst = append(dst, `\u007f`...)
			}
			i++
			start = i
		default:
			r, n := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && n == 1 {
				if c == 0xED && i+1 < len(src) && src[i+1] >= 0xA0 && src[i+1] <= 0xBF {
					return dst, esc, inputErr(ErrLoneSurrogate, i, "(raw surrogate bytes)")
				}
				return dst, esc, inputErr(ErrInvalidUTF8, i, "")
			}
			if py && out {
				dst = append(dst, src[start:i]...)
				dst = appendPythonRune(dst, r)
				start = i + n
			}
			i += n
		}
	}
}

// unescapeRune decodes the escape sequence at src[i] (a backslash),
// combining a surrogate pair, and returns the rune and the bytes consumed.
func unescapeRune(src []byte, i int) (rune, int, error) {
	if i+1 >= len(src) {
		return 0, 0, inputErr(ErrSyntax, i, "unterminated escape")
	}
	switch src[i+1] {
	case '"', '\\', '/':
		return rune(src[i+1]), 2, nil
	case 'b':
		return '\b', 2, nil
	case 'f':
		return '\f', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 't':
		return '\t', 2, nil
	case 'u':
		r, ok := hex4(src, i+2)
		if !ok {
			return 0, 0, inputErr(ErrSyntax, i, "invalid \\u escape "+quote(src[i:min(len(src), i+6)]))
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return 0, 0, inputErr(ErrLoneSurrogate, i, quote(src[i:i+6]))
		case r >= 0xD800 && r <= 0xDBFF:
			if i+7 < len(src) && src[i+6] == '\\' && src[i+7] == 'u' {
				if lo, ok := hex4(src, i+8); ok && lo >= 0xDC00 && lo <= 0xDFFF {
					return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12, nil
				}
			}
			return 0, 0, inputErr(ErrLoneSurrogate, i, quote(src[i:i+6]))
		}
		return r, 6, nil
	}
	return 0, 0, inputErr(ErrSyntax, i, "invalid escape "+quote(src[i:i+2]))
}

func hex4(src []byte, i int) (rune, bool) {
	if i+4 > len(src) {
		return 0, false
	}
	var r rune
	for _, c := range src[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// unescape appends the unescaped form of raw (the validated inside of a
// string literal) to dst.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		if raw[i] != '\\' {
			dst = append(dst, raw[i])
			i++
			continue
		}
		r, n, err := unescapeRune(raw, i)
		if err != nil { // unreachable: raw was validated by str
			return dst
		}
		dst = utf8.AppendRune(dst, r)
		i += n
	}
	return dst
}

// shortEscape maps the control characters with a two-character escape.
func shortEscape(r rune) byte {
	switch r {
	case '\b':
		return 'b'
	case '\f':
		return 'f'
	case '\n':
		return 'n'
	case '\r':
		return 'r'
	case '\t':
		return 't'
	}
	return 0
}

// appendShortEscape writes the escapes every profile shares: '"' and '\\'
// after a backslash, and the control characters that have a two-character
// form (\b \f \n \r \t). For any other rune it writes nothing and
// reports false.
func appendShortEscape(dst []byte, r rune) ([]byte, bool) {
	switch {
	case r == '"' || r == '\\':
		return append(dst, '\\', byte(r)), true
	case r < 0x20:
		if e := shortEscape(r); e != 0 {
			return append(dst, '\\', e), true
		}
	}
	return dst, false
}

// appendJavaRune writes r as Jackson does (Java and GoSDK profiles): raw
// UTF-8 except '"', '\\' and U+0000..U+001F (short form, else \u00XX with
// upper-case hex).
func appendJavaRune(dst []byte, r rune) []byte {
	if out, ok := appendShortEscape(dst, r); ok {
		return out
	}
	switch {
	case r < 0x20:
		return append(dst, '\\', 'u', '0', '0', upperHex[r>>4], upperHex[r&0xF])
	case r < utf8.RuneSelf:
		return append(dst, byte(r))
	}
	return utf8.AppendRune(dst, r)
}

// appendPythonRune writes r as Python's json with ensure_ascii=True does:
// printable ASCII raw except '"' and '\\', short escapes, everything else
// \uxxxx with lower-case hex, astral characters as surrogate pairs.
func appendPythonRune(dst []byte, r rune) []byte {
	if out, ok := appendShortEscape(dst, r); ok {
		return out
	}
	switch {
	case r < 0x20:
		// No two-character form: \u00xx below.
	case r < 0x7F:
		return append(dst, byte(r))
	case r >= 0x10000:
		r -= 0x10000
		dst = appendU4(dst, 0xD800+(r>>10))
		return appendU4(dst, 0xDC00+(r&0x3FF))
	}
	return appendU4(dst, r)
}

func appendU4(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', lowerHex[r>>12&0xF], lowerHex[r>>8&0xF], lowerHex[r>>4&0xF], lowerHex[r&0xF])
}
