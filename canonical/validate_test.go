package canonical

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// validateConfigs are the configurations the differential checks of
// Validate and AppendIfDropped run in: every profile, with and without the
// JSON-RPC signature path dropped, with small limits so that the fuzzer
// reaches them.
func validateConfigs(tb testing.TB) []*Canonicalizer {
	tb.Helper()
	var cs []*Canonicalizer
	for _, p := range allProfiles {
		for _, opts := range [][]Option{
			{WithProfile(p), WithMaxDepth(16), WithMaxSize(1 << 16)},
			{WithProfile(p), WithMaxDepth(16), WithMaxSize(1 << 16), WithoutMember("params", "ctx", "securityCtx", "signature")},
		} {
			c, err := New(opts...)
			if err != nil {
				tb.Fatal(err)
			}
			cs = append(cs, c)
		}
	}
	return cs
}

// checkValidateAgrees is the differential oracle: Validate accepts src
// exactly when AppendResult does, with the same error (sentinel, offset and
// detail) and the same dropped member; AppendIfDropped returns AppendResult's
// canonical bytes when the member is present and dst untouched otherwise.
func checkValidateAgrees(t *testing.T, c *Canonicalizer, src []byte) {
	t.Helper()
	want, wantErr := c.AppendResult([]byte("dst:"), src)
	got, gotErr := c.Validate(src)
	if !sameInputError(wantErr, gotErr) {
		t.Fatalf("profile %v drop %v: Validate error %v, AppendResult error %v\ninput %q", c.cfg.profile, c.cfg.drop, gotErr, wantErr, src)
	}
	if got.Canonical != nil {
		t.Fatalf("Validate returned output %q", got.Canonical)
	}
	if got.Dropped != want.Dropped || !bytes.Equal(got.DroppedValue, want.DroppedValue) {
		t.Fatalf("Validate dropped %v %q, AppendResult %v %q", got.Dropped, got.DroppedValue, want.Dropped, want.DroppedValue)
	}
	lazy, lazyErr := c.AppendIfDropped([]byte("dst:"), src)
	if !sameInputError(wantErr, lazyErr) {
		t.Fatalf("profile %v drop %v: AppendIfDropped error %v, AppendResult error %v\ninput %q", c.cfg.profile, c.cfg.drop, lazyErr, wantErr, src)
	}
	if lazy.Dropped != want.Dropped || !bytes.Equal(lazy.DroppedValue, want.DroppedValue) {
		t.Fatalf("AppendIfDropped dropped %v %q, AppendResult %v %q", lazy.Dropped, lazy.DroppedValue, want.Dropped, want.DroppedValue)
	}
	expect := []byte("dst:")
	if want.Dropped {
		expect = want.Canonical
	}
	if !bytes.Equal(lazy.Canonical, expect) {
		t.Fatalf("AppendIfDropped output %q, want %q", lazy.Canonical, expect)
	}
}

// sameInputError reports whether a and b are both nil or equal
// *InputErrors.
func sameInputError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var ea, eb *InputError
	return errors.As(a, &ea) && errors.As(b, &eb) && reflect.DeepEqual(*ea, *eb)
}

// TestValidateRejectsWhatCanonicalizeRejects: each rule of the
// canonicalizer holds in the validating pass too, with the same error.
func TestValidateRejectsWhatCanonicalizeRejects(t *testing.T) {
	for _, tc := range []struct {
		name        string
		givenInput  string
		expectError error
	}{
		{"duplicate member", `{"a":1,"b":2,"a":3}`, ErrDuplicateMember},
		{"duplicate member after unescaping", `{"a":1,"\u0061":2}`, ErrDuplicateMember},
		{"duplicate member out of order", `{"b":1,"a":2,"b":3}`, ErrDuplicateMember},
		{"duplicate dropped member", `{"params":{"ctx":{"securityCtx":{"signature":1,"signature":2}}}}`, ErrDuplicateMember},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", ErrInvalidUTF8},
		{"raw surrogate", "[\"\xed\xa0\x80\"]", ErrLoneSurrogate},
		{"escaped lone surrogate", `["\ud800"]`, ErrLoneSurrogate},
		{"trailing data", `{} {}`, ErrTrailingData},
		{"too deep", strings.Repeat("[", 17) + strings.Repeat("]", 17), ErrTooDeep},
		{"too large", `"` + strings.Repeat("a", 1<<16) + `"`, ErrTooLarge},
		{"bad number", `[01]`, ErrSyntax},
		{"number out of range", `[1e400]`, ErrNumberOutOfRange},
		{"control character", "[\"\x01\"]", ErrSyntax},
		{"empty", ``, ErrSyntax},
		{"accepted", `{"b":[1.5,"\u00e9",{"y":null,"x":true}],"a":-0}`, nil},
	} {
		for _, c := range validateConfigs(t) {
			_, err := c.Validate([]byte(tc.givenInput))
			if tc.expectError == nil {
				if err != nil {
					t.Errorf("%s (%v): %v", tc.name, c.cfg.profile, err)
				}
			} else if !errors.Is(err, tc.expectError) {
				// 1e400 is out of range in the Java profile only (the
				// others write it out); checkValidateAgrees covers them.
				if !(tc.expectError == ErrNumberOutOfRange && c.cfg.profile != Java) {
					t.Errorf("%s (%v): %v, want %v", tc.name, c.cfg.profile, err, tc.expectError)
				}
			}
			checkValidateAgrees(t, c, []byte(tc.givenInput))
		}
	}
}

// TestAppendIfDroppedCanonicalizesOnlySignedBodies: the canonical form is
// built when the signature is present, wherever it is in the body, and not
// otherwise.
func TestAppendIfDroppedCanonicalizesOnlySignedBodies(t *testing.T) {
	c, err := New(WithoutMember("params", "ctx", "securityCtx", "signature"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		givenInput   string
		expectOutput string
	}{
		{"no signature", `{"params":{"ctx":{"securityCtx":{"sessionId":"s"}}},"id":1}`, ""},
		{"signature elsewhere", `{"params":{"input":{"signature":1}},"signature":2}`, ""},
		{"signature first", `{"params":{"ctx":{"securityCtx":{"signature":{"v":1},"b":2,"a":1}}},"id":1}`, `{"id":1,"params":{"ctx":{"securityCtx":{"a":1,"b":2}}}}`},
		{"signature last", `{"z":[1.0,2],"params":{"ctx":{"securityCtx":{"b":2,"signature":"x"}}}}`, `{"params":{"ctx":{"securityCtx":{"b":2}}},"z":[1.0E0,2]}`},
	} {
		res, err := c.AppendIfDropped(nil, []byte(tc.givenInput))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(res.Canonical) != tc.expectOutput || res.Dropped != (tc.expectOutput != "") {
			t.Errorf("%s: %q dropped %v, want %q", tc.name, res.Canonical, res.Dropped, tc.expectOutput)
		}
	}
}

// FuzzValidateMatchesCanonicalize is the differential check of the
// validating pass against the canonicalizer, in every profile, with and
// without the signature path dropped: same acceptance, same error, same
// dropped member; AppendIfDropped's output is AppendResult's or nothing.
func FuzzValidateMatchesCanonicalize(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/input/*.json")
	seeds = append(seeds, "testdata/signed/signed-request-RS256.json")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{"～":1,"😀":2,"a":{"ｙ":[{"𝄞":0,"ｙ":1,"z":{"\uff5e":[],"\ud83d\ude00":{}}}]}}`,
		`{"a":1,"a":2}`, `{"b":1,"a":2,"b":3}`, `[1e400, 0.1, 1E+2, 1e21, -0.0]`, "{\"\xed\xa0\x80\":1}", `"\ud800"`,
		`{"params":{"ctx":{"securityCtx":{"signature":{"v":1},"schemeId":"x"}}}}`,
		`{"params":{"ctx":{"securityCtx":{"b":1,"signature":2,"a":[{"signature":3}]}}},"signature":4}`,
		`{"params":{"ctx":{"securityCtx":{"signature":1,"signature":2}}}}`,
		`{"params":{"ctx":{"securityCtx":{"\u0073ignature":1,"x":1e999}}}}`,
	} {
		f.Add([]byte(s))
	}
	cs := validateConfigs(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, c := range cs {
			checkValidateAgrees(t, c, src)
		}
	})
}

// BenchmarkValidate times Validate and Append on the same JSON-RPC body
// alternately in one loop and reports Validate's time as a fraction of
// Append's ("x-append"): what an unsigned body saves by being validated
// rather than canonicalized. Not a bar; vapisec bench measures those.
func BenchmarkValidate(b *testing.B) {
	for _, tc := range []struct {
		name      string
		withToken bool
	}{{"1KiB", false}, {"1KiB+token", true}} {
		b.Run(tc.name, func(b *testing.B) {
			body := jsonRPCBody(b, 1<<10, tc.withToken)
			c, err := New(WithoutMember("params", "ctx", "securityCtx", "signature"))
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 0, 2*len(body))
			var tv, ta time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := c.Validate(body); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := c.Append(buf[:0], body); err != nil {
					b.Fatal(err)
				}
				tv, ta = tv+t1.Sub(t0), ta+time.Since(t1)
			}
			b.ReportMetric(float64(tv)/float64(ta), "x-append")
		})
	}
}

// TestMalformedTokenInsideTheDroppedSignatureIsStillRefused: the dropped
// signature (the SAML token) is checked without being written, but every
// rule still holds inside it, so a token that one runtime reads differently
// from another (a duplicate samlToken, invalid UTF-8, a lone surrogate, a
// raw control character, an out-of-range number) cannot ride past the
// canonicalizer.
func TestMalformedTokenInsideTheDroppedSignatureIsStillRefused(t *testing.T) {
	c, err := New(WithoutMember("params", "ctx", "securityCtx", "signature"))
	if err != nil {
		t.Fatal(err)
	}
	const head = `{"params":{"ctx":{"securityCtx":{"schemeId":"x","signature":{"alg":"RS256",`
	for _, tc := range []struct {
		name        string
		givenInput  string
		expectError error
	}{
		{"two tokens", head + `"samlToken":"<a/>","samlToken":"<b/>"}}}}}`, ErrDuplicateMember},
		{"two tokens, one escaped", head + `"samlToken":"<a/>","saml\u0054oken":"<b/>"}}}}}`, ErrDuplicateMember},
		{"invalid UTF-8", head + "\"samlToken\":\"<a b=\\\"\xff\\\"/>\"}}}}}", ErrInvalidUTF8},
		{"lone surrogate", head + `"samlToken":"<a b=\"\ud800\"/>"}}}}}`, ErrLoneSurrogate},
		{"control character", head + "\"samlToken\":\"<a>\x00</a>\"}}}}}", ErrSyntax},
		{"number out of range", head + `"samlToken":"<a/>","n":1e999}}}}}`, ErrNumberOutOfRange},
		{"too deep", head + `"samlToken":` + strings.Repeat("[", DefaultMaxDepth) + strings.Repeat("]", DefaultMaxDepth) + `}}}}}`, ErrTooDeep},
	} {
		for name, run := range map[string]func() error{
			"AppendResult":    func() error { _, err := c.AppendResult(nil, []byte(tc.givenInput)); return err },
			"AppendIfDropped": func() error { _, err := c.AppendIfDropped(nil, []byte(tc.givenInput)); return err },
		} {
			if err := run(); !errors.Is(err, tc.expectError) {
				t.Errorf("%s, %s: %v, want %v", tc.name, name, err, tc.expectError)
			}
		}
	}
}
