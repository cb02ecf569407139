package verifier_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/verifier"
)

// FuzzVerifySign: no panic and no hang on any header, host, path and body;
// a request other than the signed one never verifies.
func FuzzVerifySign(f *testing.F) {
	e := getReqEnv(f)
	r, _ := signSign(f, e, signReq{body: []byte(`{"a":1}`)})
	good := r.Header.Get("Authorization")
	f.Add(good, "POST", "/api/session", "vc.example.com", []byte(`{"a":1}`))
	f.Add(`SIGN token="H4sIAAAAAAAA/wEAAP//AAAAAAAAAAA=", signature_alg="RSA-SHA256", signature="AA==", nonce="1:1"`, "GET", "/", "[::1]:1", []byte{})
	f.Add(`SIGN token="x"`, "POST", "/%2e%2e/", "H:80", []byte("x"))
	rv := newRequestVerifier(f, e, verifier.WithReplayCache(noReplay{}), verifier.WithAllowBearer(true), verifier.WithAllowedHosts("h"))
	f.Fuzz(func(t *testing.T, authz, method, path, host string, body []byte) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n#?") || strings.ContainsAny(method, " \t\r\n") || method == "" || strings.ContainsAny(host, " \t\r\n/") {
			return
		}
		req, err := http.NewRequest(method, "http://x"+path, nil)
		if err != nil {
			return
		}
		req.Host = host
		req.Header.Set("Authorization", authz)
		hdr, err := parser.ParseSign(req.Header)
		if err != nil {
			return
		}
		res, err := rv.VerifySign(context.Background(), req, body, hdr)
		if err == nil {
			same := authz == good && method == "POST" && req.URL.Path == "/api/session" && (strings.EqualFold(host, "vc.example.com") || strings.EqualFold(host, "vc.example.com:80")) && string(body) == `{"a":1}`
			if !same || !res.SecurityContext.Authenticated {
				t.Fatalf("verified a changed request: %q %q %q %q", method, path, host, body)
			}
		} else if verifier.ReasonOf(err) == "" || errors.Is(err, verifier.ErrNotSigned) {
			t.Fatalf("error without reason: %v", err)
		}
	})
}
