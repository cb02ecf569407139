package signer_test

import (
	"testing"

	"github.com/vapisec/vapisec/signer"
)

// FuzzJSONRPCSign: signing arbitrary input never panics, and whatever it
// signs verifies (the to-be-signed bytes are the canonical form of the
// output without its signature) and is a fixed point: signing the output
// again gives the same canonical bytes.
func FuzzJSONRPCSign(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"ctx":{"appCtx":{"opId":"x"}}}}`))
	f.Add(readFixture(f, "signed-request-RS256.json"))
	f.Add([]byte(`{"params":{"a":[1.0,-0,1e400,"\u2028<&>"],"ctx":{"securityCtx":{"signature":1}}}}`))
	f.Add([]byte(`{"params":{"ctx":null}}`))
	key := hokKey(f)
	s, err := signer.NewJSONRPCSigner(key, []byte("<saml2:Assertion/>"), signer.WithClock(fixedClock("2026-01-02T03:04:05.678Z")))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := s.Sign(in)
		if err != nil {
			return
		}
		got := readSigned(t, out)
		verifySignature(t, got, key.Public())
		again, err := s.Sign(out)
		if err != nil {
			t.Fatalf("signed output cannot be signed again: %v", err)
		}
		if string(readSigned(t, again).tbs) != string(got.tbs) {
			t.Fatal("re-signing changed the to-be-signed bytes")
		}
	})
}
