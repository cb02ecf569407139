package parser

import (
	"net/http"
	"strings"
	"testing"

	"github.com/vapisec/vapisec"
)

func TestParseBearer(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl"
	tests := []struct {
		name         string
		givenHeader  http.Header
		expectToken  string
		expectSource vapisec.CredentialSource
		expectErr    []error
	}{
		{name: "ok, Authorization Bearer", givenHeader: http.Header{"Authorization": {"Bearer " + jwt}}, expectToken: jwt, expectSource: vapisec.SourceAuthorization},
		{name: "ok, lowercase bearer, two spaces", givenHeader: http.Header{"Authorization": {"bearer  " + jwt}}, expectToken: jwt, expectSource: vapisec.SourceAuthorization},
		{name: "ok, csp-auth-token", givenHeader: http.Header{"Csp-Auth-Token": {jwt}}, expectToken: jwt, expectSource: vapisec.SourceHeader},
		{name: "ok, csp-auth-token with Basic Authorization", givenHeader: http.Header{"Authorization": {"Basic dTpw"}, "Csp-Auth-Token": {jwt}}, expectToken: jwt, expectSource: vapisec.SourceHeader},
		{name: "ok, both equal", givenHeader: http.Header{"Authorization": {"Bearer " + jwt}, "Csp-Auth-Token": {jwt}}, expectToken: jwt, expectSource: vapisec.SourceAuthorization},
		{name: "ok, empty csp-auth-token ignored", givenHeader: http.Header{"Authorization": {"Bearer " + jwt}, "Csp-Auth-Token": {""}}, expectToken: jwt, expectSource: vapisec.SourceAuthorization},
		{name: "nok, nothing", givenHeader: http.Header{}, expectErr: []error{ErrAbsent}},
		{name: "nok, another scheme", givenHeader: http.Header{"Authorization": {"Basic dTpw"}}, expectErr: []error{ErrAbsent}},
		{name: "nok, Bearerxyz is another scheme", givenHeader: http.Header{"Authorization": {"Bearerxyz"}}, expectErr: []error{ErrAbsent}},
		{name: "nok, empty csp-auth-token only", givenHeader: http.Header{"Csp-Auth-Token": {""}}, expectErr: []error{ErrAbsent}},
		{name: "nok, two Authorization headers", givenHeader: http.Header{"Authorization": {"Bearer a", "Bearer a"}}, expectErr: []error{ErrMultipleAuthorization, ErrMalformed}},
		{name: "nok, two csp-auth-token headers", givenHeader: http.Header{"Csp-Auth-Token": {"a", "a"}}, expectErr: []error{ErrDuplicate, ErrMalformed}},
		{name: "nok, empty token", givenHeader: http.Header{"Authorization": {"Bearer"}}, expectErr: []error{ErrBearerMalformed, ErrMalformed}},
		{name: "nok, empty token after spaces", givenHeader: http.Header{"Authorization": {"Bearer   "}}, expectErr: []error{ErrBearerMalformed, ErrMalformed}},
		{name: "nok, whitespace inside", givenHeader: http.Header{"Authorization": {"Bearer abc def"}}, expectErr: []error{ErrBearerMalformed, ErrMalformed}},
		{name: "nok, control character", givenHeader: http.Header{"Authorization": {"Bearer abc\x00"}}, expectErr: []error{ErrBearerMalformed, ErrMalformed}},
		{name: "nok, non-ASCII in csp-auth-token", givenHeader: http.Header{"Csp-Auth-Token": {"abc\xc3\xa9"}}, expectErr: []error{ErrBearerMalformed, ErrMalformed}},
		{name: "nok, oversized token", givenHeader: http.Header{"Authorization": {"Bearer " + strings.Repeat("a", MaxBearerTokenLength+1)}}, expectErr: []error{ErrTooLong, ErrMalformed}},
		{name: "nok, conflicting Authorization and csp-auth-token", givenHeader: http.Header{"Authorization": {"Bearer " + jwt}, "Csp-Auth-Token": {jwt + "x"}}, expectErr: []error{ErrConflict, ErrMalformed}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, src, err := ParseBearer(tc.givenHeader)
			checkErrs(t, err, tc.expectErr)
			if tok != tc.expectToken || src != tc.expectSource {
				t.Errorf("ParseBearer = %q, %q; expected %q, %q", tok, src, tc.expectToken, tc.expectSource)
			}
		})
	}
}

func FuzzParseBearer(f *testing.F) {
	f.Add("Bearer abc", "")
	f.Add("bearer  a", "a")
	f.Add("Basic x", "tok")
	f.Add("Bearer", "\x00")
	f.Fuzz(func(t *testing.T, auth, csp string) {
		tok, src, err := ParseBearer(http.Header{"Authorization": {auth}, "Csp-Auth-Token": {csp}})
		if err != nil {
			if tok != "" || src != vapisec.SourceNone {
				t.Fatalf("error %v with %q, %q", err, tok, src)
			}
			return
		}
		if tok == "" || len(tok) > MaxBearerTokenLength || !visibleASCII(tok) {
			t.Fatalf("accepted %q", tok)
		}
		switch src {
		case vapisec.SourceAuthorization:
			if !strings.HasSuffix(auth, " "+tok) {
				t.Fatalf("token %q not at the end of %q", tok, auth)
			}
		case vapisec.SourceHeader:
			if tok != csp {
				t.Fatalf("token %q, header %q", tok, csp)
			}
		default:
			t.Fatalf("source %q", src)
		}
	})
}
