package parser

import (
	"strings"
	"testing"
)

// visibleASCIIBytewise is the definition visibleASCII's word-at-a-time
// loop must agree with.
func visibleASCIIBytewise(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// TestVisibleASCIIEveryByteEveryPosition: every byte value at every
// position of a word and of the tail, in strings of every length up to 17.
func TestVisibleASCIIEveryByteEveryPosition(t *testing.T) {
	for n := 0; n <= 17; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := []byte(strings.Repeat("a", n))
				b[pos] = byte(c)
				if got, want := visibleASCII(string(b)), visibleASCIIBytewise(string(b)); got != want {
					t.Fatalf("len %d, byte %#x at %d: %v, want %v", n, c, pos, got, want)
				}
			}
		}
	}
}

// FuzzVisibleASCII: a differential check against the byte-wise definition.
func FuzzVisibleASCII(f *testing.F) {
	for _, s := range []string{"", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "abcdefg\x7f", "abcdefgh\x80", "~~~~~~~~!!!!!!!! "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := visibleASCII(s), visibleASCIIBytewise(s); got != want {
			t.Fatalf("%q: %v, want %v", s, got, want)
		}
	})
}
