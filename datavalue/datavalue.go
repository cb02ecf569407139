// Package datavalue encodes vAPI DataValues and JSON-RPC 2.0 responses in
// the exact forms VMware's vAPI runtimes send and decode (spec §13.2,
// §13.3): structure {"STRUCTURE":{"<type>":{…}}}, error
// {"ERROR":{"<type>":{…}}}, optional {"OPTIONAL":value-or-null}, list as a
// JSON array, string, secret, long, double and boolean as JSON scalars, void
// as null.
//
// Application handlers behind the vapisec middleware use it to answer their
// own JSON-RPC operations:
//
//	out := datavalue.Structure{Name: "com.example.vm.info", Fields: []datavalue.Field{
//		{Name: "name", Value: datavalue.String("vm-1")},
//	}}
//	body := datavalue.AppendResponse(nil, id, out)
//
// The encoder is stdlib-only and allocation-free on the Append path beyond
// the growth of dst (and a sorted copy of Fields when they are not given in
// name order). Member names are written in byte order, as the GoSDK's
// encoder (encoding/json over maps) writes them, and strings are escaped as
// encoding/json escapes them, so the bytes are identical to the SDK's.
package datavalue

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Value is a vAPI DataValue. The types of this package implement it; an
// application type may too, provided AppendJSON appends exactly one valid
// JSON value in the vAPI JSON-RPC form.
type Value interface {
	// AppendJSON appends the value's JSON-RPC form to dst.
	AppendJSON(dst []byte) []byte
}

// String is a vAPI string.
type String string

// Secret is a vAPI secret: on the JSON-RPC wire a plain string (spec §13.2).
type Secret string

// Long is a vAPI long (64-bit integer).
type Long int64

// Double is a vAPI double. It is written as the GoSDK writes doubles: plain
// decimal notation (never an exponent), with the shortest digits that read
// back to the same float64 and at least one digit after the point ("1.0",
// "0.25", "1e21" as "1000000000000000000000.0"). NaN and infinities have no
// JSON form and are written as null.
type Double float64

// Boolean is a vAPI boolean.
type Boolean bool

// Void is the vAPI void value, written null: the output of an operation
// that returns nothing (session delete answers {"output":null}).
type Void struct{}

// Optional is a vAPI optional inside a structure or error:
// {"OPTIONAL":value} when Value is set, {"OPTIONAL":null} when Value is nil
// (the zero value).
type Optional struct {
	Value Value
}

// List is a vAPI list: a JSON array. A nil List is written [].
type List []Value

// Field is one field of a Structure or an Error.
type Field struct {
	Name  string
	Value Value
}

// Structure is a vAPI structure: {"STRUCTURE":{"<Name>":{fields}}}. Fields
// are written in byte order of their names whatever their order here; a nil
// Value is written null. Name is the structure's type name, e.g.
// "com.vmware.cis.session.info".
type Structure struct {
	Name   string
	Fields []Field
}

// Error is a vAPI error value: {"ERROR":{"<Name>":{fields}}}, Name being
// the error type, e.g. "com.vmware.vapi.std.errors.unauthenticated". See
// StdError for the standard errors' fields.
type Error struct {
	Name   string
	Fields []Field
}

// Raw is JSON that is written as is. It must be one valid JSON value in
// the vAPI JSON-RPC form; nothing checks it. An empty Raw is written null.
type Raw []byte

// AppendJSON implements Value.
func (s String) AppendJSON(dst []byte) []byte { return AppendString(dst, string(s)) }

// AppendJSON implements Value.
func (s Secret) AppendJSON(dst []byte) []byte { return AppendString(dst, string(s)) }

// AppendJSON implements Value.
func (n Long) AppendJSON(dst []byte) []byte { return strconv.AppendInt(dst, int64(n), 10) }

// AppendJSON implements Value.
func (d Double) AppendJSON(dst []byte) []byte { return AppendDouble(dst, float64(d)) }

// AppendJSON implements Value.
func (b Boolean) AppendJSON(dst []byte) []byte { return strconv.AppendBool(dst, bool(b)) }

// AppendJSON implements Value.
func (Void) AppendJSON(dst []byte) []byte { return append(dst, "null"...) }

// AppendJSON implements Value.
func (r Raw) AppendJSON(dst []byte) []byte {
	if len(r) == 0 {
		return append(dst, "null"...)
	}
	return append(dst, r...)
}

// AppendJSON implements Value.
func (o Optional) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"OPTIONAL":`...)
	dst = appendValue(dst, o.Value)
	return append(dst, '}')
}

// AppendJSON implements Value.
func (l List) AppendJSON(dst []byte) []byte {
	dst = append(dst, '[')
	for i, v := range l {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendValue(dst, v)
	}
	return append(dst, ']')
}

// AppendJSON implements Value.
func (s Structure) AppendJSON(dst []byte) []byte {
	return appendTyped(dst, `{"STRUCTURE":`, s.Name, s.Fields)
}

// AppendJSON implements Value.
func (e Error) AppendJSON(dst []byte) []byte {
	return appendTyped(dst, `{"ERROR":`, e.Name, e.Fields)
}

func appendTyped(dst []byte, open, name string, fields []Field) []byte {
	dst = append(dst, open...)
	dst = append(dst, '{')
	dst = AppendString(dst, name)
	dst = append(dst, ':')
	dst = appendFields(dst, fields)
	return append(dst, "}}"...)
}

func byName(a, b Field) int { return strings.Compare(a.Name, b.Name) }

// appendFields writes fields as a JSON object, names in byte order.
func appendFields(dst []byte, fields []Field) []byte {
	if !slices.IsSortedFunc(fields, byName) {
		fields = slices.Clone(fields)
		slices.SortStableFunc(fields, byName)
	}
	dst = append(dst, '{')
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendString(dst, f.Name)
		dst = append(dst, ':')
		dst = appendValue(dst, f.Value)
	}
	return append(dst, '}')
}

// appendValue writes v, null for a nil v.
func appendValue(dst []byte, v Value) []byte {
	if v == nil {
		return append(dst, "null"...)
	}
	return v.AppendJSON(dst)
}

// Append appends the JSON-RPC form of v to dst (null for a nil v).
func Append(dst []byte, v Value) []byte { return appendValue(dst, v) }

// Marshal returns the JSON-RPC form of v (null for a nil v). The error is
// always nil; it is there for the shape of json.Marshal.
func Marshal(v Value) ([]byte, error) { return appendValue(nil, v), nil }

// AppendDouble appends f as Double writes it.
func AppendDouble(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	for _, c := range dst[n:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, ".0"...)
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, escaped as encoding/json escapes
// it (\b, \f, \n, \r, \t short escapes; other controls \u00XX; HTML-safe:
// <, > and & as \u003c, \u003e, \u0026; U+2028 and U+2029
// escaped; invalid UTF-8 replaced by U+FFFD).
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
