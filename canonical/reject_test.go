package canonical

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestReject lists the named strictness rules; every case is checked in
// every profile.
func TestReject(t *testing.T) {
	deep := strings.Repeat("[", 129) + strings.Repeat("]", 129)
	tests := []struct {
		name       string
		givenInput string
		givenOpts  []Option
		expectErr  []error
	}{
		{name: "nok, duplicate member", givenInput: `{"a":1,"a":2}`, expectErr: []error{ErrDuplicateMember}},
		{name: "nok, duplicate member not adjacent", givenInput: `{"b":1,"a":2,"c":3,"a":4}`, expectErr: []error{ErrDuplicateMember}},
		{name: "nok, duplicate member hidden by escape", givenInput: `{"a":1,"\u0061":2}`, expectErr: []error{ErrDuplicateMember}},
		{name: "nok, duplicate member nested", givenInput: `{"x":[{"k":1,"k":1}]}`, expectErr: []error{ErrDuplicateMember}},
		{name: "nok, duplicate signature smuggled past drop", givenInput: `{"params":{"ctx":{"securityCtx":{"signature":{},"signature":{}}}}}`,
			givenOpts: []Option{WithoutMember("params", "ctx", "securityCtx", "signature")}, expectErr: []error{ErrDuplicateMember}},
		{name: "nok, invalid UTF-8 in string", givenInput: "{\"a\":\"\xff\"}", expectErr: []error{ErrInvalidUTF8}},
		{name: "nok, invalid UTF-8 in member name", givenInput: "{\"\xc3\x28\":1}", expectErr: []error{ErrInvalidUTF8}},
		{name: "nok, overlong UTF-8", givenInput: "\"\xc0\xaf\"", expectErr: []error{ErrInvalidUTF8}},
		{name: "nok, truncated UTF-8", givenInput: "\"\xe2\x82\"", expectErr: []error{ErrInvalidUTF8}},
		{name: "nok, lone high surrogate escaped", givenInput: `{"a":"\ud800"}`, expectErr: []error{ErrLoneSurrogate}},
		{name: "nok, lone low surrogate escaped", givenInput: `{"a":"\udc00x"}`, expectErr: []error{ErrLoneSurrogate}},
		{name: "nok, high surrogate followed by non-surrogate", givenInput: `"\ud83d\u0041"`, expectErr: []error{ErrLoneSurrogate}},
		{name: "nok, reversed surrogate pair", givenInput: `"\ude00\ud83d"`, expectErr: []error{ErrLoneSurrogate}},
		{name: "nok, lone surrogate in member name", givenInput: `{"\ud800":1}`, expectErr: []error{ErrLoneSurrogate}},
		{name: "nok, raw surrogate bytes (CESU-8)", givenInput: "\"\xed\xa0\xbd\xed\xb8\x80\"", expectErr: []error{ErrLoneSurrogate}},
		{name: "nok, trailing data", givenInput: `{"a":1}x`, expectErr: []error{ErrTrailingData}},
		{name: "nok, second document", givenInput: `{} {}`, expectErr: []error{ErrTrailingData}},
		{name: "nok, depth over default limit", givenInput: deep, expectErr: []error{ErrTooDeep}},
		{name: "nok, depth over configured limit", givenInput: `{"a":{"b":{}}}`, givenOpts: []Option{WithMaxDepth(2)}, expectErr: []error{ErrTooDeep}},
		{name: "nok, size over configured limit", givenInput: `{"a":"0123456789"}`, givenOpts: []Option{WithMaxSize(10)}, expectErr: []error{ErrTooLarge}},
		{name: "nok, empty input", givenInput: ``, expectErr: []error{ErrSyntax}},
		{name: "nok, only whitespace", givenInput: " \n\t", expectErr: []error{ErrSyntax}},
		{name: "nok, byte order mark", givenInput: "\ufeff{}", expectErr: []error{ErrSyntax}},
		{name: "nok, raw control character in string", givenInput: "\"a\tb\"", expectErr: []error{ErrSyntax}},
		{name: "nok, invalid escape", givenInput: `"\x41"`, expectErr: []error{ErrSyntax}},
		{name: "nok, short unicode escape", givenInput: `"\u12"`, expectErr: []error{ErrSyntax}},
		{name: "nok, unterminated string", givenInput: `{"a":"b`, expectErr: []error{ErrSyntax}},
		{name: "nok, missing colon", givenInput: `{"a" 1}`, expectErr: []error{ErrSyntax}},
		{name: "nok, trailing comma in object", givenInput: `{"a":1,}`, expectErr: []error{ErrSyntax}},
		{name: "nok, trailing comma in array", givenInput: `[1,]`, expectErr: []error{ErrSyntax}},
		{name: "nok, unquoted name", givenInput: `{a:1}`, expectErr: []error{ErrSyntax}},
		{name: "nok, single quotes", givenInput: `{'a':1}`, expectErr: []error{ErrSyntax}},
		{name: "nok, leading zero", givenInput: `[01]`, expectErr: []error{ErrSyntax}},
		{name: "nok, leading plus", givenInput: `[+1]`, expectErr: []error{ErrSyntax}},
		{name: "nok, bare fraction", givenInput: `[.5]`, expectErr: []error{ErrSyntax}},
		{name: "nok, empty fraction", givenInput: `[1.]`, expectErr: []error{ErrSyntax}},
		{name: "nok, empty exponent", givenInput: `[1e+]`, expectErr: []error{ErrSyntax}},
		{name: "nok, lone minus", givenInput: `[-]`, expectErr: []error{ErrSyntax}},
		{name: "nok, NaN", givenInput: `[NaN]`, expectErr: []error{ErrSyntax}},
		{name: "nok, Infinity", givenInput: `[-Infinity]`, expectErr: []error{ErrSyntax}},
		{name: "nok, truncated literal", givenInput: `[tru]`, expectErr: []error{ErrSyntax}},
		{name: "nok, comment", givenInput: `{/* c */}`, expectErr: []error{ErrSyntax}},
		{name: "nok, unclosed object", givenInput: `{"a":1`, expectErr: []error{ErrSyntax}},
		{name: "nok, unclosed array", givenInput: `[1,2`, expectErr: []error{ErrSyntax}},
		{name: "nok, exponent beyond any profile", givenInput: `[1e99999999999999999999]`, expectErr: []error{ErrNumberOutOfRange}},
	}
	for _, p := range allProfiles {
		for _, tt := range tests {
			t.Run(p.String()+"/"+tt.name, func(t *testing.T) {
				c, err := New(append([]Option{WithProfile(p)}, tt.givenOpts...)...)
				if err != nil {
					t.Fatal(err)
				}
				dst := []byte("prefix")
				got, err := c.Append(dst, []byte(tt.givenInput))
				if err == nil {
					t.Fatalf("accepted: %q", got)
				}
				if string(got) != "prefix" {
					t.Errorf("dst changed on error: %q", got)
				}
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("%v does not match ErrInvalid", err)
				}
				for _, want := range tt.expectErr {
					if !errors.Is(err, want) {
						t.Errorf("got %v, want %v", err, want)
					}
				}
				var ie *InputError
				if !errors.As(err, &ie) || ie.Offset < 0 || ie.Offset > len(tt.givenInput)+1 && !errors.Is(err, ErrTooLarge) {
					t.Errorf("no usable *InputError: %#v", err)
				}
			})
		}
	}
}

func TestRejectProfileSpecific(t *testing.T) {
	tests := []struct {
		name         string
		givenProfile Profile
		givenInput   string
		expectErr    []error
	}{
		{name: "nok, java, double overflow", givenProfile: Java, givenInput: `[1e400]`, expectErr: []error{ErrNumberOutOfRange}},
		{name: "nok, java, negative double overflow", givenProfile: Java, givenInput: `[-1.7976931348623159e308]`, expectErr: []error{ErrNumberOutOfRange}},
		{name: "nok, gosdk, integral expansion too long", givenProfile: GoSDK, givenInput: `[1e5000]`, expectErr: []error{ErrNumberOutOfRange}},
		{name: "nok, python, integer over 4300 digits", givenProfile: Python, givenInput: "[" + strings.Repeat("7", 4301) + "]", expectErr: []error{ErrNumberOutOfRange}},
		{name: "nok, python, inexact in python", givenProfile: Python, givenInput: `[12345678901234567890123.5]`, expectErr: []error{ErrNumberOutOfRange}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Canonicalize([]byte(tt.givenInput), WithProfile(tt.givenProfile))
			for _, want := range append(tt.expectErr, ErrInvalid) {
				if !errors.Is(err, want) {
					t.Errorf("got %v, want %v", err, want)
				}
			}
		})
	}
}

func TestDuplicateMemberMessage(t *testing.T) {
	long := strings.Repeat("A", 100)
	_, err := Canonicalize([]byte(`{"` + long + `":1,"` + long + `":2}`))
	if !errors.Is(err, ErrDuplicateMember) {
		t.Fatal(err)
	}
	want := `canonical: duplicate member "` + strings.Repeat("A", 40) + `" at offset 106`
	if err.Error() != want {
		t.Errorf("message\n got %s\nwant %s", err, want)
	}
}

func TestLimitsAccepted(t *testing.T) {
	tests := []struct {
		name       string
		givenInput string
		givenOpts  []Option
		expect     string
	}{
		{name: "ok, depth exactly default limit", givenInput: strings.Repeat("[", 128) + strings.Repeat("]", 128), expect: strings.Repeat("[", 128) + strings.Repeat("]", 128)},
		{name: "ok, depth exactly configured limit", givenInput: `{"a":{"b":1}}`, givenOpts: []Option{WithMaxDepth(2)}, expect: `{"a":{"b":1}}`},
		{name: "ok, size exactly at limit", givenInput: `{"a":1}`, givenOpts: []Option{WithMaxSize(7)}, expect: `{"a":1}`},
		{name: "ok, scalars at top level", givenInput: ` "x" `, expect: `"x"`},
		{name: "ok, underflow to zero", givenInput: `[1e-400]`, expect: `[0.0E0]`},
		{name: "ok, escaped solidus and NUL", givenInput: `"\/\u0000"`, expect: `"/\u0000"`},
		{name: "ok, escaped pair equals raw name", givenInput: `{"\ud83d\ude00":1,"a":2}`, expect: `{"a":2,"😀":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tt.givenInput), tt.givenOpts...)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.expect {
				t.Errorf("got %s want %s", got, tt.expect)
			}
		})
	}
}

func TestWithoutMember(t *testing.T) {
	path := WithoutMember("params", "ctx", "securityCtx", "signature")
	tests := []struct {
		name          string
		givenInput    string
		expect        string
		expectDropped string
	}{
		{name: "ok, dropped at the path, first member",
			givenInput:    `{"params":{"ctx":{"securityCtx":{"signature":{"v":1},"schemeId":"x"}}}}`,
			expect:        `{"params":{"ctx":{"securityCtx":{"schemeId":"x"}}}}`,
			expectDropped: `{"v":1}`},
		{name: "ok, dropped at the path, last member, unsorted",
			givenInput:    `{"params":{"ctx":{"securityCtx":{"z":1,"a":2,"signature" : [ 1 ] }}}}`,
			expect:        `{"params":{"ctx":{"securityCtx":{"a":2,"z":1}}}}`,
			expectDropped: `[ 1 ]`},
		{name: "ok, dropped, only member",
			givenInput:    `{"params":{"ctx":{"securityCtx":{"signature":"s"}}}}`,
			expect:        `{"params":{"ctx":{"securityCtx":{}}}}`,
			expectDropped: `"s"`},
		{name: "ok, same name elsewhere kept",
			givenInput: `{"signature":1,"params":{"signature":2,"ctx":{"signature":3,"securityCtx":{"x":{"signature":4}}}}}`,
			expect:     `{"params":{"ctx":{"securityCtx":{"x":{"signature":4}},"signature":3},"signature":2},"signature":1}`},
		{name: "ok, path through array never matches",
			givenInput: `[{"params":{"ctx":{"securityCtx":{"signature":1}}}}]`,
			expect:     `[{"params":{"ctx":{"securityCtx":{"signature":1}}}}]`},
		{name: "ok, escaped name on the path matches after unescaping",
			givenInput:    `{"par\u0061ms":{"ctx":{"securityCtx":{"sign\u0061ture":1,"b":2}}}}`,
			expect:        `{"params":{"ctx":{"securityCtx":{"b":2}}}}`,
			expectDropped: `1`},
		{name: "ok, securityCtx not an object",
			givenInput: `{"params":{"ctx":{"securityCtx":"signature"}}}`,
			expect:     `{"params":{"ctx":{"securityCtx":"signature"}}}`},
	}
	c, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.AppendResult(nil, []byte(tt.givenInput))
			if err != nil {
				t.Fatal(err)
			}
			if string(res.Canonical) != tt.expect {
				t.Errorf("got %s want %s", res.Canonical, tt.expect)
			}
			if res.Dropped != (tt.expectDropped != "") || string(res.DroppedValue) != tt.expectDropped {
				t.Errorf("dropped %v %q, want %q", res.Dropped, res.DroppedValue, tt.expectDropped)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name      string
		givenOpts []Option
		expectErr []error
	}{
		{name: "ok, defaults"},
		{name: "ok, all options", givenOpts: []Option{WithProfile(Python), WithMaxSize(10), WithMaxDepth(MaxDepthLimit), WithoutMember("a")}},
		{name: "nok, unknown profile", givenOpts: []Option{WithProfile(Profile(7))}, expectErr: []error{ErrUnknownProfile, ErrInvalidOption}},
		{name: "nok, zero max size", givenOpts: []Option{WithMaxSize(0)}, expectErr: []error{ErrInvalidOption}},
		{name: "nok, zero max depth", givenOpts: []Option{WithMaxDepth(0)}, expectErr: []error{ErrInvalidOption}},
		{name: "nok, max depth over limit", givenOpts: []Option{WithMaxDepth(MaxDepthLimit + 1)}, expectErr: []error{ErrInvalidOption}},
		{name: "nok, empty member path", givenOpts: []Option{WithoutMember()}, expectErr: []error{ErrInvalidOption}},
		{name: "nok, member path not UTF-8", givenOpts: []Option{WithoutMember("a", "\xff")}, expectErr: []error{ErrInvalidOption}},
		{name: "nok, nil option", givenOpts: []Option{nil}, expectErr: []error{ErrInvalidOption}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.givenOpts...)
			if len(tt.expectErr) == 0 {
				if err != nil || c == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			for _, want := range tt.expectErr {
				if !errors.Is(err, want) {
					t.Errorf("got %v, want %v", err, want)
				}
			}
			if errors.Is(err, ErrInvalid) {
				t.Errorf("configuration error %v matches ErrInvalid", err)
			}
		})
	}
}

func TestParseProfile(t *testing.T) {
	for _, p := range allProfiles {
		got, err := ParseProfile(strings.ToUpper(p.String()))
		if err != nil || got != p {
			t.Errorf("ParseProfile(%q) = %v, %v", p.String(), got, err)
		}
	}
	if _, err := ParseProfile("jackson"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("ParseProfile(jackson): %v", err)
	}
	if s := Profile(9).String(); s != "Profile(9)" {
		t.Errorf("String: %s", s)
	}
}

func TestAppendKeepsPrefix(t *testing.T) {
	got, err := AppendCanonical([]byte("x="), []byte(`{"b":[1,{"d":1,"c":2}],"a":0}`), WithProfile(GoSDK))
	if err != nil || string(got) != `x={"a":0,"b":[1,{"c":2,"d":1}]}` {
		t.Fatalf("got %s, %v", got, err)
	}
}

// TestCompareUTF16 checks the Java member order against an explicit
// UTF-16 comparison.
func TestCompareUTF16(t *testing.T) {
	names := []string{"", "a", "ab", "b", "é", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\uff21", "\uffff", "😀", "\U00010000", "\U0010ffff", "a😀", "a\uff21"}
	for _, a := range names {
		for _, b := range names {
			want := compareUnits([]rune(a), []rune(b))
			got := compareUTF16([]byte(a), []byte(b))
			if sign(got) != sign(want) {
				t.Errorf("compareUTF16(%q, %q) = %d, want sign %d", a, b, got, want)
			}
		}
	}
}

func compareUnits(a, b []rune) int {
	enc := func(rs []rune) (u []uint16) {
		for _, r := range rs {
			if r >= 0x10000 {
				r -= 0x10000
				u = append(u, uint16(0xD800+r>>10), uint16(0xDC00+r&0x3FF))
			} else {
				u = append(u, uint16(r))
			}
		}
		return u
	}
	ua, ub := enc(a), enc(b)
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return int(ua[i]) - int(ub[i])
		}
	}
	return len(ua) - len(ub)
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// TestLargeObjectOrder sorts a large, reversed object with nested objects in
// every profile and checks the order and that nothing was lost.
func TestLargeObjectOrder(t *testing.T) {
	var in, want bytes.Buffer
	in.WriteString("{")
	for i := 999; i >= 0; i-- {
		if i != 999 {
			in.WriteString(",")
		}
		in.WriteString(`"k` + pad(i) + `":{"z":` + strconv.Itoa(i) + `,"a":[` + strconv.Itoa(i) + `]}`)
	}
	in.WriteString("}")
	want.WriteString("{")
	for i := range 1000 {
		if i != 0 {
			want.WriteString(",")
		}
		want.WriteString(`"k` + pad(i) + `":{"a":[` + strconv.Itoa(i) + `],"z":` + strconv.Itoa(i) + `}`)
	}
	want.WriteString("}")
	for _, p := range allProfiles {
		got, err := Canonicalize(in.Bytes(), WithProfile(p))
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("%v: %v\n%.200s", p, err, got)
		}
	}
}

func pad(i int) string { return fmt.Sprintf("%03d", i) }
