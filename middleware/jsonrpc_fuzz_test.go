package middleware_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// FuzzJSONRPCPath sends fuzzed bodies through the whole chain to POST /api
// (the JSON-RPC middleware, Session, SAML with the vcf-sdk-java STS, Basic,
// JSONRPCSessionService). $LIVE and $DEAD in the body are replaced by a
// live and a logged-out session id of bob, and withHeader adds the live id
// in the vmware-api-session-id header, as VMware's SDK sends it.
//
// Oracle: no panic; never a 500 and never a REST body: every reply is
// either a JSON-RPC error member -32700/-32600 (HTTP 400) or HTTP 200 with a
// result that holds exactly an output or an error, each a valid DataValue;
// a refusal carries the vapi-error header; and an output (the call
// succeeded) only for a request carrying a valid credential.
func FuzzJSONRPCPath(f *testing.F) {
	rv := fuzzRequestVerifier(f)
	s := newRPCServer(f, func(c *middleware.Config) { c.RequestVerifier = rv })
	live := s.rpcLogin(f, "bob", "pw")
	dead := s.rpcLogin(f, "bob", "pw")
	s.post(f, "/api", sessionHeader(dead), rpcBody("com.vmware.cis.session", "delete", sessionCtx(dead)))
	signed := readVCF(f, "signed-request-RS256.json")
	var fixture struct {
		Params struct {
			Ctx struct {
				SecurityCtx struct {
					Signature struct{ Value string } `json:"signature"`
				} `json:"securityCtx"`
			} `json:"ctx"`
		} `json:"params"`
	}
	if err := json.Unmarshal(signed, &fixture); err != nil {
		f.Fatal(err)
	}
	hokSig := fixture.Params.Ctx.SecurityCtx.Signature.Value

	for _, seed := range [][]byte{
		rpcBody("com.vmware.cis.session", "create", userPassCtx("bob", "pw")),
		rpcBody("com.vmware.cis.session", "create", userPassCtx("bob", "wrong")),
		rpcBody("com.vmware.cis.session", "get", sessionCtx("$LIVE")),
		rpcBody("com.vmware.cis.session", "get", sessionCtx("$DEAD")),
		rpcBody("com.example.vm", "list", sessionCtx("$LIVE")),
		rpcBody("com.example.vm", "list", ""),
		rpcBody("com.example.vm", "list", `{"schemeId":"com.vmware.vapi.std.security.oauth","accessToken":"a.b.c"}`),
		rpcBody("com.example.vm", "list", `{"schemeId":"com.vmware.vapi.std.security.saml_bearer_token","samlToken":"<x/>"}`),
		signed,
		[]byte(`{"jsonrpc":"2.0"`),
		[]byte(`[]`),
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	users := map[string]string{"alice@vsphere.local": "s3cret:with:colons", "bob": "pw"}
	f.Fuzz(func(t *testing.T, body []byte, withHeader bool) {
		body = bytes.ReplaceAll(bytes.ReplaceAll(body, []byte("$LIVE"), []byte(live)), []byte("$DEAD"), []byte(dead))
		var hdr http.Header
		if withHeader {
			hdr = sessionHeader(live)
		}
		rec := s.post(t, "/api", hdr, body)
		r, err := decodeReply(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("%d %.300s is no JSON-RPC reply: %v\nbody %q", rec.Code, rec.Body, err, body)
		}
		switch {
		case r.RPCCode != 0:
			if rec.Code != http.StatusBadRequest || (r.RPCCode != -32700 && r.RPCCode != -32600) {
				t.Fatalf("JSON-RPC error %d with HTTP %d\nbody %q", r.RPCCode, rec.Code, body)
			}
			return
		case rec.Code != http.StatusOK:
			t.Fatalf("result with HTTP %d\nbody %q", rec.Code, body)
		case !r.HasOutput:
			if rec.Header().Get("vapi-error") == "" {
				t.Fatalf("refusal without vapi-error: %.300s", rec.Body)
			}
			return
		}
		// The call succeeded: it must have carried a valid credential.
		var req struct {
			Params struct {
				Ctx struct {
					SecurityCtx map[string]any `json:"securityCtx"`
				} `json:"ctx"`
			} `json:"params"`
		}
		_ = json.Unmarshal(body, &req)
		sc := req.Params.Ctx.SecurityCtx
		str := func(k string) string { v, _ := sc[k].(string); return v }
		sig, _ := sc["signature"].(map[string]any)
		sigValue, _ := sig["value"].(string)
		pass, known := users[str("userName")]
		valid := withHeader || str("sessionId") == live || (known && str("password") == pass) || (sigValue != "" && sigValue == hokSig)
		if !valid {
			t.Fatalf("authenticated without a valid credential: %.300s\nbody %q", rec.Body, body)
		}
	})
}

// fuzzRequestVerifier is newSAMLServer's verifier: the vcf-sdk-java STS,
// its signed requests' clock, a replay cache large enough for a fuzz run.
func fuzzRequestVerifier(t testing.TB) *verifier.RequestVerifier {
	t.Helper()
	cert, err := sts.ParseCertificatePEM(readVCF(t, "sts.crt.pem"))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return samlNow }
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(cert), verifier.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, verifier.WithRequestClock(now), verifier.WithAllowedHosts("vc.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	return rv
}
