package parser

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxSignTokenSize is the default limit on the decoded (gunzipped)
// size of a SIGN token, in bytes. Real SAML assertions are a few KiB (the
// vcf-sdk-java HoK token is 6659 bytes).
const DefaultMaxSignTokenSize = 256 << 10

// maxSignTokenLimit caps the limit DecodeSignToken accepts, so that the
// derived encoded-length bound cannot overflow.
const maxSignTokenLimit = 1 << 30

// gzipMagic starts every gzip member (RFC 1952 §2.3.1).
const gzipMagic = "\x1f\x8b"

// DecodeSignToken decodes the token parameter of a SIGN header: strict
// standard base64 with padding (ErrTokenBase64), then gzip (RFC 1952,
// ErrTokenGzip). It returns the token bytes (the SAML Assertion XML) without
// looking at them. maxDecoded bounds the decoded size; zero or less means
// DefaultMaxSignTokenSize, values above 1 GiB are treated as 1 GiB.
//
// The work is bounded before it is done (DESIGN §7 rule 1):
//
//  1. the encoded length is checked first: a token longer than the base64 of
//     maxDecoded bytes plus the worst-case gzip overhead is refused before
//     decoding (ErrTokenTooLarge);
//  2. base64 decoding (ErrTokenBase64; an empty token gives
//     ErrSignMissingToken);
//  3. gunzip with a hard output limit: decompression stops as soon as the
//     output would exceed maxDecoded, so a gzip bomb costs at most
//     maxDecoded bytes (ErrTokenTooLarge);
//  4. exactly one gzip member, read to its end so that its CRC-32 and length
//     are checked; a second member gives ErrTokenMultipleMembers, any other
//     byte after the member ErrTokenTrailingData.
//
// Every error matches ErrMalformed.
func DecodeSignToken(token string, maxDecoded int) ([]byte, error) {
	if maxDecoded <= 0 {
		maxDecoded = DefaultMaxSignTokenSize
	}
	maxDecoded = min(maxDecoded, maxSignTokenLimit)

	// 1. Encoded length. Deflate's worst case is stored blocks (5 bytes per
	// 65535), gzip adds a header and trailer (18 bytes and optional
	// fields): maxDecoded/1024 + 1 KiB is ample for any real encoder.
	maxCompressed := maxDecoded + maxDecoded/1024 + 1024
	if maxEncoded := (maxCompressed + 2) / 3 * 4; len(token) > maxEncoded {
		return nil, fmt.Errorf("%w: %d encoded bytes (limit %d)", ErrTokenTooLarge, len(token), maxEncoded)
	}

	// 2. Base64.
	if token == "" {
		return nil, ErrSignMissingToken
	}
	raw := make([]byte, len(token)/4*3)
	n, ok := decodeStdBase64(raw, token)
	if !ok {
		return nil, ErrTokenBase64
	}
	raw = raw[:n]

	// 3. Gunzip, one member, bounded output.
	br := bytes.NewReader(raw) // an io.ByteReader: flate reads no further than the member
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTokenGzip, err)
	}
	zr.Multistream(false)
	out := make([]byte, 0, sizeHint(raw, maxDecoded))
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		n, err := zr.Read(out[len(out):min(cap(out), maxDecoded+1)])
		out = out[:len(out)+n]
		if len(out) > maxDecoded {
			return nil, fmt.Errorf("%w: more than %d decoded bytes", ErrTokenTooLarge, maxDecoded)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrTokenGzip, err)
		}
	}

	// 4. Nothing after the member.
	if rest := br.Len(); rest > 0 {
		if bytes.HasPrefix(raw[len(raw)-rest:], []byte(gzipMagic)) {
			return nil, ErrTokenMultipleMembers
		}
		return nil, fmt.Errorf("%w: %d bytes", ErrTokenTrailingData, rest)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: the token decodes to nothing", ErrSignMissingToken)
	}
	return out, nil
}

// sizeHint returns the capacity to start the output buffer with: the
// uncompressed size the gzip trailer announces (ISIZE, RFC 1952 §2.3.1),
// capped by the limit and by deflate's largest ratio (1032:1) so that a lying
// trailer cannot make us allocate more than the input can produce; the
// result is at most maxDecoded+1 so that one read past the limit is possible.
func sizeHint(raw []byte, maxDecoded int) int {
	if len(raw) < 18 {
		return 512
	}
	hint := int(binary.LittleEndian.Uint32(raw[len(raw)-4:]))
	hint = min(hint, len(raw)*1032, maxDecoded)
	return hint + 1
}
