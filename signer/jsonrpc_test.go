package signer_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec/canonical"
	"github.com/vapisec/vapisec/signer"
)

// TestJSONRPCSignerFixtures reproduces the Java SDK's signed requests of
// spec §11.3 byte for byte: same key, same timestamps (PKCS#1 v1.5 is
// deterministic). The input is the fixture request itself, so its old
// securityCtx is replaced.
func TestJSONRPCSignerFixtures(t *testing.T) {
	key := hokKey(t)
	token := readFixture(t, "samlToken.xml")
	inputs := map[string][]byte{
		"fixture request (securityCtx replaced)": readFixture(t, "signed-request-RS256.json"),
		"no securityCtx": []byte(`{"jsonrpc":"2.0","method":"invoke","id":"42","params":{"serviceId":"com.vmware.cis.session",` +
			`"operationId":"create","input":{"STRUCTURE":{"operation-input":{}}},"ctx":{"appCtx":{"opId":"op-1"}}}}`),
		"client-local privateKey in securityCtx": []byte(`{"params":{"ctx":{"securityCtx":{"privateKey":"SECRET-KEY","schemeId":"x"},` +
			`"appCtx":{"opId":"op-1"}},"operationId":"create","input":{"STRUCTURE":{"operation-input":{}}},` +
			`"serviceId":"com.vmware.cis.session"},"id":"42","method":"invoke","jsonrpc":"2.0"}`),
	}
	for _, alg := range []signer.Algorithm{signer.RS256, signer.RS384, signer.RS512} {
		fixture := readFixture(t, "signed-request-"+string(alg)+".json")
		wantTBS := readFixture(t, "signed-request-"+string(alg)+".canonical.txt")
		want := readSigned(t, fixture)
		s, err := signer.NewJSONRPCSigner(key, token, signer.WithAlgorithm(alg),
			signer.WithValidity(20*time.Minute), signer.WithClock(fixedClock("2024-01-01T00:00:00Z")))
		if err != nil {
			t.Fatal(err)
		}
		for name, in := range inputs {
			t.Run("ok, "+string(alg)+", "+name, func(t *testing.T) {
				out, err := s.Sign(in)
				if err != nil {
					t.Fatal(err)
				}
				got := readSigned(t, out)
				if !bytes.Equal(got.tbs, wantTBS) {
					t.Errorf("to-be-signed bytes\n got %s\nwant %s", got.tbs, wantTBS)
				}
				if !bytes.Equal(got.value, want.value) {
					t.Errorf("signature differs from the Java SDK's")
				}
				if got.samlToken != string(token) {
					t.Errorf("samlToken is not the token byte for byte")
				}
				if bytes.Contains(out, []byte("SECRET-KEY")) || bytes.Contains(out, []byte("privateKey")) {
					t.Errorf("the old securityCtx leaked: %s", out)
				}
				if !json.Valid(out) || bytes.ContainsAny(out, "\n\t") {
					t.Errorf("output is not compact JSON")
				}
			})
		}
	}
}

// TestJSONRPCSignerRoundTrip: for all six algorithms a token issued by the
// development STS for a fresh key, and a request signed with that key,
// verify with the token's confirmation certificate.
func TestJSONRPCSignerRoundTrip(t *testing.T) {
	req := []byte(`{"jsonrpc":"2.0","method":"invoke","id":7,"params":{"serviceId":"com.vmware.vcenter.vm","operationId":"list",` +
		`"input":{"STRUCTURE":{"operation-input":{"filter":{"names":["é","😀","<&>"],"cpu":2.50,"big":123456789012345678901234567890}}}}}}`)
	for _, alg := range signer.Algorithms() {
		t.Run("ok, "+string(alg), func(t *testing.T) {
			key := keyFor(t, alg)
			token, cert := hokToken(t, key)
			now := time.Date(2026, 5, 1, 12, 0, 0, 123456789, time.UTC)
			s, err := signer.NewJSONRPCSigner(key, token, signer.WithAlgorithm(alg), signer.WithClock(func() time.Time { return now }))
			if err != nil {
				t.Fatal(err)
			}
			if s.Algorithm() != alg {
				t.Errorf("Algorithm() = %q", s.Algorithm())
			}
			out, err := s.Sign(req)
			if err != nil {
				t.Fatal(err)
			}
			got := readSigned(t, out)
			if got.alg != string(alg) || got.scheme != "com.vmware.vapi.std.security.saml_hok_token" {
				t.Errorf("securityCtx alg %q scheme %q", got.alg, got.scheme)
			}
			if got.created != "2026-05-01T12:00:00.123Z" || got.expires != "2026-05-01T12:10:00.123Z" {
				t.Errorf("timestamp %s .. %s, want Java's 10 minute window", got.created, got.expires)
			}
			verifySignature(t, got, cert.PublicKey)
			// Tampering with the request breaks the signature.
			tampered := readSigned(t, bytes.Replace(out, []byte(`"list"`), []byte(`"lisT"`), 1))
			if err := verifyTampered(tampered, cert.PublicKey); err == nil {
				t.Error("a tampered request still verifies")
			}
		})
	}
}

// verifyTampered reports whether s verifies, without failing the test.
func verifyTampered(s signed, pub any) error {
	h := hashes[s.alg]
	d := h.New()
	d.Write(s.tbs)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, h, d.Sum(nil), s.value)
	case *ecdsa.PublicKey:
		if ecdsa.VerifyASN1(k, d.Sum(nil), s.value) {
			return nil
		}
	}
	return errors.New("does not verify")
}

func TestJSONRPCSignerSignValue(t *testing.T) {
	key := keyFor(t, signer.ES256)
	token, cert := hokToken(t, key)
	s, err := signer.NewJSONRPCSigner(key, token, signer.WithAlgorithm(signer.ES256))
	if err != nil {
		t.Fatal(err)
	}
	type params struct {
		ServiceID   string         `json:"serviceId"`
		OperationID string         `json:"operationId"`
		Ctx         map[string]any `json:"ctx"`
	}
	out, err := s.SignValue(map[string]any{"jsonrpc": "2.0", "method": "invoke", "id": 1,
		"params": params{ServiceID: "com.vmware.cis.session", OperationID: "create", Ctx: map[string]any{"appCtx": map[string]string{"opId": "x"}}}})
	if err != nil {
		t.Fatal(err)
	}
	verifySignature(t, readSigned(t, out), cert.PublicKey)
	if _, err := s.SignValue(func() {}); !errors.Is(err, signer.ErrInvalidRequest) {
		t.Errorf("unmarshalable value: %v", err)
	}
}

func TestBearerJSONRPCSigner(t *testing.T) {
	token := readFixture(t, "samlToken.xml")
	s, err := signer.NewBearerJSONRPCSigner(token)
	if err != nil {
		t.Fatal(err)
	}
	if s.Algorithm() != "" {
		t.Errorf("bearer Algorithm() = %q", s.Algorithm())
	}
	out, err := s.Sign([]byte(`{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"ctx":{"securityCtx":{"privateKey":"k"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Params struct {
			Ctx struct {
				SecurityCtx map[string]string `json:"securityCtx"`
			} `json:"ctx"`
		} `json:"params"`
	}
	if err := json.Unmarshal(out, &env); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"schemeId": "com.vmware.vapi.std.security.saml_bearer_token", "samlToken": string(token)}
	got := env.Params.Ctx.SecurityCtx
	if len(got) != len(want) || got["schemeId"] != want["schemeId"] || got["samlToken"] != want["samlToken"] {
		t.Errorf("securityCtx %v", got)
	}
}

func TestJSONRPCSignerRejects(t *testing.T) {
	key := hokKey(t)
	token := readFixture(t, "samlToken.xml")
	s, err := signer.NewJSONRPCSigner(key, token, signer.WithMaxRequestSize(256))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		givenRequest string
		expectErr    []error
	}{
		{name: "nok, array", givenRequest: `[1]`, expectErr: []error{signer.ErrInvalidRequest}},
		{name: "nok, no params", givenRequest: `{"jsonrpc":"2.0"}`, expectErr: []error{signer.ErrInvalidRequest}},
		{name: "nok, params is an array", givenRequest: `{"params":[]}`, expectErr: []error{signer.ErrInvalidRequest}},
		{name: "nok, ctx is a string", givenRequest: `{"params":{"ctx":"x"}}`, expectErr: []error{signer.ErrInvalidRequest}},
		{name: "nok, ctx is null", givenRequest: `{"params":{"ctx":null}}`, expectErr: []error{signer.ErrInvalidRequest}},
		{name: "nok, duplicate member smuggling a second ctx", givenRequest: `{"params":{"ctx":{},"ctx":{"securityCtx":{}}}}`, expectErr: []error{signer.ErrInvalidRequest, canonical.ErrDuplicateMember}},
		{name: "nok, invalid UTF-8", givenRequest: "{\"params\":{\"a\":\"\xff\"}}", expectErr: []error{signer.ErrInvalidRequest, canonical.ErrInvalidUTF8}},
		{name: "nok, lone surrogate", givenRequest: `{"params":{"a":"\ud800"}}`, expectErr: []error{signer.ErrInvalidRequest, canonical.ErrLoneSurrogate}},
		{name: "nok, trailing data", givenRequest: `{"params":{}} {}`, expectErr: []error{signer.ErrInvalidRequest, canonical.ErrTrailingData}},
		{name: "nok, empty", givenRequest: ``, expectErr: []error{signer.ErrInvalidRequest}},
		{name: "nok, too large", givenRequest: `{"params":{"x":"` + strings.Repeat("a", 300) + `"}}`, expectErr: []error{signer.ErrBodyTooLarge}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := s.Sign([]byte(tc.givenRequest))
			if out != nil {
				t.Errorf("output on error: %s", out)
			}
			for _, want := range tc.expectErr {
				if !errors.Is(err, want) {
					t.Errorf("error %v does not match %v", err, want)
				}
			}
		})
	}
}

func TestNewJSONRPCSignerRejects(t *testing.T) {
	rsaKey := hokKey(t)
	p256 := keyFor(t, signer.ES256)
	p384 := keyFor(t, signer.ES384)
	token := readFixture(t, "samlToken.xml")
	tests := []struct {
		name       string
		givenKey   crypto.Signer
		givenToken []byte
		givenOpts  []signer.Option
		expectErr  []error
	}{
		{name: "nok, RSA key for ES256", givenKey: rsaKey, givenToken: token, givenOpts: []signer.Option{signer.WithAlgorithm(signer.ES256)}, expectErr: []error{signer.ErrKeyMismatch}},
		{name: "nok, P-384 key for ES256", givenKey: p384, givenToken: token, givenOpts: []signer.Option{signer.WithAlgorithm(signer.ES256)}, expectErr: []error{signer.ErrKeyMismatch}},
		{name: "nok, ECDSA key for RS256", givenKey: p256, givenToken: token, expectErr: []error{signer.ErrKeyMismatch}},
		{name: "nok, lower-case algorithm", givenKey: rsaKey, givenToken: token, givenOpts: []signer.Option{signer.WithAlgorithm("rs256")}, expectErr: []error{signer.ErrUnsupportedAlgorithm}},
		{name: "nok, none algorithm", givenKey: rsaKey, givenToken: token, givenOpts: []signer.Option{signer.WithAlgorithm("none")}, expectErr: []error{signer.ErrUnsupportedAlgorithm}},
		{name: "nok, HMAC algorithm", givenKey: rsaKey, givenToken: token, givenOpts: []signer.Option{signer.WithAlgorithm("HS256")}, expectErr: []error{signer.ErrUnsupportedAlgorithm}},
		{name: "nok, no key", givenKey: nil, givenToken: token, expectErr: []error{signer.ErrInvalidOption}},
		{name: "nok, empty token", givenKey: rsaKey, givenToken: []byte(" \n"), expectErr: []error{signer.ErrInvalidToken}},
		{name: "nok, token not UTF-8", givenKey: rsaKey, givenToken: []byte("<a>\xff</a>"), expectErr: []error{signer.ErrInvalidToken}},
		{name: "nok, zero validity", givenKey: rsaKey, givenToken: token, givenOpts: []signer.Option{signer.WithValidity(0)}, expectErr: []error{signer.ErrInvalidOption}},
		{name: "nok, nil clock", givenKey: rsaKey, givenToken: token, givenOpts: []signer.Option{signer.WithClock(nil)}, expectErr: []error{signer.ErrInvalidOption}},
		{name: "nok, nil option", givenKey: rsaKey, givenToken: token, givenOpts: []signer.Option{nil}, expectErr: []error{signer.ErrInvalidOption}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := signer.NewJSONRPCSigner(tc.givenKey, tc.givenToken, tc.givenOpts...)
			if s != nil {
				t.Error("signer returned with an error")
			}
			for _, want := range tc.expectErr {
				if !errors.Is(err, want) {
					t.Errorf("error %v does not match %v", err, want)
				}
			}
		})
	}
}
