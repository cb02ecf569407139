package verifier_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/canonical"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// fixtureVerifier trusts the vcf-sdk-java STS certificate with both clocks
// at now.
func fixtureRequestVerifier(tb testing.TB, now time.Time, opts ...verifier.RequestOption) (*verifier.RequestVerifier, *verifier.TokenVerifier) {
	tb.Helper()
	pem, err := os.ReadFile("../testdata/vcf-sdk-java/sts.crt.pem")
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := sts.ParseCertificatePEM(pem)
	if err != nil {
		tb.Fatal(err)
	}
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(cert), verifier.WithClock(fixedClock(now)))
	if err != nil {
		tb.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, append([]verifier.RequestOption{verifier.WithRequestClock(fixedClock(now)), verifier.WithAllowedHosts(testHosts...)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return rv, tv
}

func readVCF(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("../testdata/vcf-sdk-java/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func checkErr(t *testing.T, err error, expect []error) {
	t.Helper()
	if len(expect) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, expected %v", expect)
	}
	for _, want := range expect {
		if !errors.Is(err, want) {
			t.Fatalf("error %v does not match %v", err, want)
		}
	}
}

func TestVerifyJSONRPC_fixtures(t *testing.T) {
	tests := []struct {
		name      string
		givenNow  time.Time
		expectErr []error
	}{
		{name: "ok, at created", givenNow: fixtureNow},
		{name: "ok, 29 minutes after created (expires + skew)", givenNow: fixtureNow.Add(29 * time.Minute)},
		{name: "ok, 9 minutes before created (future skew)", givenNow: fixtureNow.Add(-9 * time.Minute)},
		{name: "nok, expired after expires + skew", givenNow: fixtureNow.Add(31 * time.Minute), expectErr: []error{verifier.ErrRequestExpired}},
		{name: "nok, created beyond the future skew", givenNow: fixtureNow.Add(-11 * time.Minute), expectErr: []error{verifier.ErrRequestNotYetValid}},
	}
	for _, alg := range []string{"RS256", "RS384", "RS512"} {
		body := readVCF(t, "signed-request-"+alg+".json")
		for _, tt := range tests {
			t.Run(alg+"/"+tt.name, func(t *testing.T) {
				rv, _ := fixtureRequestVerifier(t, tt.givenNow)
				res, err := rv.VerifyJSONRPC(context.Background(), body)
				checkErr(t, err, tt.expectErr)
				if err != nil {
					return
				}
				sc := res.SecurityContext
				if sc.Scheme != vapisec.SchemeSAMLHoK || !sc.Authenticated || sc.Principal.String() != "root@localos" || sc.Source != vapisec.SourceBody {
					t.Fatalf("security context %+v", sc)
				}
				if sc.Token.HoKCertificateSHA256 != fixtureHoKSHA256 {
					t.Fatalf("HoK fingerprint %s", sc.Token.HoKCertificateSHA256)
				}
				if !bytes.Equal(sc.VerifiedBody, body) {
					t.Fatal("VerifiedBody is not the body")
				}
			})
		}
	}
}

func TestVerifyJSONRPC_fixturesCacheAndReplay(t *testing.T) {
	rv, tv := fixtureRequestVerifier(t, fixtureNow)
	ctx := context.Background()
	for _, alg := range []string{"RS256", "RS384", "RS512"} {
		if _, err := rv.VerifyJSONRPC(ctx, readVCF(t, "signed-request-"+alg+".json")); err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
	}
	if n := verifier.CacheLen(tv); n != 1 {
		t.Fatalf("token cache holds %d tokens, want 1", n)
	}
	body := readVCF(t, "signed-request-RS256.json")
	_, err := rv.VerifyJSONRPC(ctx, body)
	checkErr(t, err, []error{verifier.ErrReplayed})
	if verifier.ReasonOf(err) != vapisec.ReasonReplayed {
		t.Fatalf("reason %q", verifier.ReasonOf(err))
	}
	// The same token verifier (cache) behind a new request verifier (new
	// replay cache): verifies again from the cache.
	rv2, err := verifier.NewRequestVerifier(tv, verifier.WithRequestClock(fixedClock(fixtureNow)), verifier.WithoutSIGN())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rv2.VerifyJSONRPC(ctx, body); err != nil {
		t.Fatal(err)
	}
	// Same request re-serialized (other whitespace): same canonical bytes,
	// still a replay.
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	compact := new(bytes.Buffer)
	if err := json.Compact(compact, body); err != nil {
		t.Fatal(err)
	}
	_, err = rv2.VerifyJSONRPC(ctx, compact.Bytes())
	checkErr(t, err, []error{verifier.ErrReplayed})
}

func TestVerifyJSONRPC_fixtureOneByteChange(t *testing.T) {
	body := readVCF(t, "signed-request-RS256.json")
	end := bytes.Index(body, []byte(`"signature"`))
	if end < 0 {
		t.Fatal("no signature member")
	}
	rv, _ := fixtureRequestVerifier(t, fixtureNow, verifier.WithReplayCache(noReplay{}))
	for i := 0; i < end; i++ {
		mutated := bytes.Clone(body)
		mutated[i] ^= 0x01
		if _, err := rv.VerifyJSONRPC(context.Background(), mutated); err == nil {
			t.Fatalf("verified after changing byte %d (%q → %q)", i, body[i], mutated[i])
		}
	}
	op2 := bytes.Replace(body, []byte(`"op-1"`), []byte(`"op-2"`), 1)
	_, err := rv.VerifyJSONRPC(context.Background(), op2)
	checkErr(t, err, []error{verifier.ErrRequestSignature})
	if verifier.ReasonOf(err) != vapisec.ReasonBadSignature {
		t.Fatalf("reason %q", verifier.ReasonOf(err))
	}
}

// noReplay records nothing: lets a test verify the same request many times.
type noReplay struct{}

func (noReplay) Record(context.Context, verifier.ReplayEntry) error { return nil }

// failingReplay is a replay store that is down.
type failingReplay struct{}

func (failingReplay) Record(context.Context, verifier.ReplayEntry) error {
	return errors.New("connection refused")
}

func TestVerifyJSONRPC_attacks(t *testing.T) {
	e := getReqEnv(t)
	hmacSign := func(msg []byte) []byte {
		m := hmac.New(sha256.New, e.rsaCert.Raw)
		m.Write(msg)
		return m.Sum(nil)
	}
	tests := []struct {
		name        string
		givenReq    jsonReq
		givenOpts   []verifier.RequestOption
		expectErr   []error
		expectScene vapisec.SchemeID
	}{
		{name: "ok, RS256", givenReq: jsonReq{}},
		{name: "ok, RS512", givenReq: jsonReq{alg: "RS512"}},
		{name: "ok, ES256 with an ECDSA key", givenReq: jsonReq{alg: "ES256", key: e.ecKey, token: e.ecToken}},
		{name: "ok, 20 minute window (Python/Go signers)", givenReq: jsonReq{window: 20 * time.Minute}},
		{name: "ok, signature.value chunked at 76 columns with CRLF and no padding", givenReq: jsonReq{after: func(sc map[string]any) {
			sig := sc["signature"].(map[string]any)
			v := strings.TrimRight(sig["value"].(string), "=")
			sig["value"] = v[:76] + "\r\n" + v[76:152] + "\r\n" + v[152:]
		}}},
		{name: "ok, securityCtx inside params.input before the real one is ignored", givenReq: jsonReq{input: map[string]any{
			"aaa": map[string]any{"securityCtx": map[string]any{"schemeId": "com.vmware.vapi.std.security.saml_hok_token", "signatureAlgorithm": "none"}},
		}}},
		{name: "nok, created in the future", givenReq: jsonReq{created: testNow.Add(11 * time.Minute)}, expectErr: []error{verifier.ErrRequestNotYetValid}},
		{name: "nok, expired", givenReq: jsonReq{created: testNow.Add(-21 * time.Minute)}, expectErr: []error{verifier.ErrRequestExpired}},
		{name: "nok, window longer than MaxWindow", givenReq: jsonReq{created: testNow.Add(-time.Minute), window: 61 * time.Minute}, expectErr: []error{verifier.ErrTimestampWindow}},
		{name: "nok, window longer than a narrowed MaxWindow", givenReq: jsonReq{window: 20 * time.Minute}, givenOpts: []verifier.RequestOption{verifier.WithMaxWindow(15 * time.Minute)}, expectErr: []error{verifier.ErrTimestampWindow}},
		{name: "nok, created after expires", givenReq: jsonReq{window: -time.Minute}, expectErr: []error{verifier.ErrTimestampWindow}},
		{name: "nok, timestamp without milliseconds", givenReq: jsonReq{edit: func(sc map[string]any) {
			sc["timestamp"].(map[string]any)["created"] = testNow.Format(time.RFC3339)
		}}, expectErr: []error{verifier.ErrMalformedRequest}},
		{name: "nok, timestamp February 30", givenReq: jsonReq{edit: func(sc map[string]any) {
			sc["timestamp"].(map[string]any)["created"] = "2025-02-30T00:00:00.000Z"
		}}, expectErr: []error{verifier.ErrMalformedRequest}},
		{name: "nok, no timestamp", givenReq: jsonReq{edit: func(sc map[string]any) { delete(sc, "timestamp") }}, expectErr: []error{verifier.ErrMalformedRequest}},
		{name: "nok, alg none", givenReq: jsonReq{alg: "none", signWith: func([]byte) []byte { return []byte{0} }}, expectErr: []error{verifier.ErrRequestAlgorithm}},
		{name: "nok, alg HS256 with the certificate as HMAC key", givenReq: jsonReq{alg: "HS256", signWith: hmacSign}, expectErr: []error{verifier.ErrRequestAlgorithm}},
		{name: "nok, alg lower-case rs256", givenReq: jsonReq{alg: "rs256"}, expectErr: []error{verifier.ErrRequestAlgorithm}},
		{name: "nok, alg PS256", givenReq: jsonReq{alg: "PS256"}, expectErr: []error{verifier.ErrRequestAlgorithm}},
		{name: "nok, alg outside a narrowed list", givenReq: jsonReq{alg: "RS512"}, givenOpts: []verifier.RequestOption{verifier.WithAlgorithms("RS256")}, expectErr: []error{verifier.ErrRequestAlgorithm}},
		{name: "nok, ES256 with an RSA key", givenReq: jsonReq{alg: "ES256", signWith: func(m []byte) []byte { return signBytes(t, e.rsaKey, "RS256", m) }}, expectErr: []error{verifier.ErrRequestAlgorithm}},
		{name: "nok, RS256 with an ECDSA key", givenReq: jsonReq{alg: "RS256", token: e.ecToken, key: e.ecKey}, expectErr: []error{verifier.ErrRequestAlgorithm}},
		{name: "nok, ES384 with a P-256 key", givenReq: jsonReq{alg: "ES384", token: e.ecToken, key: e.ecKey}, expectErr: []error{verifier.ErrRequestAlgorithm}},
		{name: "nok, bearer token sent as HoK", givenReq: jsonReq{token: e.bearer}, expectErr: []error{verifier.ErrConfirmationMismatch}},
		{name: "nok, HoK token sent as bearer", givenReq: jsonReq{scheme: "com.vmware.vapi.std.security.saml_bearer_token", after: func(sc map[string]any) {
			sc["samlToken"] = string(e.hokToken)
		}}, givenOpts: []verifier.RequestOption{verifier.WithAllowBearer(true)}, expectErr: []error{verifier.ErrConfirmationMismatch}},
		{name: "ok, bearer allowed", givenReq: jsonReq{scheme: "com.vmware.vapi.std.security.saml_bearer_token", after: func(sc map[string]any) {
			sc["samlToken"] = string(e.bearer)
		}}, givenOpts: []verifier.RequestOption{verifier.WithAllowBearer(true)}, expectScene: vapisec.SchemeSAMLBearer},
		{name: "nok, bearer not allowed", givenReq: jsonReq{scheme: "com.vmware.vapi.std.security.saml_bearer_token", after: func(sc map[string]any) {
			sc["samlToken"] = string(e.bearer)
		}}, expectErr: []error{verifier.ErrSchemeNotAllowed}},
		{name: "nok, signature by another key", givenReq: jsonReq{token: e.hokToken, signWith: func(m []byte) []byte {
			k, _, _ := sts.GenerateKeyPair("x", testNow.Add(-time.Hour), testNow.Add(time.Hour))
			return signBytes(t, k, "RS256", m)
		}}, expectErr: []error{verifier.ErrRequestSignature}},
		{name: "nok, signed content changed after signing", givenReq: jsonReq{after: func(sc map[string]any) { sc["extra"] = "x" }}, expectErr: []error{verifier.ErrRequestSignature}},
		{name: "nok, signature not an object", givenReq: jsonReq{after: func(sc map[string]any) { sc["signature"] = "abc" }}, expectErr: []error{verifier.ErrMalformedRequest}},
		{name: "nok, signature.value URL-safe base64", givenReq: jsonReq{after: func(sc map[string]any) {
			sig := sc["signature"].(map[string]any)
			sig["value"] = strings.NewReplacer("+", "-", "/", "_").Replace(sig["value"].(string))
		}}, expectErr: []error{verifier.ErrMalformedRequest}},
		{name: "nok, duplicate keys", givenReq: jsonReq{raw: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"id":"42"`), []byte(`"id":"42","id":"43"`), 1)
		}}, expectErr: []error{parser.ErrJSONRPCInvalid, verifier.ErrMalformedRequest}},
		{name: "nok, duplicate securityCtx", givenReq: jsonReq{raw: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"securityCtx":`), []byte(`"securityCtx":{},"securityCtx":`), 1)
		}}, expectErr: []error{parser.ErrJSONRPCInvalid}},
		{name: "nok, body with trailing data", givenReq: jsonReq{raw: func(b []byte) []byte { return append(b, `{}`...) }}, expectErr: []error{parser.ErrJSONRPCParse}},
		{name: "nok, oversized body", givenReq: jsonReq{}, givenOpts: []verifier.RequestOption{verifier.WithMaxBodySize(1024)}, expectErr: []error{verifier.ErrBodyTooLarge, verifier.ErrMalformedRequest}},
		{name: "nok, oversized token", givenReq: jsonReq{}, givenOpts: []verifier.RequestOption{verifier.WithMaxRequestTokenSize(100)}, expectErr: []error{verifier.ErrTokenTooLarge}},
		{name: "nok, replay store down", givenReq: jsonReq{}, givenOpts: []verifier.RequestOption{verifier.WithReplayCache(failingReplay{})}, expectErr: []error{verifier.ErrStoreUnavailable}},
		{name: "nok, scheme id in another case", givenReq: jsonReq{scheme: "com.vmware.vapi.std.security.SAML_HOK_TOKEN"}, expectErr: []error{verifier.ErrMalformedRequest}},
		{name: "nok, not signed: other scheme", givenReq: jsonReq{scheme: "com.vmware.vapi.std.security.session_id"}, expectErr: []error{verifier.ErrOtherScheme}},
		{name: "nok, not signed: securityCtx only inside params.input", givenReq: jsonReq{envelope: func(req map[string]any) {
			p := req["params"].(map[string]any)
			p["input"] = map[string]any{"securityCtx": p["ctx"].(map[string]any)["securityCtx"]}
			delete(p, "ctx")
		}}, expectErr: []error{verifier.ErrNotSigned}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rv := newRequestVerifier(t, e, tt.givenOpts...)
			body := signJSON(t, e, tt.givenReq)
			res, err := rv.VerifyJSONRPC(context.Background(), body)
			checkErr(t, err, tt.expectErr)
			if err == nil {
				want := tt.expectScene
				if want == "" {
					want = vapisec.SchemeSAMLHoK
				}
				if res.SecurityContext.Scheme != want || res.SecurityContext.Principal.String() != "Administrator@vsphere.local" {
					t.Fatalf("security context %+v", res.SecurityContext)
				}
			}
		})
	}
}

func TestVerifyJSONRPC_profiles(t *testing.T) {
	e := getReqEnv(t)
	input := json.RawMessage(`{"DOUBLE":1.0,"LIST":[2.50,100.0],"STRING":"é"}`)
	tests := []struct {
		name         string
		givenProfile canonical.Profile
		givenOpts    []verifier.RequestOption
		expectErr    []error
		expectUsed   canonical.Profile
	}{
		{name: "ok, Java signer, Java only", givenProfile: canonical.Java, expectUsed: canonical.Java},
		{name: "nok, gosdk signer, Java only", givenProfile: canonical.GoSDK, expectErr: []error{verifier.ErrRequestSignature}},
		{name: "ok, gosdk signer, gosdk enabled", givenProfile: canonical.GoSDK, givenOpts: []verifier.RequestOption{verifier.WithProfiles(canonical.GoSDK)}, expectUsed: canonical.GoSDK},
		{name: "ok, python signer, python enabled after gosdk", givenProfile: canonical.Python, givenOpts: []verifier.RequestOption{verifier.WithProfiles(canonical.GoSDK, canonical.Python)}, expectUsed: canonical.Python},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rv := newRequestVerifier(t, e, tt.givenOpts...)
			body := signJSON(t, e, jsonReq{profile: tt.givenProfile, input: input})
			res, err := rv.VerifyJSONRPC(context.Background(), body)
			checkErr(t, err, tt.expectErr)
			if err == nil && res.Profile != tt.expectUsed {
				t.Fatalf("verified with %v, want %v", res.Profile, tt.expectUsed)
			}
		})
	}
}

func TestVerifyJSONRPC_replayCacheFull(t *testing.T) {
	e := getReqEnv(t)
	rv := newRequestVerifier(t, e, verifier.WithReplayCacheSize(2))
	for i := range 3 {
		body := signJSON(t, e, jsonReq{created: testNow.Add(time.Duration(i) * time.Second)})
		_, err := rv.VerifyJSONRPC(context.Background(), body)
		if i < 2 {
			checkErr(t, err, nil)
			continue
		}
		checkErr(t, err, []error{verifier.ErrReplayCacheFull, verifier.ErrStoreUnavailable})
		if verifier.ReasonOf(err) != vapisec.ReasonStoreUnavailable {
			t.Fatalf("reason %q", verifier.ReasonOf(err))
		}
	}
}

func TestNewRequestVerifier_options(t *testing.T) {
	e := getReqEnv(t)
	tv, _ := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(e.stsCert))
	tests := []struct {
		name      string
		givenOpts []verifier.RequestOption
		expectErr []error
	}{
		{name: "nok, defaults: SIGN without allowed hosts", expectErr: []error{verifier.ErrNoAllowedHosts, verifier.ErrInvalidOption}},
		{name: "ok, allowed hosts", givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("vc.example.com", "VC2.example.com:8443", "[::1]", "::1", "[fe80::1]:443", "10.0.0.1:80")}},
		{name: "ok, JSON-RPC only", givenOpts: []verifier.RequestOption{verifier.WithoutSIGN()}},
		{name: "nok, JSON-RPC only with allowed hosts", givenOpts: []verifier.RequestOption{verifier.WithoutSIGN(), verifier.WithAllowedHosts("vc.example.com")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, zero replay share", givenOpts: []verifier.RequestOption{verifier.WithoutSIGN(), verifier.WithReplayShare(0)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, zero encoded token size", givenOpts: []verifier.RequestOption{verifier.WithoutSIGN(), verifier.WithMaxEncodedTokenSize(0)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, empty allowed host list", givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts()}, expectErr: []error{verifier.ErrNoAllowedHosts, verifier.ErrInvalidOption}},
		{name: "nok, empty allowed host", givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, allowed host with a scheme", givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("https://vc.example.com")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, allowed host with a path", givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("vc.example.com/api")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, allowed host wildcard", givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("*")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, allowed host with an empty port", givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("vc.example.com:")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, allowed host with port 0", givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("vc.example.com:0")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, allowed host with a named port", givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("vc.example.com:https")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, allowed host with only a port", givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts(":443")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, allowed host bad IPv6", givenOpts: []verifier.RequestOption{verifier.WithAllowedHosts("[vc.example.com]:443")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, unknown algorithm", givenOpts: []verifier.RequestOption{verifier.WithAlgorithms("HS256")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, negative skew", givenOpts: []verifier.RequestOption{verifier.WithPastSkew(-1)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, zero window", givenOpts: []verifier.RequestOption{verifier.WithMaxWindow(0)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, unknown profile", givenOpts: []verifier.RequestOption{verifier.WithProfiles(canonical.Profile(9))}, expectErr: []error{verifier.ErrInvalidOption}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := verifier.NewRequestVerifier(tv, tt.givenOpts...)
			checkErr(t, err, tt.expectErr)
		})
	}
	_, err := verifier.NewRequestVerifier(nil)
	if !errors.Is(err, verifier.ErrInvalidOption) {
		t.Fatal(err)
	}
}
