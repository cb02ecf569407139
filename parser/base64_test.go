package parser

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func TestDecodeStdBase64(t *testing.T) {
	tests := []struct {
		name     string
		givenIn  string
		expectOK bool
		expect   string
	}{
		{name: "ok, empty", givenIn: "", expectOK: true, expect: ""},
		{name: "ok, one byte", givenIn: "YQ==", expectOK: true, expect: "a"},
		{name: "ok, two bytes", givenIn: "YWI=", expectOK: true, expect: "ab"},
		{name: "ok, three bytes", givenIn: "YWJj", expectOK: true, expect: "abc"},
		{name: "ok, all alphabet", givenIn: "+/+/", expectOK: true, expect: "\xfb\xff\xbf"},
		{name: "nok, missing padding", givenIn: "YQ"},
		{name: "nok, one pad where two are needed", givenIn: "YQ="},
		{name: "nok, padding in the middle", givenIn: "YQ==YWJj"},
		{name: "nok, pad then data", givenIn: "YQ=j"},
		{name: "nok, three pads", givenIn: "Y==="},
		{name: "nok, all pads", givenIn: "===="},
		{name: "nok, unused bits set, one byte", givenIn: "YR=="},
		{name: "nok, unused bits set, two bytes", givenIn: "YWJ="},
		{name: "nok, CRLF", givenIn: "YW\r\nJj"},
		{name: "nok, URL alphabet", givenIn: "-_-_"},
		{name: "nok, space", givenIn: "YW Jj"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]byte, len(tc.givenIn)/4*3)
			n, ok := decodeStdBase64(dst, tc.givenIn)
			if ok != tc.expectOK {
				t.Fatalf("ok = %v, expected %v", ok, tc.expectOK)
			}
			if ok && string(dst[:n]) != tc.expect {
				t.Fatalf("decoded %q, expected %q", dst[:n], tc.expect)
			}
		})
	}
}

// FuzzDecodeStdBase64 checks the decoder against encoding/base64 in strict
// mode, which differs only in ignoring CR and LF.
func FuzzDecodeStdBase64(f *testing.F) {
	for _, s := range []string{"", "YQ==", "YR==", "YWI=", "YWJj", "YQ\n==", "====", "+/+/"} {
		f.Add(s)
	}
	strict := base64.StdEncoding.Strict()
	f.Fuzz(func(t *testing.T, s string) {
		dst := make([]byte, len(s)/4*3)
		n, ok := decodeStdBase64(dst, s)
		want, err := strict.DecodeString(s)
		wantOK := err == nil && !strings.ContainsAny(s, "\r\n")
		if ok != wantOK {
			t.Fatalf("%q: ok = %v, encoding/base64 says %v (%v)", s, ok, wantOK, err)
		}
		if ok && !bytes.Equal(dst[:n], want) {
			t.Fatalf("%q: decoded %x, encoding/base64 %x", s, dst[:n], want)
		}
	})
}
