package canonical

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// pythonZeroExponent matches a zero with a non-zero exponent in Python
// output, the one form that profile does not reproduce idempotently
// (Python: 0.0E5 → 0.0E4).
var pythonZeroExponent = regexp.MustCompile(`(^|[^0-9.])-?0\.0E-?[1-9]`)

// FuzzCanonicalize asserts, for every profile: no panic; accepted input
// gives valid UTF-8 JSON that encoding/json also accepts on the input;
// canonicalization is idempotent; input and output decode (UseNumber) to
// the same tree up to number format; and every object of the output lists
// its members in strictly increasing order of the profile (UTF-16 code
// units for Java, code points for GoSDK and Python), read in document
// order with json.Decoder tokens — the tree comparison cannot see order.
func FuzzCanonicalize(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/input/*.json")
	seeds = append(seeds, "testdata/signed/signed-request-RS256.json")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		// Names whose UTF-16 order differs from their code-point order.
		`{"～":1,"😀":2,"a":{"ｙ":[{"𝄞":0,"ｙ":1,"z":{"\uff5e":[],"\ud83d\ude00":{}}}]}}`,
		`{"a":[1,2.5,-0,"\u00e9\ud83d\ude00"],"A":{"z":null,"y":true}}`, `"\ud800"`, `{"a":1,"a":2}`, `[1e400, 0.1, 1E+2]`, "{\"\xed\xa0\x80\":1}"} {
		f.Add([]byte(s))
	}
	var cs []*Canonicalizer
	for _, p := range allProfiles {
		c, err := New(WithProfile(p), WithMaxDepth(64))
		if err != nil {
			f.Fatal(err)
		}
		cs = append(cs, c)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, c := range cs {
			out, err := c.Canonicalize(src)
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("%v: error %v does not match ErrInvalid", c.Profile(), err)
				}
				continue
			}
			if !json.Valid(src) {
				t.Fatalf("%v: accepted what encoding/json rejects: %q", c.Profile(), src)
			}
			if !json.Valid(out) || !utf8.Valid(out) {
				t.Fatalf("%v: invalid output %q for %q", c.Profile(), out, src)
			}
			again, err := c.Canonicalize(out)
			if err != nil {
				t.Fatalf("%v: output rejected: %v\nin  %q\nout %q", c.Profile(), err, src, out)
			}
			if !bytes.Equal(again, out) && !(c.Profile() == Python && pythonZeroExponent.Match(out)) {
				t.Fatalf("%v: not idempotent\nin  %q\nout %q\nout2 %q", c.Profile(), src, out, again)
			}
			a, b := decodeTree(t, src), decodeTree(t, out)
			if !sameTree(a, b) {
				t.Fatalf("%v: trees differ\nin  %q\nout %q", c.Profile(), src, out)
			}
			if err := checkMemberOrder(c.Profile(), out); err != nil {
				t.Fatalf("%v: %v\nin  %q\nout %q", c.Profile(), err, src, out)
			}
		}
	})
}

func decodeTree(t *testing.T, b []byte) any {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

// sameTree compares decoded trees, numbers by exact value. The Java profile
// rounds non-integers to float64, so a non-integer literal there is
// compared as float64 first.
func sameTree(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !sameTree(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameTree(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		return ok && sameNumber(string(x), string(y))
	}
	return reflect.DeepEqual(a, b)
}

func sameNumber(a, b string) bool {
	if normNumber(a) == normNumber(b) {
		return true
	}
	// Java: the literal was rounded to float64 (possibly to zero).
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	return errA == nil && errB == nil && x == y
}

// normNumber returns a JSON number's exact value as "sign digits e exp"
// with no leading or trailing zeros in digits, without big arithmetic (the
// fuzzer produces huge exponents).
func normNumber(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, exp, _ := strings.Cut(strings.ToLower(s), "e")
	e := new(big.Int)
	if exp != "" {
		e.SetString(strings.TrimPrefix(exp, "+"), 10)
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	e.Sub(e, big.NewInt(int64(len(frac))))
	trimmed := strings.TrimRight(digits, "0")
	e.Add(e, big.NewInt(int64(len(digits)-len(trimmed))))
	if trimmed == "" {
		return "0"
	}
	sign := ""
	if neg {
		sign = "-"
	}
	return sign + trimmed + "e" + e.String()
}

// FuzzWithoutMember asserts that dropping a member at a fixed path never
// panics, and that the output equals the canonical form of the input with
// that member deleted from the decoded tree.
func FuzzWithoutMember(f *testing.F) {
	for _, s := range []string{
		`{"params":{"ctx":{"securityCtx":{"signature":{"v":1},"schemeId":"x"}}}}`,
		`{"params":{"ctx":{"securityCtx":{"b":1,"signature":2,"a":[{"signature":3}]}}},"signature":4}`,
		`[{"params":{}}]`,
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile("testdata/signed/signed-request-RS384.json"); err == nil {
		f.Add(b)
	}
	drop, err := New(WithProfile(GoSDK), WithoutMember("params", "ctx", "securityCtx", "signature"))
	if err != nil {
		f.Fatal(err)
	}
	plain, err := New(WithProfile(GoSDK))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := drop.AppendResult(nil, src)
		full, errFull := plain.Canonicalize(src)
		if (err == nil) != (errFull == nil) {
			t.Fatalf("drop %v, plain %v", err, errFull)
		}
		if err != nil {
			return
		}
		if !res.Dropped {
			if res.DroppedValue != nil || !bytes.Equal(res.Canonical, full) {
				t.Fatalf("nothing dropped but output differs:\n%q\n%q", res.Canonical, full)
			}
			return
		}
		if !json.Valid(res.DroppedValue) {
			t.Fatalf("dropped value %q is not JSON", res.DroppedValue)
		}
		tree := decodeTree(t, full).(map[string]any)
		sc := tree["params"].(map[string]any)["ctx"].(map[string]any)["securityCtx"].(map[string]any)
		delete(sc, "signature")
		if !sameTree(tree, decodeTree(t, res.Canonical)) {
			t.Fatalf("output is not the input without the member:\n%q\n%q", src, res.Canonical)
		}
	})
}

// checkMemberOrder reads canonical output token by token (json.Decoder
// keeps document order, unlike a decode into maps) and reports the first
// object whose member names are not strictly increasing in p's order. The
// comparison is written here from the definitions, independently of the
// package's own: Java compares the UTF-16 encodings (String.compareTo),
// GoSDK and Python compare code points.
func checkMemberOrder(p Profile, out []byte) error {
	less := func(a, b string) bool { return slices.Compare([]rune(a), []rune(b)) < 0 }
	if p == Java {
		less = func(a, b string) bool {
			return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b))) < 0
		}
	}
	d := json.NewDecoder(bytes.NewReader(out))
	d.UseNumber()
	// One frame per open object or array: the last member name seen in an
	// object (nil before its first), and whether the next string in it is a
	// name. Depth is bounded by the canonicalizer's WithMaxDepth.
	type frame struct {
		object, wantName bool
		last             *string
	}
	var stack []frame
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if len(stack) != 0 {
				return fmt.Errorf("unterminated output")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("tokens: %w", err)
		}
		top := len(stack) - 1
		if delim, ok := tok.(json.Delim); ok {
			switch delim {
			case '{', '[':
				if top >= 0 && stack[top].object {
					stack[top].wantName = true
				}
				stack = append(stack, frame{object: delim == '{', wantName: delim == '{'})
			default:
				stack = stack[:top]
				if top > 0 && stack[top-1].object {
					stack[top-1].wantName = true
				}
			}
			continue
		}
		if top < 0 || !stack[top].object {
			continue
		}
		if !stack[top].wantName {
			stack[top].wantName = true // a scalar member value
			continue
		}
		name, ok := tok.(string)
		if !ok {
			return fmt.Errorf("member name token %v is not a string", tok)
		}
		if last := stack[top].last; last != nil && !less(*last, name) {
			return fmt.Errorf("members out of %v order: %q before %q", p, *last, name)
		}
		stack[top].last = &name
		stack[top].wantName = false
	}
}

// TestCheckMemberOrder: the fuzz oracle's order check tells the profiles'
// orders apart and sees objects at any depth, so FuzzCanonicalize fails on
// a canonicalizer that sorts by the wrong order.
func TestCheckMemberOrder(t *testing.T) {
	tests := []struct {
		name         string
		givenProfile Profile
		givenOutput  string
		expectOK     bool
	}{
		{name: "ok, java, astral before U+FF5E", givenProfile: Java, givenOutput: `{"😀":2,"～":1}`, expectOK: true},
		{name: "nok, java, code-point order", givenProfile: Java, givenOutput: `{"～":1,"😀":2}`},
		{name: "ok, gosdk, code-point order", givenProfile: GoSDK, givenOutput: `{"～":1,"😀":2}`, expectOK: true},
		{name: "nok, gosdk, UTF-16 order", givenProfile: GoSDK, givenOutput: `{"😀":2,"～":1}`},
		{name: "nok, python, escaped UTF-16 order", givenProfile: Python, givenOutput: `{"\ud83d\ude00":2,"\uff5e":1}`},
		{name: "nok, java, nested in an array after a container value", givenProfile: Java, givenOutput: `{"a":{"b":[1]},"c":[{"x":1,"y":{"q":[]},"z":2},{"ｙ":0,"𝄞":1}]}`},
		{name: "ok, java, nested", givenProfile: Java, givenOutput: `{"a":{"b":[1]},"c":[{"x":1,"y":{"q":[]},"z":2},{"𝄞":1,"ｙ":0}]}`, expectOK: true},
		{name: "nok, duplicate name", givenProfile: Java, givenOutput: `{"a":1,"a":2}`},
		{name: "nok, value after a container member out of order", givenProfile: GoSDK, givenOutput: `{"b":{},"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkMemberOrder(tt.givenProfile, []byte(tt.givenOutput))
			if (err == nil) != tt.expectOK {
				t.Errorf("checkMemberOrder = %v, want ok %v", err, tt.expectOK)
			}
		})
	}
}
