package parser

import (
	"fmt"
	"net/http"
)

// SignHeader holds the parameter values of an "Authorization: SIGN" header
// (spec §8.1) exactly as sent: Token is still base64(gzip(XML)) (see
// DecodeSignToken), Signature and BodyHash still base64. Absent parameters
// are empty strings. Nothing in it has been verified.
type SignHeader struct {
	// Token is the token parameter: base64(gzip(SAML Assertion XML)).
	Token string
	// SignatureAlg is the signature_alg parameter, e.g. "RSA-SHA256".
	SignatureAlg string
	// Signature is the signature parameter: base64 of the request signature.
	Signature string
	// Nonce is the nonce parameter, "<time>:<random>".
	Nonce string
	// BodyHash is the bodyhash parameter: base64(SHA-256(body)).
	BodyHash string
}

// IsHoK reports whether the header is a holder-of-key request signature,
// that is whether any of signature_alg, signature, nonce and bodyhash is
// present. A header with only a token is a bearer header. Whether a HoK
// header is complete is for the verifier to check.
func (s *SignHeader) IsHoK() bool {
	return s != nil && (s.SignatureAlg != "" || s.Signature != "" || s.Nonce != "" || s.BodyHash != "")
}

// signParamNames are the SIGN parameters, in govmomi's order.
const (
	signParamToken        = "token"
	signParamSignatureAlg = "signature_alg"
	signParamSignature    = "signature"
	signParamNonce        = "nonce"
	signParamBodyHash     = "bodyhash"
)

// ParseSign parses the "SIGN" credentials of the single Authorization header
// field of h. No Authorization field, or one whose scheme token (up to the
// first space) is not "SIGN" in any case, gives ErrAbsent; more than one
// field gives ErrMultipleAuthorization; the rest is ParseSignValue's. The
// scheme is compared as a whole token so that other schemes that start with
// the same letters (e.g. "Signature") are left to others.
func ParseSign(h http.Header) (*SignHeader, error) {
	v, err := authorization(h)
	if err != nil {
		return nil, err
	}
	scheme, params := splitScheme(v)
	if !equalFold(scheme, "sign") {
		return nil, ErrAbsent
	}
	return parseSignParams(params)
}

// ParseSignValue parses the parameter list of a SIGN header (spec §8.1),
// the part after "SIGN" and its spaces; a leading "SIGN " (any case) is
// skipped, so the whole header value is accepted too. The grammar is strict:
//
//	params = param *( OWS "," OWS param ) OWS
//	param  = name "=" DQUOTE value DQUOTE
//	value  = 1*( %x21 / %x23-2B / %x2D-5B / %x5D-7E )
//
// that is, values are always quoted, never escaped, and hold visible ASCII
// other than '"', ',' and '\' (base64 and nonces need none of them, and
// forbidding them leaves no room for parsers that split or unescape
// differently). There is no whitespace around '='. Names are matched
// case-insensitively (RFC 9110 §11.2) against the five that vCenter-compatible
// clients send: token, signature_alg, signature, nonce and bodyhash. Any
// other name is rejected (ErrSignUnknownParam) rather than ignored: the
// verifier could not honour a parameter it does not know, such as the
// HTTP MAC draft's "ext". A name given twice gives ErrSignDuplicateParam, a
// missing or empty token ErrSignMissingToken, everything else
// ErrSignSyntax.
//
// The returned fields share memory with value. Every error matches
// ErrMalformed.
func ParseSignValue(value string) (*SignHeader, error) {
	if hasPrefixFold(value, "sign") && len(value) > 4 && (value[4] == ' ' || value[4] == '\t') {
		value = value[5:] // a parameter name is always followed by '='
	}
	return parseSignParams(value)
}

// parseSignParams parses a SIGN parameter list (see ParseSignValue).
func parseSignParams(s string) (*SignHeader, error) {
	var sh SignHeader
	var seen uint8
	i := skipOWS(s, 0)
	if i == len(s) {
		return nil, fmt.Errorf("%w: no parameters", ErrSignSyntax)
	}
	for {
		start := i
		for i < len(s) && isTchar(s[i]) && s[i] != '=' {
			i++
		}
		if i == start {
			return nil, fmt.Errorf("%w: parameter name expected at offset %d", ErrSignSyntax, start)
		}
		name := s[start:i]
		if i == len(s) || s[i] != '=' {
			return nil, fmt.Errorf("%w: '=' expected after %.40q", ErrSignSyntax, name)
		}
		i++
		if i == len(s) || s[i] != '"' {
			return nil, fmt.Errorf("%w: unquoted value of %.40q", ErrSignSyntax, name)
		}
		i++
		vstart := i
		for i < len(s) && s[i] != '"' {
			if c := s[i]; c < 0x21 || c > 0x7e || c == ',' || c == '\\' {
				return nil, fmt.Errorf("%w: invalid character at offset %d in the value of %.40q", ErrSignSyntax, i, name)
			}
			i++
		}
		if i == len(s) {
			return nil, fmt.Errorf("%w: unterminated value of %.40q", ErrSignSyntax, name)
		}
		val := s[vstart:i]
		i++

		var field *string
		var bit uint8
		switch {
		case equalFold(name, signParamToken):
			field, bit = &sh.Token, 1
		case equalFold(name, signParamSignatureAlg):
			field, bit = &sh.SignatureAlg, 2
		case equalFold(name, signParamSignature):
			field, bit = &sh.Signature, 4
		case equalFold(name, signParamNonce):
			field, bit = &sh.Nonce, 8
		case equalFold(name, signParamBodyHash):
			field, bit = &sh.BodyHash, 16
		default:
			return nil, fmt.Errorf("%w: %.40q", ErrSignUnknownParam, name)
		}
		if seen&bit != 0 {
			return nil, fmt.Errorf("%w: %.40q", ErrSignDuplicateParam, name)
		}
		seen |= bit
		if val == "" {
			if bit == 1 {
				return nil, fmt.Errorf("%w: empty token", ErrSignMissingToken)
			}
			return nil, fmt.Errorf("%w: empty value of %.40q", ErrSignSyntax, name)
		}
		*field = val

		i = skipOWS(s, i)
		if i == len(s) {
			break
		}
		if s[i] != ',' {
			return nil, fmt.Errorf("%w: ',' expected at offset %d", ErrSignSyntax, i)
		}
		i = skipOWS(s, i+1)
		if i == len(s) {
			return nil, fmt.Errorf("%w: trailing ','", ErrSignSyntax)
		}
	}
	if sh.Token == "" {
		return nil, ErrSignMissingToken
	}
	return &sh, nil
}

// skipOWS returns the index of the first byte of s at or after i that is not
// a space or tab.
func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}
