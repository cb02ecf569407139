package signer_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/http"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/signer"
	"github.com/vapisec/vapisec/verifier"
)

func newRequestVerifier(t testing.TB) *verifier.RequestVerifier {
	t.Helper()
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(getPKI(t).sts.Certificate()))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, verifier.WithAllowedHosts("vc.example.com:8443"))
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

// TestRoundTripRequestVerifier: what the signer produces, the project's
// verifier accepts — JSON-RPC for all six algorithms, SIGN for the three
// RSA ones — and each signature is accepted once (replay cache).
func TestRoundTripRequestVerifier(t *testing.T) {
	rv := newRequestVerifier(t)
	ctx := context.Background()
	for _, alg := range signer.Algorithms() {
		t.Run("ok, JSON-RPC "+string(alg), func(t *testing.T) {
			key := keyFor(t, alg)
			token, _ := hokToken(t, key)
			s, err := signer.NewJSONRPCSigner(key, token, signer.WithAlgorithm(alg))
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.Sign([]byte(`{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"serviceId":"s","operationId":"o","input":{"x":[1.5,"é"]},"ctx":{"appCtx":{"opId":"` + string(alg) + `"}}}}`))
			if err != nil {
				t.Fatal(err)
			}
			res, err := rv.VerifyJSONRPC(ctx, out)
			if err != nil {
				t.Fatalf("verifier rejects the signed request: %v", err)
			}
			if res.SecurityContext.Scheme != vapisec.SchemeSAMLHoK || res.Token.Subject.String() != "alice@vsphere.local" {
				t.Errorf("result %+v", res)
			}
			if _, err := rv.VerifyJSONRPC(ctx, out); err == nil {
				t.Error("a replayed request verified again")
			}
		})
	}
	for _, alg := range []signer.Algorithm{signer.RS256, signer.RS384, signer.RS512} {
		t.Run("ok, SIGN "+string(alg), func(t *testing.T) {
			key := keyFor(t, alg)
			token, _ := hokToken(t, key)
			s, err := signer.NewHeaderSigner(key, token, signer.WithAlgorithm(alg))
			if err != nil {
				t.Fatal(err)
			}
			body := []byte(`{"spec":{}}`)
			req, _ := http.NewRequest(http.MethodPost, "https://vc.example.com:8443/api/vcenter/vm?x=1", bytes.NewReader(body))
			if err := s.SignRequest(req); err != nil {
				t.Fatal(err)
			}
			h, err := parser.ParseSign(req.Header)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rv.VerifySign(ctx, req, body, h); err != nil {
				t.Fatalf("verifier rejects the SIGN header: %v", err)
			}
		})
	}
}

// Test fixtures are dated 2024: the verifier accepts the signer's output
// for them only with the clock injected on both sides.
func TestRoundTripFixtureClock(t *testing.T) {
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(mustCerts(t, readFixture(t, "sts.crt.pem"))...),
		verifier.WithClock(fixedClock("2024-01-01T00:05:00Z")))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, verifier.WithRequestClock(fixedClock("2024-01-01T00:05:00Z")), verifier.WithoutSIGN())
	if err != nil {
		t.Fatal(err)
	}
	s, err := signer.NewJSONRPCSigner(hokKey(t), readFixture(t, "samlToken.xml"), signer.WithClock(fixedClock("2024-01-01T00:00:00Z")), signer.WithValidity(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Sign(readFixture(t, "signed-request-RS256.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rv.VerifyJSONRPC(context.Background(), out); err != nil {
		t.Fatalf("verifier rejects a re-signed fixture: %v", err)
	}
}

func mustCerts(t testing.TB, pemBytes []byte) []*x509.Certificate {
	t.Helper()
	certs, err := verifier.LoadCertificatesPEM(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return certs
}
