package signer_test

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/vapisec/vapisec/signer"
)

// canonicalOrderRequest has member names whose order differs between the
// Java profile (UTF-16 code units, as String.compareTo) and a sort by UTF-8
// bytes or code points (what encoding/json does with a map): U+1F600 and
// U+1D11E are surrogate pairs (D83D…, D834…), which Java sorts before
// U+FF5E and U+FF59. They sit at three depths, inside objects and arrays,
// next to numbers whose canonical text differs from the input's.
const canonicalOrderRequest = `{"params":{"serviceId":"svc","operationId":"op","input":{"～":1,"😀":2,` +
	`"a":{"ｚ":[{"ｙ":false,"𝄞":true,"z":null,"\u00e9":"x","A":[3,{"😀b":0,"😀a":1}]}],"b":2.50,"c":1E+2}},` +
	`"ctx":{"appCtx":{"z":"1","y":"2"}}},"method":"invoke","jsonrpc":"2.0","id":1}`

// canonicalOrderGolden is the Java canonical form of canonicalOrderRequest
// with the securityCtx the signer adds at 2026-12-01T10:00:00.5Z, ordered
// by hand: "😀" < "～" and "𝄞" < "ｙ" in UTF-16 order. It is what the
// signature must cover.
const canonicalOrderGolden = `{"id":1,"jsonrpc":"2.0","method":"invoke","params":{"ctx":{"appCtx":{"y":"2","z":"1"},` +
	`"securityCtx":{"schemeId":"com.vmware.vapi.std.security.saml_hok_token","signatureAlgorithm":"RS256",` +
	`"timestamp":{"created":"2026-12-01T10:00:00.500Z","expires":"2026-12-01T10:10:00.500Z"}}},` +
	`"input":{"a":{"b":2.5E0,"c":1.0E2,"ｚ":[{"A":[3,{"😀a":1,"😀b":0}],"z":null,"é":"x","𝄞":true,"ｙ":false}]},"😀":2,"～":1},` +
	`"operationId":"op","serviceId":"svc"}}`

// TestJSONRPCSignerSignsGoldenCanonicalBytes: the signature covers exactly
// the golden Java canonical bytes, so a signer that sorted members by bytes
// or code points, or signed without canonicalizing, fails here (vCenter
// would refuse its requests, or accept bytes that differ from what the
// client meant). The other signer tests cannot see this: their keys are
// ASCII, where every order agrees.
func TestJSONRPCSignerSignsGoldenCanonicalBytes(t *testing.T) {
	key := hokKey(t)
	s, err := signer.NewJSONRPCSigner(key, readFixture(t, "samlToken.xml"), signer.WithClock(fixedClock("2026-12-01T10:00:00.5Z")))
	if err != nil {
		t.Fatal(err)
	}
	// The golden must not be what a map-sorting encoder produces, or the
	// test could not tell the orders apart.
	var tree map[string]any
	d := json.NewDecoder(bytes.NewReader([]byte(canonicalOrderGolden)))
	d.UseNumber()
	if err := d.Decode(&tree); err != nil {
		t.Fatal(err)
	}
	if sorted, _ := json.Marshal(tree); bytes.Equal(sorted, []byte(canonicalOrderGolden)) {
		t.Fatal("golden equals encoding/json's map order")
	}

	out, err := s.Sign([]byte(canonicalOrderRequest))
	if err != nil {
		t.Fatal(err)
	}
	got := readSigned(t, out)
	sum := sha256.Sum256([]byte(canonicalOrderGolden))
	if err := rsa.VerifyPKCS1v15(key.Public().(*rsa.PublicKey), crypto.SHA256, sum[:], got.value); err != nil {
		t.Errorf("the signature does not cover the golden canonical bytes: %v\nverifier's canonical form %s", err, got.tbs)
	}
	if !bytes.Equal(got.tbs, []byte(canonicalOrderGolden)) {
		t.Errorf("canonical form of the signed request\n got %s\nwant %s", got.tbs, canonicalOrderGolden)
	}
}
