package sts_test

import (
	"context"
	"fmt"
	"time"

	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

func ExampleSTS_Issue() {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	key, cert, err := sts.GenerateKeyPair("Security Token Service", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := sts.New(key, cert, sts.WithClock(clock))
	if err != nil {
		fmt.Println(err)
		return
	}
	token, err := s.Issue(sts.IssueRequest{Subject: "Administrator@vsphere.local", Groups: []string{`vsphere.local\Administrators`}})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(cert), verifier.WithClock(clock))
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := v.Verify(context.Background(), token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Subject, tok.Groups, tok.Confirmation, tok.NotOnOrAfter)
	// Output:
	// Administrator@vsphere.local [vsphere.local\Administrators] urn:oasis:names:tc:SAML:2.0:cm:bearer 2025-06-01 13:00:00 +0000 UTC
}
