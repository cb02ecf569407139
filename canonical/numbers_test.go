package canonical

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestPythonNumbers replays literals whose canonical form CPython produced
// with vapi_runtime's canonicalize_double (testdata/python-numbers.txt),
// including its 10^-n bug.
func TestPythonNumbers(t *testing.T) {
	f, err := os.Open("testdata/python-numbers.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := New(WithProfile(Python))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		lit, want, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		n++
		got, err := c.Canonicalize([]byte(lit))
		if err != nil || string(got) != want {
			t.Errorf("%s: got %s, %v; want %s", lit, got, err, want)
		}
	}
	if n < 300 {
		t.Fatalf("only %d vectors", n)
	}
}

func TestNumbers(t *testing.T) {
	tests := []struct {
		name         string
		givenLiteral string
		expectJava   string
		expectGoSDK  string
		expectPython string
	}{
		{name: "ok, zero integer", givenLiteral: "0", expectJava: "0", expectGoSDK: "0", expectPython: "0"},
		{name: "ok, negative integer", givenLiteral: "-17", expectJava: "-17", expectGoSDK: "-17", expectPython: "-17"},
		{name: "ok, long integer", givenLiteral: "-123456789012345678901234567890", expectJava: "-123456789012345678901234567890", expectGoSDK: "-123456789012345678901234567890", expectPython: "-123456789012345678901234567890"},
		{name: "ok, zero with exponent", givenLiteral: "0e5", expectJava: "0.0E0", expectGoSDK: "0", expectPython: "0.0E5"},
		{name: "ok, negative zero with exponent", givenLiteral: "-0.00E-9", expectJava: "-0.0E0", expectGoSDK: "0", expectPython: "-0.0E-11"},
		{name: "ok, vAPI double form", givenLiteral: "2.0E0", expectJava: "2.0E0", expectGoSDK: "2", expectPython: "2.0E0"},
		{name: "ok, integral with fraction digits", givenLiteral: "1.5e1", expectJava: "1.5E1", expectGoSDK: "15", expectPython: "1.5E1"},
		{name: "ok, 1e23 not exact in float64", givenLiteral: "1e23", expectJava: "1.0E23", expectGoSDK: "100000000000000000000000", expectPython: "1.0E23"},
		{name: "ok, max float64", givenLiteral: "1.7976931348623157e308", expectJava: "1.7976931348623157E308", expectGoSDK: "17976931348623157" + strings.Repeat("0", 292), expectPython: "1.7976931348623157E308"},
		{name: "ok, float rounding in java only", givenLiteral: "0.30000000000000001", expectJava: "3.0E-1", expectGoSDK: "3.0000000000000001E-1", expectPython: "3.0000000000000001E-1"},
		{name: "ok, python bug at 10^-6", givenLiteral: "0.000001", expectJava: "1.0E-6", expectGoSDK: "1.0E-6", expectPython: "10.0E-7"},
		{name: "ok, python no bug at 10^-7 (scientific str)", givenLiteral: "0.0000001", expectJava: "1.0E-7", expectGoSDK: "1.0E-7", expectPython: "1.0E-7"},
		{name: "ok, java two digits for subnormal", givenLiteral: "-5e-324", expectJava: "-4.9E-324", expectGoSDK: "-5.0E-324", expectPython: "-5.0E-324"},
		{name: "ok, negative exponent sign kept", givenLiteral: "-1.25E-10", expectJava: "-1.25E-10", expectGoSDK: "-1.25E-10", expectPython: "-1.25E-10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for p, want := range map[Profile]string{Java: tt.expectJava, GoSDK: tt.expectGoSDK, Python: tt.expectPython} {
				got, err := Canonicalize([]byte(tt.givenLiteral), WithProfile(p))
				if err != nil || string(got) != want {
					t.Errorf("%v: got %s, %v; want %s", p, got, err, want)
				}
			}
		})
	}
}
