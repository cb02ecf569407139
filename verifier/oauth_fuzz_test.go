package verifier_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	vapisec "github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/verifier"
)

// FuzzAccessTokenVerify checks that Verify never panics, answers every
// refusal with one of the known reason codes, and accepts only tokens
// whose signing input (header.payload) is byte for byte that of a token
// the harness signed with a trusted key: a mutation may at most change the
// signature's encoding into another valid signature of the same input
// (ECDSA's (r, n−s)), never the header or the claims.
func FuzzAccessTokenVerify(f *testing.F) {
	k := getOAKeys(f)
	v := newOAVerifier(f, k, verifier.WithAccessTokenCacheSize(0), verifier.WithHMACSecret([]byte("a-real-shared-secret-of-32-bytes!")))
	seeds := []string{
		rsaToken(f, k, nil),
		mint(f, jwt.SigningMethodPS256, k.rsa, oaClaims(), map[string]any{"kid": "rsa-1"}),
		mint(f, jwt.SigningMethodES256, k.ec, oaClaims(), map[string]any{"kid": "ec-1"}),
		mint(f, jwt.SigningMethodEdDSA, k.ed, oaClaims(), map[string]any{"kid": "ed-1", "typ": "at+jwt"}),
		mint(f, jwt.SigningMethodHS256, []byte("a-real-shared-secret-of-32-bytes!"), oaClaims(), nil),
		mint(f, jwt.SigningMethodRS256, k.rsa, oaClaims(), map[string]any{"kid": "rsa-1", "crit": []string{"x"}}),
		mint(f, jwt.SigningMethodHS256, k.rsa.N.Bytes(), oaClaims(), map[string]any{"kid": "rsa-1"}),
	}
	signed := map[string]bool{}
	for _, s := range seeds[:5] {
		signed[s[:strings.LastIndexByte(s, '.')]] = true
		if _, err := v.Verify(context.Background(), s); err != nil {
			f.Fatalf("seed refused: %v", err)
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	allowed := map[vapisec.Reason]bool{
		vapisec.ReasonMalformed: true, vapisec.ReasonBadSignature: true, vapisec.ReasonUnsupportedAlgorithm: true,
		vapisec.ReasonUntrustedIssuer: true, vapisec.ReasonAudienceMismatch: true, vapisec.ReasonExpired: true,
		vapisec.ReasonNotYetValid: true,
	}
	f.Fuzz(func(t *testing.T, tok string) {
		at, err := v.Verify(context.Background(), tok)
		if err != nil {
			if r := verifier.ReasonOf(err); !allowed[r] || errors.Is(err, verifier.ErrKeysUnavailable) {
				t.Fatalf("reason %q for %v", r, err)
			}
			return
		}
		i := strings.LastIndexByte(tok, '.')
		if i < 0 || !signed[tok[:i]] {
			t.Fatalf("accepted a token whose signing input no trusted key signed: %q", tok)
		}
		if at.Subject != "alice@vsphere.local" {
			t.Fatalf("subject %q", at.Subject)
		}
	})
}
