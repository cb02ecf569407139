package verifier

import "encoding/base64"

// base64Std is strict standard base64 with padding.
var base64Std = base64.StdEncoding.Strict()

// decodeBase64String decodes s (strict standard base64 with padding) into
// dst without allocating; it reports false for bad input or when dst or the
// scratch space is too small (s longer than 2048 bytes).
func decodeBase64String(dst []byte, s string) (int, bool) {
	var tmp [2048]byte
	if len(s) > len(tmp) || base64Std.DecodedLen(len(s)) > len(dst) {
		return 0, false
	}
	n := copy(tmp[:], s)
	m, err := base64Std.Decode(dst, tmp[:n])
	return m, err == nil
}
