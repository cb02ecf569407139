package verifier_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

func ExampleAccessTokenVerifier_Verify() {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	key, _, err := sts.GenerateKeyPair("idp", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		fmt.Println(err)
		return
	}
	idp, _ := sts.NewAccessTokenIssuer(key, "https://idp.example.com", clock)
	v, err := verifier.NewAccessTokenVerifier(
		verifier.WithAccessTokenIssuer("https://idp.example.com"),
		verifier.WithAccessTokenAudiences("vmware-tes:vapi"),
		verifier.WithJWKS(idp.JWKS()), // or WithJWKSURL, WithJWKSFile; default: OIDC discovery
		verifier.WithAccessTokenClock(clock),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, _ := idp.Issue(sts.AccessTokenRequest{Subject: "alice@vsphere.local", Groups: []string{`vsphere.local\Administrators`}})
	at, err := v.Verify(context.Background(), tok)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(at.Principal.Name, at.Principal.Domain, at.Groups)

	// A token for another audience.
	other, _ := idp.Issue(sts.AccessTokenRequest{Subject: "alice@vsphere.local", Audience: []string{"someone-else"}})
	_, err = v.Verify(context.Background(), other)
	fmt.Println(errors.Is(err, verifier.ErrAudienceMismatch), verifier.ReasonOf(err))
	// Output:
	// alice vsphere.local [vsphere.local\Administrators]
	// true audience_mismatch
}
