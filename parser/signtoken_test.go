package parser

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// gzipRaw compresses data into one gzip member.
func gzipRaw(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func std64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestDecodeSignToken(t *testing.T) {
	xml := []byte(`<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1"/>`)
	member := gzipRaw(t, xml)
	bomb := gzipRaw(t, make([]byte, 4<<20)) // 4 MiB of zeros, a few KiB compressed
	corrupt := bytes.Clone(member)
	corrupt[len(corrupt)-5] ^= 0xff // CRC-32
	tests := []struct {
		name       string
		givenToken string
		givenMax   int
		expect     []byte
		expectErr  []error
	}{
		{name: "ok, one member", givenToken: std64(member), expect: xml},
		{name: "ok, exactly at the limit", givenToken: std64(member), givenMax: len(xml), expect: xml},
		{name: "nok, empty token", givenToken: "", expectErr: []error{ErrSignMissingToken, ErrMalformed}},
		{name: "nok, empty gzip member", givenToken: std64(gzipRaw(t, nil)), expectErr: []error{ErrSignMissingToken, ErrMalformed}},
		{name: "nok, one byte over the limit", givenToken: std64(member), givenMax: len(xml) - 1, expectErr: []error{ErrTokenTooLarge, ErrMalformed}},
		{name: "nok, gzip bomb (output over limit)", givenToken: std64(bomb), expectErr: []error{ErrTokenTooLarge, ErrMalformed}},
		{
			name:       "nok, encoded length over the limit before decoding",
			givenToken: strings.Repeat("!", (DefaultMaxSignTokenSize+DefaultMaxSignTokenSize/1024+1024)/3*4+8),
			expectErr:  []error{ErrTokenTooLarge, ErrMalformed},
		},
		{name: "nok, gzip trailing garbage", givenToken: std64(append(bytes.Clone(member), "garbage"...)), expectErr: []error{ErrTokenTrailingData, ErrMalformed}},
		{name: "nok, gzip trailing zero byte", givenToken: std64(append(bytes.Clone(member), 0)), expectErr: []error{ErrTokenTrailingData, ErrMalformed}},
		{name: "nok, two gzip members", givenToken: std64(append(bytes.Clone(member), member...)), expectErr: []error{ErrTokenMultipleMembers, ErrMalformed}},
		{name: "nok, missing padding", givenToken: strings.TrimRight(std64(member), "=") + "A", expectErr: []error{ErrTokenBase64, ErrMalformed}},
		{name: "nok, line breaks in base64", givenToken: std64(member)[:8] + "\r\n" + std64(member)[8:], expectErr: []error{ErrTokenBase64, ErrMalformed}},
		{name: "nok, URL-safe base64", givenToken: "-_-_" + std64(member), expectErr: []error{ErrTokenBase64, ErrMalformed}},
		{name: "nok, not gzip", givenToken: std64(xml), expectErr: []error{ErrTokenGzip, ErrMalformed}},
		{name: "nok, truncated gzip", givenToken: std64(member[:len(member)-6]), expectErr: []error{ErrTokenGzip, ErrMalformed}},
		{name: "nok, corrupt checksum", givenToken: std64(corrupt), expectErr: []error{ErrTokenGzip, ErrMalformed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeSignToken(tc.givenToken, tc.givenMax)
			checkErrs(t, err, tc.expectErr)
			if !bytes.Equal(got, tc.expect) {
				t.Errorf("decoded %q, expected %q", got, tc.expect)
			}
		})
	}
}

// TestDecodeSignToken_StoredBlocksAtLimit checks that the encoded-length
// bound leaves room for the least compressible real token: gzip with
// compression level 0 (stored blocks) of a limit-sized input.
func TestDecodeSignToken_StoredBlocksAtLimit(t *testing.T) {
	data := bytes.Repeat([]byte("x"), DefaultMaxSignTokenSize)
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.NoCompression)
	if err != nil {
		t.Fatal(err)
	}
	zw.Name = strings.Repeat("n", 200)
	zw.Comment = strings.Repeat("c", 200)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeSignToken(std64(buf.Bytes()), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("decoded data differs")
	}
}

func FuzzDecodeSignToken(f *testing.F) {
	// Small seeds keep mutation and minimization fast; the real token is
	// covered by TestParseSign_GovmomiFixture.
	xml := []byte(`<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1"/>`)
	member := gzipRaw(f, xml)
	f.Add(std64(member), 8000)
	f.Add(std64(member), 10)
	f.Add(std64(append(bytes.Clone(member), member...)), 20000)
	f.Add(std64(append(bytes.Clone(member), 1, 2, 3)), 20000)
	f.Add(std64(gzipRaw(f, make([]byte, 1<<16))), 1000)
	f.Add("H4sIAAAAAAAA/w==", 0)
	f.Fuzz(func(t *testing.T, token string, limit int) {
		limit %= 1 << 17
		got, err := DecodeSignToken(token, limit)
		if limit <= 0 {
			limit = DefaultMaxSignTokenSize
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) || got != nil {
				t.Fatalf("error %v with %d bytes", err, len(got))
			}
			return
		}
		if len(got) == 0 || len(got) > limit {
			t.Fatalf("decoded %d bytes, limit %d", len(got), limit)
		}
		// What we accept, encoding/base64 and compress/gzip read the same way.
		raw, err := base64.StdEncoding.DecodeString(token)
		if err != nil {
			t.Fatalf("encoding/base64 refuses an accepted token: %v", err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("compress/gzip refuses an accepted token: %v", err)
		}
		want, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("compress/gzip reads %d bytes (%v), we %d", len(want), err, len(got))
		}
	})
}

func BenchmarkDecodeSignToken(b *testing.B) {
	xml, err := os.ReadFile("../testdata/vcf-sdk-java/samlToken.xml")
	if err != nil {
		b.Fatal(err)
	}
	token := std64(gzipRaw(b, xml))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeSignToken(token, DefaultMaxSignTokenSize); err != nil {
			b.Fatal(err)
		}
	}
}
