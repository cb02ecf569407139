package parser

import (
	"encoding/base64"
	"fmt"
	"time"
)

// SecurityCtx is params.ctx.securityCtx of a JSON-RPC request, read once
// and decoded (spec §2, §7, §13.1): the members of every vAPI scheme,
// typed. The parser decodes; it decides nothing. A member of the wrong JSON
// type is kept with its Kind and no value, and a value that cannot be
// decoded keeps its Err, because whether that matters depends on the scheme,
// which is the verifier's decision. The zero value is an absent securityCtx.
type SecurityCtx struct {
	// Raw is the whole securityCtx object, a sub-slice of the body.
	Raw JSONValue
	// SchemeID is the "schemeId" member (all schemes).
	SchemeID CtxString
	// UserName and Password are "userName" and "password"
	// (com.vmware.vapi.std.security.user_pass).
	UserName, Password CtxString
	// SessionID is "sessionId" (com.vmware.vapi.std.security.session_id).
	SessionID CtxString
	// AccessToken is "accessToken" (com.vmware.vapi.std.security.oauth).
	AccessToken CtxString
	// SAMLToken is "samlToken" (SAML bearer scheme), the Assertion XML.
	// Its escapes are resolved only on demand (Unescaped): Value is set
	// only when Raw has none, so a token the verifier already knows by its
	// wire form (its cache, its encoded size limit) is never decoded.
	SAMLToken CtxString
	// SignatureAlgorithm is "signatureAlgorithm" (SAML holder-of-key).
	SignatureAlgorithm CtxString
	// Timestamp is "timestamp" (SAML holder-of-key).
	Timestamp CtxTimestamp
	// Signature is "signature" (SAML holder-of-key).
	Signature CtxSignature
}

// CtxString is a string member of a securityCtx.
type CtxString struct {
	// Kind is the member's JSON type; KindAbsent when the member is absent.
	// Raw and Value are set only when Kind is KindString.
	Kind JSONKind
	// Raw is the text between the quotes as sent, escapes unresolved: the
	// wire form that size limits and caches use. A sub-slice of the body.
	Raw []byte
	// Value is the string with its escapes resolved (UTF-8): Raw itself
	// when Raw has no escapes, otherwise a sub-slice of JSONRPCRequest.Buf.
	Value []byte
}

// Unescaped returns the member's string value: Value when it is set,
// otherwise Raw with its escapes resolved, in a new slice (the SAML token
// members, which the parser leaves undecoded). Nil when the member is not a
// string.
func (s *CtxString) Unescaped() []byte {
	switch {
	case s.Kind != KindString:
		return nil
	case s.Value != nil || indexByte(s.Raw, '\\') < 0:
		if s.Value != nil {
			return s.Value
		}
		return s.Raw
	}
	return appendUnescaped(make([]byte, 0, len(s.Raw)), s.Raw)
}

// IsString reports whether the member is present and a JSON string.
func (s *CtxString) IsString() bool { return s.Kind == KindString }

// Equal reports whether the member is a string whose value is v.
func (s *CtxString) Equal(v string) bool { return s.Kind == KindString && string(s.Value) == v }

// CtxTime is a vAPI DateTime member of a securityCtx timestamp.
type CtxTime struct {
	// CtxString is the member as read.
	CtxString
	// Time is the instant in UTC; zero unless Err is nil.
	Time time.Time
	// Err is nil when Time holds the member's value, otherwise why not: the
	// member is absent, not a string, not exactly YYYY-MM-DDTHH:MM:SS.mmmZ
	// (spec §7.3; escapes are not resolved first) or not a valid date. It
	// matches ErrSecurityCtxInvalid.
	Err error
}

// CtxTimestamp is the "timestamp" member of a securityCtx.
type CtxTimestamp struct {
	// Kind is the member's JSON type; Created and Expires are read only
	// when it is KindObject.
	Kind JSONKind
	// Created and Expires are the "created" and "expires" members.
	Created, Expires CtxTime
}

// CtxSignature is the "signature" member of a securityCtx: the holder-of-key
// signature, which the canonical form leaves out (SignaturePath).
type CtxSignature struct {
	// Kind is the member's JSON type; Value and SAMLToken are read only when
	// it is KindObject.
	Kind JSONKind
	// Raw is the whole member, a sub-slice of the body.
	Raw JSONValue
	// Value is the "value" member as read.
	Value CtxString
	// Bytes is Value base64-decoded (DESIGN Q17: standard alphabet, padding
	// optional, CR, LF and space ignored), a sub-slice of
	// JSONRPCRequest.Buf; nil when BytesErr is set.
	Bytes []byte
	// BytesErr is nil when Bytes holds the decoded signature, otherwise why
	// not: Value is absent, not a string, longer than 2048 bytes, wrongly
	// padded or not base64. It matches ErrSecurityCtxInvalid.
	BytesErr error
	// SAMLToken is the "samlToken" member, the Assertion XML; decoded on
	// demand, as SecurityCtx.SAMLToken.
	SAMLToken CtxString
}

// maxSignatureText bounds the decoded text of signature.value.
const maxSignatureText = 2048

// base64RawStd is strict standard base64 without padding.
var base64RawStd = base64.RawStdEncoding.Strict()

// readSecurityCtxAt reads the valid JSON object at s.i into sc and leaves s
// after it, in one pass: the signature object (which holds the SAML token)
// is read in place, not passed over and then scanned again. Decoded values
// are appended to buf, which is returned.
func readSecurityCtxAt(sc *SecurityCtx, s *scanner, buf []byte) []byte {
	start := s.i
	var timestamp, signature, sigValue, sigToken JSONValue
	s.walk(func(name []byte, s *scanner) {
		if nameIs(name, "signature") {
			sigValue, sigToken = nil, nil
			signature = s.object(func(name []byte, s *scanner) {
				switch v := s.value(); {
				case nameIs(name, "value"):
					sigValue = v
				case nameIs(name, "samlToken"):
					sigToken = v
				}
			})
			return
		}
		switch v := s.value(); {
		case nameIs(name, "schemeId"):
			buf = readString(&sc.SchemeID, v, buf)
		case nameIs(name, "userName"):
			buf = readString(&sc.UserName, v, buf)
		case nameIs(name, "password"):
			buf = readString(&sc.Password, v, buf)
		case nameIs(name, "sessionId"):
			buf = readString(&sc.SessionID, v, buf)
		case nameIs(name, "accessToken"):
			buf = readString(&sc.AccessToken, v, buf)
		case nameIs(name, "samlToken"):
			readRawString(&sc.SAMLToken, v)
		case nameIs(name, "signatureAlgorithm"):
			buf = readString(&sc.SignatureAlgorithm, v, buf)
		case nameIs(name, "timestamp"):
			timestamp = v
		}
	})
	sc.Raw = s.b[start:s.i]
	buf = readTimestamp(&sc.Timestamp, timestamp, buf)
	return readSignatureMembers(&sc.Signature, signature, sigValue, sigToken, buf)
}

// readTimestamp reads the timestamp member v (nil when absent) into ts.
func readTimestamp(ts *CtxTimestamp, v JSONValue, buf []byte) []byte {
	ts.Kind = v.Kind()
	if ts.Kind == KindObject {
		objectMembers(v, func(name []byte, v JSONValue) {
			switch {
			case nameIs(name, "created"):
				buf = readString(&ts.Created.CtxString, v, buf)
			case nameIs(name, "expires"):
				buf = readString(&ts.Expires.CtxString, v, buf)
			}
		})
	}
	ts.Created.Time, ts.Created.Err = parseDateTime(&ts.Created.CtxString, "created")
	ts.Expires.Time, ts.Expires.Err = parseDateTime(&ts.Expires.CtxString, "expires")
	return buf
}

// readSignatureMembers reads the signature member v (nil when absent),
// whose "value" and "samlToken" members (nil when absent, or when v is not
// an object) were found by the caller's walk, into sig.
func readSignatureMembers(sig *CtxSignature, v, value, token JSONValue, buf []byte) []byte {
	sig.Kind, sig.Raw = v.Kind(), v
	if sig.Kind == KindObject {
		if value != nil {
			buf = readString(&sig.Value, value, buf)
		}
		if token != nil {
			readRawString(&sig.SAMLToken, token)
		}
	}
	n := len(buf)
	buf, sig.BytesErr = decodeSignatureValue(buf, &sig.Value)
	if sig.BytesErr == nil {
		sig.Bytes = buf[n:len(buf):len(buf)]
	}
	return buf
}

// readString reads the member v (nil when absent) into s, appending its
// unescaped value to buf when it has escapes.
func readString(s *CtxString, v JSONValue, buf []byte) []byte {
	*s = CtxString{Kind: v.Kind()}
	raw, ok := v.rawString()
	if !ok {
		return buf
	}
	s.Raw, s.Value = raw, raw
	if indexByte(raw, '\\') >= 0 {
		n := len(buf)
		buf = appendUnescaped(buf, raw)
		s.Value = buf[n:len(buf):len(buf)]
	}
	return buf
}

// readRawString reads the member v (nil when absent) into s without
// resolving its escapes: Value is set only when Raw has none (see
// CtxString.Unescaped).
func readRawString(s *CtxString, v JSONValue) {
	*s = CtxString{Kind: v.Kind()}
	raw, ok := v.rawString()
	if !ok {
		return
	}
	s.Raw = raw
	if indexByte(raw, '\\') < 0 {
		s.Value = raw
	}
}

// The errors of members that are missing or not strings, made once: a
// scheme that has no timestamp or signature must not pay for them.
var (
	errCreatedMissing        = securityCtxError("timestamp.created is missing or not a string")
	errExpiresMissing        = securityCtxError("timestamp.expires is missing or not a string")
	errSignatureValueMissing = securityCtxError("signature.value is missing or not a string")
)

// securityCtxError returns an error matching ErrSecurityCtxInvalid.
func securityCtxError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrSecurityCtxInvalid}, args...)...)
}

// parseDateTime reads a vAPI DateTime: exactly YYYY-MM-DDTHH:MM:SS.mmmZ
// (spec §7.3) in the raw text, non-lenient (no month 13, no February 30).
func parseDateTime(s *CtxString, name string) (time.Time, error) {
	if !s.IsString() {
		if name == "created" {
			return time.Time{}, errCreatedMissing
		}
		return time.Time{}, errExpiresMissing
	}
	raw := s.Raw
	const layout = "dddd-dd-ddTdd:dd:dd.dddZ"
	bad := len(raw) != len(layout)
	for i := 0; !bad && i < len(layout); i++ {
		if layout[i] == 'd' {
			bad = raw[i] < '0' || raw[i] > '9'
		} else {
			bad = raw[i] != layout[i]
		}
	}
	if bad {
		return time.Time{}, securityCtxError("timestamp.%s %.40q is not YYYY-MM-DDTHH:MM:SS.mmmZ", name, raw)
	}
	num := func(i, n int) int {
		x := 0
		for _, c := range raw[i : i+n] {
			x = x*10 + int(c-'0')
		}
		return x
	}
	y, mo, d, h, mi, sec, ms := num(0, 4), num(5, 2), num(8, 2), num(11, 2), num(14, 2), num(17, 2), num(20, 3)
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ms*int(time.Millisecond), time.UTC)
	if t.Year() != y || int(t.Month()) != mo || t.Day() != d || t.Hour() != h || t.Minute() != mi || t.Second() != sec {
		return time.Time{}, securityCtxError("timestamp.%s %.40q is not a valid date", name, raw)
	}
	return t, nil
}

// decodeSignatureValue appends the decoded signature.value to dst (DESIGN
// Q17): a JSON string of standard base64, padding optional, CR, LF and
// space ignored (Java's commons-codec chunks at 76 columns); nothing else
// (no URL-safe alphabet). On error dst is returned unchanged.
func decodeSignatureValue(dst []byte, val *CtxString) ([]byte, error) {
	if !val.IsString() {
		return dst, errSignatureValueMissing
	}
	if len(val.Value) > maxSignatureText {
		return dst, securityCtxError("signature.value too long")
	}
	// Drop CR, LF and space, in a copy: Value may be the body itself.
	var tmp [maxSignatureText]byte
	n := 0
	for _, c := range val.Value {
		if c != '\r' && c != '\n' && c != ' ' {
			tmp[n] = c
			n++
		}
	}
	s := tmp[:n]
	pad := 0
	for pad < 2 && len(s) > 0 && s[len(s)-1] == '=' {
		s = s[:len(s)-1]
		pad++
	}
	if pad > 0 && (len(s)+pad)%4 != 0 {
		return dst, securityCtxError("signature.value has wrong padding")
	}
	out, err := base64RawStd.AppendDecode(dst, s)
	if err != nil || len(out) == len(dst) {
		return dst, securityCtxError("signature.value is not base64")
	}
	return out, nil
}
