package verifier_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/verifier"
)

func TestVerifySign(t *testing.T) {
	e := getReqEnv(t)
	empty := ""
	wrongHash := "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	ms := func(d time.Duration) string { return itoa(testNow.Add(d).UnixMilli()) + ":1" }
	tests := []struct {
		name         string
		givenReq     signReq
		givenOpts    []verifier.RequestOption
		whenTamper   func(r *signReq) // changes the request after signing
		expectErr    []error
		expectScheme vapisec.SchemeID
	}{
		{name: "ok, HoK, empty body", givenReq: signReq{}},
		{name: "ok, HoK, body and explicit port", givenReq: signReq{body: []byte(`{"a":1}`), host: "VC.Example.com:443", target: "/api/session?x=1"}},
		{name: "ok, HoK, IPv6 host", givenReq: signReq{host: "[::1]:8443", signed: func(n *normalized) { n.host, n.port = "[::1]", "8443" }}},
		{name: "ok, HoK, nonce in seconds", givenReq: signReq{nonce: itoa(testNow.Unix()) + ":77"}},
		{name: "ok, HoK, RSA-SHA512", givenReq: signReq{alg: "RSA-SHA512"}},
		{name: "ok, HoK, host allowed", givenReq: signReq{host: "VC.example.com"}, givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("vc.example.com")}},
		{name: "ok, bearer allowed", givenReq: signReq{bearer: true, token: e.bearer}, givenOpts: []verifier.RequestOption{verifier.WithAllowBearer(true)}, expectScheme: vapisec.SchemeSAMLBearer},
		{name: "nok, bearer not allowed", givenReq: signReq{bearer: true, token: e.bearer}, expectErr: []error{verifier.ErrSchemeNotAllowed}},
		{name: "nok, HoK token as bearer", givenReq: signReq{bearer: true}, givenOpts: []verifier.RequestOption{verifier.WithAllowBearer(true)}, expectErr: []error{verifier.ErrConfirmationMismatch}},
		{name: "nok, bearer token with a signature", givenReq: signReq{token: e.bearer}, expectErr: []error{verifier.ErrConfirmationMismatch}},
		{name: "nok, wrong host (both allowed: the signature covers the host)", givenReq: signReq{}, givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("evil.example.com")}, whenTamper: func(r *signReq) { r.host = "evil.example.com" }, expectErr: []error{verifier.ErrRequestSignature}},
		{name: "nok, host not allowed", givenReq: signReq{host: "evil.example.com"}, expectErr: []error{verifier.ErrHostNotAllowed}},
		{name: "nok, wrong port", givenReq: signReq{host: "vc.example.com:443"}, whenTamper: func(r *signReq) { r.host = "vc.example.com:8443" }, expectErr: []error{verifier.ErrRequestSignature}},
		{name: "ok, host:port allowed", givenReq: signReq{host: "vc2.example.com:8443"}, givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("VC2.example.com:8443")}},
		{name: "ok, host:80 allowed, Host without port", givenReq: signReq{host: "vc2.example.com"}, givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("vc2.example.com:80")}},
		{name: "nok, host allowed on another port only", givenReq: signReq{host: "vc2.example.com:9443"}, givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("vc2.example.com:8443")}, expectErr: []error{verifier.ErrHostNotAllowed}},
		{name: "nok, allowed name as a suffix of the Host", givenReq: signReq{host: "vc.example.com.evil.example"}, expectErr: []error{verifier.ErrHostNotAllowed}},
		{name: "nok, wrong method", givenReq: signReq{}, whenTamper: func(r *signReq) { r.method = "DELETE" }, expectErr: []error{verifier.ErrRequestSignature}},
		{name: "nok, wrong path", givenReq: signReq{}, whenTamper: func(r *signReq) { r.target = "/api/vcenter/vm" }, expectErr: []error{verifier.ErrRequestSignature}},
		{name: "nok, wrong body", givenReq: signReq{body: []byte(`{"a":1}`)}, whenTamper: func(r *signReq) { r.body = []byte(`{"a":2}`) }, expectErr: []error{verifier.ErrBodyHash}},
		{name: "nok, signature over another body, bodyhash of the body sent", givenReq: signReq{body: []byte(`{"a":1}`), signed: func(n *normalized) { n.body = []byte(`{"a":2}`) }}, expectErr: []error{verifier.ErrRequestSignature}},
		{name: "nok, body does not match bodyhash", givenReq: signReq{body: []byte(`{"a":1}`), bodyHash: &wrongHash}, expectErr: []error{verifier.ErrBodyHash}},
		{name: "nok, bodyhash missing with a body", givenReq: signReq{body: []byte(`{"a":1}`), bodyHash: &empty}, expectErr: []error{verifier.ErrBodyHash}},
		{name: "ok, bodyhash missing with an empty body", givenReq: signReq{bodyHash: &empty}},
		{name: "nok, nonce beyond the past skew", givenReq: signReq{nonce: ms(-11 * time.Minute)}, expectErr: []error{verifier.ErrTimestampWindow}},
		{name: "nok, nonce beyond the future skew", givenReq: signReq{nonce: ms(11 * time.Minute)}, expectErr: []error{verifier.ErrTimestampWindow}},
		{name: "nok, nonce without time", givenReq: signReq{nonce: "abc:1"}, expectErr: []error{verifier.ErrMalformedRequest}},
		{name: "nok, signature_alg lower case", givenReq: signReq{alg: "rsa-sha256"}, expectErr: []error{verifier.ErrRequestAlgorithm}},
		{name: "nok, signature_alg HMAC", givenReq: signReq{alg: "HMAC-SHA256"}, expectErr: []error{verifier.ErrRequestAlgorithm}},
		{name: "nok, ECDSA key over SIGN", givenReq: signReq{token: e.ecToken, key: e.ecKey}, expectErr: []error{verifier.ErrRequestAlgorithm}},
		{name: "nok, oversized body", givenReq: signReq{body: make([]byte, 2048)}, givenOpts: []verifier.RequestOption{verifier.WithMaxBodySize(1024)}, expectErr: []error{verifier.ErrBodyTooLarge}},
		{name: "nok, oversized token", givenReq: signReq{}, givenOpts: []verifier.RequestOption{verifier.WithMaxRequestTokenSize(512)}, expectErr: []error{parser.ErrTokenTooLarge, verifier.ErrMalformedToken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rv := newRequestVerifier(t, e, tt.givenOpts...)
			r, body := signSign(t, e, tt.givenReq)
			if tt.whenTamper != nil {
				given := tt.givenReq
				tt.whenTamper(&given)
				r2, body2 := signSign(t, e, given)
				r2.Header.Set("Authorization", r.Header.Get("Authorization"))
				r, body = r2, body2
			}
			hdr, err := parser.ParseSign(r.Header)
			if err != nil {
				t.Fatal(err)
			}
			res, err := rv.VerifySign(context.Background(), r, body, hdr)
			checkErr(t, err, tt.expectErr)
			if err != nil {
				if tt.expectErr[0] == verifier.ErrBodyHash && verifier.ReasonOf(err) != vapisec.ReasonBadSignature {
					t.Fatalf("reason %q", verifier.ReasonOf(err))
				}
				return
			}
			want := tt.expectScheme
			if want == "" {
				want = vapisec.SchemeSAMLHoK
			}
			sc := res.SecurityContext
			if sc.Scheme != want || sc.Source != vapisec.SourceAuthorization || sc.Principal.String() != "Administrator@vsphere.local" {
				t.Fatalf("security context %+v", sc)
			}
		})
	}
}

// TestSignLoginRelayedFromAnotherHostIsRefused: a SIGN header that a
// client made for another server (http://evil.example:8080/api/session),
// relayed here with that server's Host header, is valid as a signature but
// must not log in (issue 14 item 2, DESIGN Q21); the same login signed for
// our host does.
func TestSignLoginRelayedFromAnotherHostIsRefused(t *testing.T) {
	e := getReqEnv(t)
	rv := newRequestVerifier(t, e) // allowed: testHosts
	verify := func(r signReq) (*verifier.Result, error) {
		req, body := signSign(t, e, r)
		hdr, err := parser.ParseSign(req.Header)
		if err != nil {
			t.Fatal(err)
		}
		return rv.VerifySign(context.Background(), req, body, hdr)
	}
	_, err := verify(signReq{host: "evil.example:8080", nonce: itoa(testNow.UnixMilli()) + ":relay"})
	checkErr(t, err, []error{verifier.ErrHostNotAllowed})
	if verifier.ReasonOf(err) != vapisec.ReasonBadSignature {
		t.Fatalf("reason %q", verifier.ReasonOf(err))
	}
	res, err := verify(signReq{host: "vc.example.com", nonce: itoa(testNow.UnixMilli()) + ":legit"})
	if err != nil || !res.SecurityContext.Authenticated {
		t.Fatalf("login signed for our host: %v", err)
	}
	// Without a host list the SIGN scheme does not start at all.
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(e.stsCert))
	if err != nil {
		t.Fatal(err)
	}
	_, err = verifier.NewRequestVerifier(tv)
	checkErr(t, err, []error{verifier.ErrNoAllowedHosts, verifier.ErrInvalidOption})
}

// TestVerifySign_disabled: a JSON-RPC-only verifier refuses every SIGN
// request with scheme_not_allowed, and still verifies JSON-RPC.
func TestVerifySign_disabled(t *testing.T) {
	e := getReqEnv(t)
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(e.stsCert), verifier.WithClock(fixedClock(testNow)))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, verifier.WithRequestClock(fixedClock(testNow)), verifier.WithoutSIGN())
	if err != nil {
		t.Fatal(err)
	}
	if rv.SIGNEnabled() {
		t.Fatal("SIGNEnabled with WithoutSIGN")
	}
	req, body := signSign(t, e, signReq{})
	hdr, err := parser.ParseSign(req.Header)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rv.VerifySign(context.Background(), req, body, hdr)
	checkErr(t, err, []error{verifier.ErrSignDisabled, verifier.ErrSchemeNotAllowed})
	if verifier.ReasonOf(err) != vapisec.ReasonSchemeNotAllowed {
		t.Fatalf("reason %q", verifier.ReasonOf(err))
	}
	if _, err := rv.VerifyJSONRPC(context.Background(), signJSON(t, e, jsonReq{})); err != nil {
		t.Fatalf("JSON-RPC on a JSON-RPC-only verifier: %v", err)
	}
}

func TestVerifySign_replayedNonce(t *testing.T) {
	e := getReqEnv(t)
	rv := newRequestVerifier(t, e)
	r, body := signSign(t, e, signReq{})
	hdr, err := parser.ParseSign(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rv.VerifySign(context.Background(), r, body, hdr); err != nil {
		t.Fatal(err)
	}
	_, err = rv.VerifySign(context.Background(), r, body, hdr)
	checkErr(t, err, []error{verifier.ErrReplayed})
	// Same nonce, another request (other path): still a replay of the nonce.
	r2, body2 := signSign(t, e, signReq{target: "/rest/com/vmware/cis/session"})
	hdr2, _ := parser.ParseSign(r2.Header)
	_, err = rv.VerifySign(context.Background(), r2, body2, hdr2)
	checkErr(t, err, []error{verifier.ErrReplayed})
	if verifier.ReasonOf(err) != vapisec.ReasonReplayed {
		t.Fatalf("reason %q", verifier.ReasonOf(err))
	}
}

// TestVerifySign_specVector checks the normalized request of spec §11.4 by
// verifying its published signature with the vcf-sdk-java keys.
func TestVerifySign_specVector(t *testing.T) {
	rv, _ := fixtureRequestVerifier(t, time.UnixMilli(1700000000000))
	r, body := signSign(t, getReqEnv(t), signReq{target: "/rest/com/vmware/cis/session", host: "VC.Example.com"})
	tok := encodeSignToken(t, readVCF(t, "samlToken.xml"))
	r.Header.Set("Authorization", `SIGN token="`+tok+`", signature_alg="RSA-SHA256", signature="ezCCAuz4+FQhVI90WVfjeaNxigDA+ZoObQ0wizAgam/6MKXFScxjV1Qol7rVqytKM7rckUbp2B9St+tobs8tO/ztayO5AaspmE5xjn03v7LXX4ocoMNNUWypQPeXBWvyBo61wESg+9mdmTKOu1Mk1r2eHd1Om0XRGSvYWeXJTRxDPmq0zXq/nRgkSJKFiUK3rl/W2WnGoX7/0JKrekhfSfAmeZMhLfyIOW0m0k4DBjvAlfVaGmn8HD9KEDGZ8gzNLMaGna91gRIiuHPadsbJ2+uII5x4abZRMQHxsy2fpVWh93+uru2G0ba0Gx3Evj8H/0+SIg7Gso+Y2KGK70x7iw==", nonce="1700000000000:1234567890", bodyhash="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="`)
	hdr, err := parser.ParseSign(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rv.VerifySign(context.Background(), r, body, hdr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.EqualFold(res.SecurityContext.Principal.String(), "root@localos") {
		t.Fatalf("principal %v", res.SecurityContext.Principal)
	}
}
