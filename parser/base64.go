package parser

// decodeStdBase64 decodes s, standard base64 (RFC 4648 §4) with padding, into
// dst, which must have room for len(s)/4*3 bytes. It is strict where
// encoding/base64's StdEncoding is lenient: CR and LF are rejected like any
// other byte outside the alphabet, and the unused bits before the padding
// must be zero (so every byte string has exactly one accepted encoding). It
// reads the string in place, without converting it to a []byte, and does not
// allocate. It reports false for any malformed input; an empty s decodes to
// nothing.
func decodeStdBase64(dst []byte, s string) (int, bool) {
	if len(s)%4 != 0 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i += 4 {
		a, okA := base64Value(s[i])
		b, okB := base64Value(s[i+1])
		if !okA || !okB {
			return 0, false
		}
		c3, c4 := s[i+2], s[i+3]
		if c4 == '=' {
			if i+4 != len(s) {
				return 0, false // padding before the end
			}
			if c3 == '=' {
				if b&0x0f != 0 {
					return 0, false // non-canonical: unused bits set
				}
				dst[n] = a<<2 | b>>4
				return n + 1, true
			}
			c, okC := base64Value(c3)
			if !okC || c&0x03 != 0 {
				return 0, false
			}
			dst[n] = a<<2 | b>>4
			dst[n+1] = b<<4 | c>>2
			return n + 2, true
		}
		c, okC := base64Value(c3)
		d, okD := base64Value(c4)
		if !okC || !okD {
			return 0, false
		}
		dst[n] = a<<2 | b>>4
		dst[n+1] = b<<4 | c>>2
		dst[n+2] = c<<6 | d
		n += 3
	}
	return n, true
}

// base64Value returns the 6-bit value of a character of the standard base64
// alphabet.
func base64Value(c byte) (byte, bool) {
	switch {
	case 'A' <= c && c <= 'Z':
		return c - 'A', true
	case 'a' <= c && c <= 'z':
		return c - 'a' + 26, true
	case '0' <= c && c <= '9':
		return c - '0' + 52, true
	case c == '+':
		return 62, true
	case c == '/':
		return 63, true
	}
	return 0, false
}
