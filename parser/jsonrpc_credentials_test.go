package parser_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/parser"
)

func parseCtx(t *testing.T, sc string) *parser.SecurityCtx {
	t.Helper()
	p, err := parser.NewJSONRPCParser()
	if err != nil {
		t.Fatal(err)
	}
	req, err := p.Parse(nil, []byte(`{"jsonrpc":"2.0","method":"invoke","id":1,"params":{"ctx":{"securityCtx":`+sc+`}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return &req.SecurityCtx
}

func TestSecurityCtxUserPass(t *testing.T) {
	tests := []struct {
		name       string
		givenCtx   string
		expectUser string
		expectPass string
		expectErr  error
	}{
		{name: "ok", givenCtx: `{"userName":"bob","password":"p:w"}`, expectUser: "bob", expectPass: "p:w"},
		{name: "ok, escapes resolved", givenCtx: `{"userName":"b\u00f6b","password":"\"q\""}`, expectUser: "böb", expectPass: `"q"`},
		{name: "ok, empty password", givenCtx: `{"userName":"bob","password":""}`, expectUser: "bob"},
		{name: "nok, no password", givenCtx: `{"userName":"bob"}`, expectErr: parser.ErrSecurityCtxInvalid},
		{name: "nok, password a number", givenCtx: `{"userName":"bob","password":1}`, expectErr: parser.ErrSecurityCtxInvalid},
		{name: "nok, no user", givenCtx: `{"password":"pw"}`, expectErr: parser.ErrSecurityCtxInvalid},
		{name: "nok, empty user", givenCtx: `{"userName":"","password":"pw"}`, expectErr: parser.ErrBasicEmptyUser},
		{name: "nok, colon in user", givenCtx: `{"userName":"a:b","password":"pw"}`, expectErr: parser.ErrBasicNoColon},
		{name: "nok, NUL", givenCtx: `{"userName":"a\u0000","password":"pw"}`, expectErr: parser.ErrBasicControl},
		{name: "nok, C1", givenCtx: `{"userName":"a","password":"\u0085"}`, expectErr: parser.ErrBasicControl},
		{name: "nok, too long", givenCtx: `{"userName":"a","password":"` + strings.Repeat("x", 3072) + `"}`, expectErr: parser.ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, pass, err := parseCtx(t, tt.givenCtx).UserPass()
			if !errors.Is(err, tt.expectErr) || (err != nil && !errors.Is(err, parser.ErrMalformed)) {
				t.Fatalf("error %v, want %v", err, tt.expectErr)
			}
			if user != tt.expectUser || pass != tt.expectPass {
				t.Fatalf("got %q %q", user, pass)
			}
		})
	}
}

func TestSecurityCtxSessionIDValue(t *testing.T) {
	tests := []struct {
		name      string
		givenCtx  string
		givenMax  int
		expectID  string
		expectErr error
	}{
		{name: "ok", givenCtx: `{"sessionId":"abc-123_X"}`, expectID: "abc-123_X"},
		{name: "nok, absent", givenCtx: `{}`, expectErr: parser.ErrSecurityCtxInvalid},
		{name: "nok, empty", givenCtx: `{"sessionId":""}`, expectErr: parser.ErrSecurityCtxInvalid},
		{name: "nok, array", givenCtx: `{"sessionId":["a"]}`, expectErr: parser.ErrSecurityCtxInvalid},
		{name: "nok, too long", givenCtx: `{"sessionId":"abcdef"}`, givenMax: 5, expectErr: parser.ErrTooLong},
		{name: "nok, default limit", givenCtx: `{"sessionId":"` + strings.Repeat("a", parser.DefaultMaxSessionIDLength+1) + `"}`, expectErr: parser.ErrTooLong},
		{name: "nok, space", givenCtx: `{"sessionId":"a b"}`, expectErr: parser.ErrInvalidCharacter},
		{name: "nok, escaped control", givenCtx: `{"sessionId":"a\u0001"}`, expectErr: parser.ErrInvalidCharacter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := parseCtx(t, tt.givenCtx).SessionIDValue(tt.givenMax)
			if !errors.Is(err, tt.expectErr) || id != tt.expectID {
				t.Fatalf("got %q, %v; want %q, %v", id, err, tt.expectID, tt.expectErr)
			}
		})
	}
}
