package parser

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParseBasic(t *testing.T) {
	longPassword := strings.Repeat("p", MaxBasicCredentialsLength)
	tests := []struct {
		name           string
		givenHeader    http.Header
		expectUser     string
		expectPassword string
		expectErr      []error
	}{
		{
			name:           "ok, basic",
			givenHeader:    http.Header{"Authorization": {"Basic " + b64("administrator@vsphere.local:VMware1!")}},
			expectUser:     "administrator@vsphere.local",
			expectPassword: "VMware1!",
		},
		{
			name:           "ok, lowercase basic",
			givenHeader:    http.Header{"Authorization": {"basic " + b64("user:pass")}},
			expectUser:     "user",
			expectPassword: "pass",
		},
		{
			name:           "ok, uppercase BASIC",
			givenHeader:    http.Header{"Authorization": {"BASIC " + b64("user:pass")}},
			expectUser:     "user",
			expectPassword: "pass",
		},
		{
			name:           "ok, password with colons is split at the first colon",
			givenHeader:    http.Header{"Authorization": {"Basic " + b64("user:pa:ss:")}},
			expectUser:     "user",
			expectPassword: "pa:ss:",
		},
		{
			name:           "ok, empty password",
			givenHeader:    http.Header{"Authorization": {"Basic " + b64("user:")}},
			expectUser:     "user",
			expectPassword: "",
		},
		{
			name:           "ok, UTF-8 user and password",
			givenHeader:    http.Header{"Authorization": {"Basic " + b64("jörg@example.com:pässwörd€")}},
			expectUser:     "jörg@example.com",
			expectPassword: "pässwörd€",
		},
		{
			name:           "ok, long credentials decoded off the stack buffer",
			givenHeader:    http.Header{"Authorization": {"Basic " + b64("user:"+strings.Repeat("x", 1000))}},
			expectUser:     "user",
			expectPassword: strings.Repeat("x", 1000),
		},
		{name: "nok, no Authorization header", givenHeader: http.Header{}, expectErr: []error{ErrAbsent}},
		{name: "nok, another scheme", givenHeader: http.Header{"Authorization": {"Bearer abc"}}, expectErr: []error{ErrAbsent}},
		{name: "nok, SIGN scheme", givenHeader: http.Header{"Authorization": {`SIGN token="abc="`}}, expectErr: []error{ErrAbsent}},
		{name: "nok, empty Authorization value", givenHeader: http.Header{"Authorization": {""}}, expectErr: []error{ErrAbsent}},
		{
			name:        "nok, two Authorization headers",
			givenHeader: http.Header{"Authorization": {"Basic " + b64("user:pass"), "Basic " + b64("user:pass")}},
			expectErr:   []error{ErrMultipleAuthorization, ErrMalformed},
		},
		{
			name:        "nok, two Authorization headers of other schemes",
			givenHeader: http.Header{"Authorization": {"Bearer a", "Bearer b"}},
			expectErr:   []error{ErrMultipleAuthorization, ErrMalformed},
		},
		{name: "nok, Basic:xxx", givenHeader: http.Header{"Authorization": {"Basic:" + b64("user:pass")}}, expectErr: []error{ErrBasicScheme, ErrMalformed}},
		{name: "nok, BasicXxxx", givenHeader: http.Header{"Authorization": {"Basic" + b64("user:pass")}}, expectErr: []error{ErrBasicScheme, ErrMalformed}},
		{name: "nok, Basic alone", givenHeader: http.Header{"Authorization": {"Basic"}}, expectErr: []error{ErrBasicScheme, ErrMalformed}},
		{name: "nok, Basic with two spaces", givenHeader: http.Header{"Authorization": {"Basic  " + b64("user:pass")}}, expectErr: []error{ErrBasicScheme, ErrMalformed}},
		{name: "nok, Basic with a tab", givenHeader: http.Header{"Authorization": {"Basic\t" + b64("user:pass")}}, expectErr: []error{ErrBasicScheme, ErrMalformed}},
		{name: "nok, Basic with empty credentials", givenHeader: http.Header{"Authorization": {"Basic "}}, expectErr: []error{ErrBasicBase64, ErrMalformed}},
		{name: "nok, missing padding", givenHeader: http.Header{"Authorization": {"Basic dXNlcjpwYXNzdw"}}, expectErr: []error{ErrBasicBase64, ErrMalformed}},
		{name: "nok, URL-safe alphabet", givenHeader: http.Header{"Authorization": {"Basic " + base64.URLEncoding.EncodeToString([]byte("user:pass>>>?"))}}, expectErr: []error{ErrBasicBase64, ErrMalformed}},
		{name: "nok, CRLF inside base64", givenHeader: http.Header{"Authorization": {"Basic dXNl\r\ncjpw"}}, expectErr: []error{ErrBasicBase64, ErrMalformed}},
		{name: "nok, space inside base64", givenHeader: http.Header{"Authorization": {"Basic dXNl cjpw"}}, expectErr: []error{ErrBasicBase64, ErrMalformed}},
		{name: "nok, trailing space", givenHeader: http.Header{"Authorization": {"Basic " + b64("user:pass") + " "}}, expectErr: []error{ErrBasicBase64, ErrMalformed}},
		{name: "nok, non-canonical padding bits (lenient decoders read \"u:\")", givenHeader: http.Header{"Authorization": {"Basic dTp="}}, expectErr: []error{ErrBasicBase64, ErrMalformed}},
		{name: "nok, invalid UTF-8", givenHeader: http.Header{"Authorization": {"Basic " + b64("us\xffer:pass")}}, expectErr: []error{ErrBasicUTF8, ErrMalformed}},
		{name: "nok, latin-1 password", givenHeader: http.Header{"Authorization": {"Basic " + b64("user:p\xe4ss")}}, expectErr: []error{ErrBasicUTF8, ErrMalformed}},
		{name: "nok, control character in user", givenHeader: http.Header{"Authorization": {"Basic " + b64("us\x00er:pass")}}, expectErr: []error{ErrBasicControl, ErrMalformed}},
		{name: "nok, newline in password", givenHeader: http.Header{"Authorization": {"Basic " + b64("user:pa\nss")}}, expectErr: []error{ErrBasicControl, ErrMalformed}},
		{name: "nok, DEL in password", givenHeader: http.Header{"Authorization": {"Basic " + b64("user:pass\x7f")}}, expectErr: []error{ErrBasicControl, ErrMalformed}},
		{name: "nok, C1 control in user", givenHeader: http.Header{"Authorization": {"Basic " + b64("us\u0085er:pass")}}, expectErr: []error{ErrBasicControl, ErrMalformed}},
		{name: "nok, empty user", givenHeader: http.Header{"Authorization": {"Basic " + b64(":pass")}}, expectErr: []error{ErrBasicEmptyUser, ErrMalformed}},
		{name: "nok, no colon", givenHeader: http.Header{"Authorization": {"Basic " + b64("userpass")}}, expectErr: []error{ErrBasicNoColon, ErrMalformed}},
		{
			name:        "nok, oversized credentials",
			givenHeader: http.Header{"Authorization": {"Basic " + b64("user:"+longPassword)}},
			expectErr:   []error{ErrTooLong, ErrMalformed},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			user, pass, err := ParseBasic(tc.givenHeader)
			checkErrs(t, err, tc.expectErr)
			if errors.Is(err, ErrAbsent) && errors.Is(err, ErrMalformed) {
				t.Errorf("error %q is both absent and malformed", err)
			}
			if user != tc.expectUser || pass != tc.expectPassword {
				t.Errorf("ParseBasic = %q, %q; expected %q, %q", user, pass, tc.expectUser, tc.expectPassword)
			}
		})
	}
}

// TestParseBasic_AgreesWithNetHTTP checks that every credential ParseBasic
// accepts is read the same way by net/http's Request.BasicAuth.
func TestParseBasic_AgreesWithNetHTTP(t *testing.T) {
	for _, v := range []string{"Basic " + b64("a:b"), "bAsIc " + b64("x@y.z:p:q"), "BASIC " + b64("ü:€")} {
		user, pass, err := ParseBasic(http.Header{"Authorization": {v}})
		if err != nil {
			t.Fatal(err)
		}
		r := &http.Request{Header: http.Header{"Authorization": {v}}}
		u2, p2, ok := r.BasicAuth()
		if !ok || u2 != user || p2 != pass {
			t.Errorf("%q: ParseBasic %q,%q; net/http %q,%q,%v", v, user, pass, u2, p2, ok)
		}
	}
}

func FuzzParseBasic(f *testing.F) {
	for _, s := range []string{
		"Basic " + b64("user:pass"), "basic " + b64(":"), "Basic " + b64("u:p:q"), "Basic dXNlcjpwYXNzdw",
		"Basic:xxx", "BasicXxxx", "Basic  " + b64("u:p"), "Basic " + b64("u\x00:p"), "Bearer x", "Basic =",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		user, pass, err := ParseBasic(http.Header{"Authorization": {value}})
		if err != nil {
			if errors.Is(err, ErrAbsent) == errors.Is(err, ErrMalformed) {
				t.Fatalf("error %q must be exactly one of absent and malformed", err)
			}
			if user != "" || pass != "" {
				t.Fatalf("error with a result %q, %q", user, pass)
			}
			return
		}
		if user == "" || strings.Contains(user, ":") || !utf8.ValidString(user) || !utf8.ValidString(pass) {
			t.Fatalf("accepted %q, %q", user, pass)
		}
		for _, r := range user + pass {
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
				t.Fatalf("accepted control character %U in %q, %q", r, user, pass)
			}
		}
		// Round trip.
		u2, p2, err := ParseBasic(http.Header{"Authorization": {"Basic " + b64(user+":"+pass)}})
		if err != nil || u2 != user || p2 != pass {
			t.Fatalf("round trip of %q, %q: %q, %q, %v", user, pass, u2, p2, err)
		}
		// net/http reads what we accept the same way.
		u3, p3, ok := (&http.Request{Header: http.Header{"Authorization": {value}}}).BasicAuth()
		if !ok || u3 != user || p3 != pass {
			t.Fatalf("net/http reads %q as %q, %q, %v; we read %q, %q", value, u3, p3, ok, user, pass)
		}
	})
}

func BenchmarkParseBasic(b *testing.B) {
	for _, c := range []struct{ name, creds string }{
		{"short", "administrator@vsphere.local:VMware1!"},
		{"long", "administrator@vsphere.local:" + strings.Repeat("x", 400)},
	} {
		h := http.Header{"Authorization": {"Basic " + b64(c.creds)}}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := ParseBasic(h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
