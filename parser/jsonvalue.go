package parser

import (
	"unicode/utf16"
	"unicode/utf8"
)

// JSONValue is the raw text of one JSON value exactly as it appears in a
// parsed document (a sub-slice of it): strings keep their quotes and
// escapes. A nil JSONValue is an absent member.
type JSONValue []byte

// JSONKind is the type of a JSON value.
type JSONKind uint8

// The JSON value kinds. KindAbsent is the kind of a nil JSONValue.
const (
	KindAbsent JSONKind = iota
	KindString
	KindNumber
	KindObject
	KindArray
	KindBool
	KindNull
)

// String returns the kind's name ("string", "object", …).
func (k JSONKind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindObject:
		return "object"
	case KindArray:
		return "array"
	case KindBool:
		return "boolean"
	case KindNull:
		return "null"
	}
	return "absent value"
}

// Kind returns the type of v, from its first byte.
func (v JSONValue) Kind() JSONKind {
	if len(v) == 0 {
		return KindAbsent
	}
	switch v[0] {
	case '"':
		return KindString
	case '{':
		return KindObject
	case '[':
		return KindArray
	case 't', 'f':
		return KindBool
	case 'n':
		return KindNull
	}
	return KindNumber
}

// rawString returns the contents of a string value between its quotes.
func (v JSONValue) rawString() ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	return v[1 : len(v)-1], true
}

// RawString returns the text between the quotes of a string value, escapes
// unresolved, and false when v is not a string. It does not allocate.
func (v JSONValue) RawString() ([]byte, bool) { return v.rawString() }

// EqualString reports whether v is a string whose value is s. It does not
// allocate for strings of up to 256 bytes.
func (v JSONValue) EqualString(s string) bool {
	raw, ok := v.rawString()
	if !ok {
		return false
	}
	if indexByte(raw, '\\') < 0 {
		return string(raw) == s
	}
	if len(raw) > 6*len(s) || len(raw) > 256*6 {
		return false
	}
	var buf [256]byte
	return string(appendUnescaped(buf[:0], raw)) == s
}

// AppendString appends the value of the string v (escapes resolved, UTF-8)
// to dst. It reports false, and returns dst unchanged, when v is not a
// string.
func (v JSONValue) AppendString(dst []byte) ([]byte, bool) {
	raw, ok := v.rawString()
	if !ok {
		return dst, false
	}
	return appendUnescaped(dst, raw), true
}

// StringValue returns the value of the string v, or false when v is not a
// string.
func (v JSONValue) StringValue() (string, bool) {
	raw, ok := v.rawString()
	if !ok {
		return "", false
	}
	if indexByte(raw, '\\') < 0 {
		return string(raw), true
	}
	return string(appendUnescaped(make([]byte, 0, len(raw)), raw)), true
}

// appendUnescaped appends the JSON string contents raw (RFC 8259 §7, already
// validated) with its escapes resolved. Invalid escapes, which validated
// input does not have, are copied as they are; a lone surrogate becomes
// U+FFFD.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		j := indexByte(raw[i:], '\\')
		if j < 0 {
			return append(dst, raw[i:]...)
		}
		dst = append(dst, raw[i:i+j]...)
		i += j
		if i+1 >= len(raw) {
			return append(dst, raw[i:]...)
		}
		c := raw[i+1]
		i += 2
		switch c {
		case '"', '\\', '/':
			dst = append(dst, c)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(raw, i)
			if !ok {
				dst = append(dst, '\\', 'u')
				continue
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok2 := rune(0), false
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2, ok2 = hex4(raw, i+2)
				}
				if d := utf16.DecodeRune(r, r2); ok2 && d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			dst = append(dst, '\\', c)
		}
	}
	return dst
}

// hex4 decodes four hex digits at raw[i:].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
