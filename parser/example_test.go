package parser_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
)

func ExampleParseBasic() {
	h := http.Header{}
	h.Set("Authorization", "Basic YWRtaW5pc3RyYXRvckB2c3BoZXJlLmxvY2FsOnMzY3JldDp3aXRoOmNvbG9ucw==")

	user, password, err := parser.ParseBasic(h)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(user)
	fmt.Println(password)
	// Output:
	// administrator@vsphere.local
	// s3cret:with:colons
}

// ExampleParseBasic_errorChecking shows how a caller sorts the errors: not
// this scheme (let the next one try), malformed (400), or a specific reason.
func ExampleParseBasic_errorChecking() {
	for _, value := range []string{
		"Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln", // another scheme
		"Basic:dXNlcjpwYXNz",                   // broken scheme token
		"Basic dXNlcjpwYXNz",                   // "user:pass"
		"Basic dXNlcnBhc3M=",                   // "userpass": no colon
	} {
		h := http.Header{"Authorization": {value}}
		user, _, err := parser.ParseBasic(h)
		switch {
		case errors.Is(err, parser.ErrAbsent):
			fmt.Println("not Basic: next scheme")
		case errors.Is(err, parser.ErrBasicNoColon):
			fmt.Println("400:", err)
		case errors.Is(err, parser.ErrMalformed):
			fmt.Println("400, malformed:", err)
		case err != nil:
			fmt.Println("unexpected:", err)
		default:
			fmt.Println("user", user, "(password still to be checked)")
		}
	}
	// Output:
	// not Basic: next scheme
	// 400, malformed: parser: malformed Basic scheme
	// user user (password still to be checked)
	// 400: parser: Basic credentials without ':'
}

func ExampleSessionIDExtractor() {
	// Built once, when the middleware is constructed.
	x, err := parser.NewSessionIDExtractor(parser.DefaultSessionIDLookup)
	if err != nil {
		panic(err)
	}

	r, _ := http.NewRequest(http.MethodGet, "https://vc.example.com/api/vcenter/vm", nil)
	r.Header.Set("Cookie", "theme=dark") // an unrelated cookie never hides the header
	r.Header.Set("vmware-api-session-id", "b00a1f5a1e5d3c1f7e2e5d1a9a4c7b3e")
	id, src, err := x.Extract(r)
	fmt.Println(id, src, err)

	r.Header.Set("Cookie", "vmware-api-session-id=another-id")
	_, _, err = x.Extract(r)
	fmt.Println(errors.Is(err, parser.ErrConflict), errors.Is(err, parser.ErrMalformed))

	_, err = parser.NewSessionIDExtractor("form:" + strings.ToUpper(vapisec.HeaderSessionID))
	fmt.Println(errors.Is(err, parser.ErrInvalidLookup))
	// Output:
	// b00a1f5a1e5d3c1f7e2e5d1a9a4c7b3e header <nil>
	// true true
	// true
}
