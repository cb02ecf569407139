package sts_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

func TestAccessTokenIssuerTokensVerifyAgainstItsJWKS(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	key, _, err := sts.GenerateKeyPair("dev", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	iss, err := sts.NewAccessTokenIssuer(key, "http://127.0.0.1:5480/oauth", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(iss.DiscoveryDocument("http://127.0.0.1:5480/oauth/jwks.json"), &doc); err != nil || doc.Issuer != iss.Issuer() || doc.JWKSURI == "" {
		t.Fatalf("discovery %+v %v", doc, err)
	}
	v, err := verifier.NewAccessTokenVerifier(verifier.WithAccessTokenIssuer(iss.Issuer()), verifier.WithAccessTokenAudiences(sts.DefaultAccessTokenAudience),
		verifier.WithJWKS(iss.JWKS()), verifier.WithAccessTokenClock(func() time.Time { return now }), verifier.WithRequireAccessTokenType())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := iss.Issue(sts.AccessTokenRequest{Subject: "alice@vsphere.local", Groups: []string{`vsphere.local\Administrators`}})
	if err != nil {
		t.Fatal(err)
	}
	at, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if at.Principal.String() != "alice@vsphere.local" || len(at.Groups) != 1 || at.KeyID != iss.KeyID() || !at.Expiry.Equal(now.Add(sts.DefaultAccessTokenLifetime)) {
		t.Fatalf("token %+v", at)
	}
	if _, err := iss.Issue(sts.AccessTokenRequest{}); !errors.Is(err, sts.ErrInvalidRequest) {
		t.Fatalf("empty subject: %v", err)
	}
}
