package parser

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func oauthBody(tokenJSON string) []byte {
	return []byte(`{"jsonrpc":"2.0","method":"invoke","id":1,"params":{"serviceId":"s","operationId":"o","input":{},"ctx":{"securityCtx":{"schemeId":"com.vmware.vapi.std.security.oauth","accessToken":` + tokenJSON + `}}}}`)
}

func TestAccessTokenValue(t *testing.T) {
	p, err := NewJSONRPCParser()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		givenToken  string // JSON
		expectToken string
		expectErr   []error
	}{
		{name: "ok, JWT", givenToken: `"eyJ.eyJ.sig"`, expectToken: "eyJ.eyJ.sig"},
		{name: "ok, escaped slash", givenToken: `"a\/b"`, expectToken: "a/b"},
		{name: "nok, missing", givenToken: `null`, expectErr: []error{ErrSecurityCtxInvalid, ErrMalformed}},
		{name: "nok, empty", givenToken: `""`, expectErr: []error{ErrSecurityCtxInvalid, ErrMalformed}},
		{name: "nok, number", givenToken: `7`, expectErr: []error{ErrSecurityCtxInvalid, ErrMalformed}},
		{name: "nok, space", givenToken: `"a b"`, expectErr: []error{ErrBearerMalformed, ErrMalformed}},
		{name: "nok, escaped newline", givenToken: `"a\nb"`, expectErr: []error{ErrBearerMalformed, ErrMalformed}},
		{name: "nok, non-ASCII", givenToken: `"é"`, expectErr: []error{ErrBearerMalformed, ErrMalformed}},
		{name: "nok, too long", givenToken: `"` + strings.Repeat("a", MaxBearerTokenLength+1) + `"`, expectErr: []error{ErrTooLong, ErrMalformed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := p.Parse(nil, oauthBody(tt.givenToken))
			if err != nil {
				t.Fatal(err)
			}
			tok, err := req.SecurityCtx.AccessTokenValue()
			for _, want := range tt.expectErr {
				if !errors.Is(err, want) {
					t.Errorf("error %v does not match %v", err, want)
				}
			}
			if tt.expectErr == nil && (err != nil || tok != tt.expectToken) {
				t.Errorf("got %q, %v; want %q", tok, err, tt.expectToken)
			}
			if err != nil && strings.Contains(err.Error(), strings.Trim(tt.givenToken, `"`)) && len(tt.givenToken) > 4 {
				t.Errorf("error quotes the token: %v", err)
			}
		})
	}
}

// FuzzAccessTokenValue: for any JSON string as accessToken the accessor
// never panics, and what it accepts is exactly the decoded string, non-
// empty, at most MaxBearerTokenLength bytes of visible ASCII (the oracle
// is encoding/json's decoding of the same member).
func FuzzAccessTokenValue(f *testing.F) {
	for _, s := range []string{"eyJ.eyJ.sig", "a b", "", "é", `a\b`, "a\x00b"} {
		f.Add(s)
	}
	p, err := NewJSONRPCParser()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		js, _ := json.Marshal(s)
		req, err := p.Parse(nil, oauthBody(string(js)))
		if err != nil {
			return // not a request the chain would reach the scheme with
		}
		tok, err := req.SecurityCtx.AccessTokenValue()
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		if tok != s || tok == "" || len(tok) > MaxBearerTokenLength {
			t.Fatalf("accepted %q for %q", tok, s)
		}
		for i := 0; i < len(tok); i++ {
			if tok[i] <= ' ' || tok[i] > '~' {
				t.Fatalf("accepted byte %#x in %q", tok[i], tok)
			}
		}
	})
}
