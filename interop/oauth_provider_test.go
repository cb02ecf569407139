package interop

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vapisec/vapisec/verifier"
)

// Our verifier against the real OpenID provider of oauth_op_test.go,
// configured as an operator would: issuer and audience only, the keys by
// OIDC discovery.

func opVerifier(t *testing.T, o *testOP, issuer string, opts ...verifier.AccessTokenOption) *verifier.AccessTokenVerifier {
	t.Helper()
	v, err := verifier.NewAccessTokenVerifier(append([]verifier.AccessTokenOption{
		verifier.WithAccessTokenIssuer(issuer), verifier.WithAccessTokenAudiences(opAudience),
		verifier.WithJWKSHTTPClient(o.Client)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOAuthProviderTokenVerifiedByDiscovery: a client-credentials token of
// the provider is accepted by a verifier that knows only the issuer and
// the audience; the principal and groups are GoSDK's claims.
func TestOAuthProviderTokenVerifiedByDiscovery(t *testing.T) {
	o := startOP(t, "svc", "svc-secret", "svc-account@example.com", "Administrators", "Operators")
	v := opVerifier(t, o, o.Issuer)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	at, err := v.Verify(ctx, o.Token(t, "svc", "svc-secret"))
	if err != nil {
		t.Fatal(err)
	}
	if at.Subject != "svc-account@example.com" || at.Principal.String() != "svc-account@example.com" ||
		!slices.Equal(at.Groups, []string{"Administrators", "Operators"}) || at.Issuer != o.Issuer || at.KeyID != "op-key-1" || at.Algorithm != "RS256" {
		t.Errorf("verified %+v", at)
	}
}

// TestOAuthProviderKeyRotationPickedUp: the provider rotates its signing
// key (new kid, old key removed from its JWKS); a token with the new kid
// is accepted after one JWKS refresh, and a token of the removed key no
// longer is.
func TestOAuthProviderKeyRotationPickedUp(t *testing.T) {
	o := startOP(t, "svc", "svc-secret", "svc-account@example.com")
	v := opVerifier(t, o, o.Issuer, verifier.WithJWKSRefreshInterval(time.Second), verifier.WithAccessTokenCacheSize(0))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	old := o.Token(t, "svc", "svc-secret")
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	kid := o.Rotate(t, false)
	fresh := o.Token(t, "svc", "svc-secret")
	time.Sleep(1100 * time.Millisecond) // one refresh interval since the first fetch
	at, err := v.Verify(ctx, fresh)
	if err != nil {
		t.Fatalf("token of the rotated key (kid %s): %v", kid, err)
	}
	if at.KeyID != kid {
		t.Errorf("kid %q, want %q", at.KeyID, kid)
	}
	if _, err := v.Verify(ctx, old); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Errorf("token of the removed key: %v, want ErrUnknownKey", err)
	}
}

// TestOAuthProviderUntrustedIssuerRefused: trust is the configured issuer.
// A verifier configured for another provider refuses the first one's
// tokens, although both are real, reachable providers with valid keys.
func TestOAuthProviderUntrustedIssuerRefused(t *testing.T) {
	a := startOP(t, "svc", "svc-secret", "svc-account@example.com")
	b := startOP(t, "svc", "svc-secret", "svc-account@example.com")
	v := opVerifier(t, b, b.Issuer)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := v.Verify(ctx, b.Token(t, "svc", "svc-secret")); err != nil {
		t.Fatalf("the trusted provider's token: %v", err)
	}
	_, err := v.Verify(ctx, a.Token(t, "svc", "svc-secret"))
	if !errors.Is(err, verifier.ErrIssuerMismatch) && !errors.Is(err, verifier.ErrUnknownKey) && !errors.Is(err, verifier.ErrBadSignature) {
		t.Errorf("the other provider's token: %v, want refused", err)
	}
}
