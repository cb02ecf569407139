package sts_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestIssue(t *testing.T) {
	key, cert, err := sts.GenerateKeyPair("STS", testNow.Add(-time.Hour), testNow.Add(time.Hour*24))
	if err != nil {
		t.Fatal(err)
	}
	_, hok, err := sts.GenerateKeyPair("User1", testNow.Add(-time.Hour), testNow.Add(time.Hour*24))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		givenOpts      []sts.Option
		givenRequest   sts.IssueRequest
		expectContains []string
		expectErr      []error
	}{
		{name: "ok, holder-of-key", givenRequest: sts.IssueRequest{Subject: "user@vsphere.local", HoKCertificate: hok, Groups: []string{`vsphere.local\Users`}},
			expectContains: []string{`<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion"`, `</saml2:Issuer><ds:Signature`, `<ds:Reference URI="#_`,
				`Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"`, `Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"`,
				`Method="urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"`, `xsi:type="saml2:KeyInfoConfirmationDataType"`}},
		{name: "ok, bearer, delegable, renewable, solution user", givenRequest: sts.IssueRequest{Subject: "svc@vsphere.local", Delegable: true, Renewable: true, SolutionUser: true, Audience: []string{"https://vc"}},
			expectContains: []string{`cm:bearer`, `<saml2:ProxyRestriction Count="10"/>`, `xsi:type="rsa:RenewRestrictionType"`, `<saml2:Audience>https://vc</saml2:Audience>`}},
		{name: "ok, prefix saml", givenOpts: []sts.Option{sts.WithPrefix("saml"), sts.WithIssuer("https://sts.example")}, givenRequest: sts.IssueRequest{Subject: "a@b"},
			expectContains: []string{`<saml:Assertion xmlns:saml=`, `>https://sts.example</saml:Issuer>`}},
		{name: "nok, empty subject", givenRequest: sts.IssueRequest{}, expectErr: []error{sts.ErrInvalidRequest}},
		{name: "nok, negative lifetime", givenRequest: sts.IssueRequest{Subject: "a@b", Lifetime: -time.Second}, expectErr: []error{sts.ErrInvalidRequest}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sts.New(key, cert, append([]sts.Option{sts.WithClock(func() time.Time { return testNow })}, tc.givenOpts...)...)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := s.Issue(tc.givenRequest)
			for _, e := range tc.expectErr {
				if !errors.Is(err, e) {
					t.Fatalf("error %v is not %v", err, e)
				}
			}
			if len(tc.expectErr) > 0 {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tc.expectContains {
				if !bytes.Contains(tok, []byte(c)) {
					t.Errorf("token lacks %s", c)
				}
			}
			v, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(cert), verifier.WithClock(func() time.Time { return testNow }))
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(context.Background(), tok)
			if err != nil {
				t.Fatalf("our verifier rejects the STS token: %v", err)
			}
			r := tc.givenRequest
			if got.Subject != vapisec.ParsePrincipal(r.Subject) || got.Delegable != r.Delegable || got.Renewable != r.Renewable ||
				got.SolutionUser != r.SolutionUser || strings.Join(got.Groups, ",") != strings.Join(r.Groups, ",") ||
				!got.NotBefore.Equal(testNow) || !got.NotOnOrAfter.Equal(testNow.Add(sts.DefaultLifetime)) {
				t.Errorf("token %+v", got)
			}
			if (r.HoKCertificate != nil) != (got.Confirmation == vapisec.ConfirmationHolderOfKey) ||
				(r.HoKCertificate != nil && !got.HoKCertificate.Equal(r.HoKCertificate)) {
				t.Errorf("confirmation %v", got.Confirmation)
			}
		})
	}
}

func TestNew(t *testing.T) {
	key, cert, err := sts.GenerateKeyPair("STS", testNow, testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := sts.GenerateKeyPair("other", testNow, testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		given     func() (*sts.STS, error)
		expectErr []error
	}{
		{name: "ok", given: func() (*sts.STS, error) { return sts.New(key, cert) }},
		{name: "nok, nil key", given: func() (*sts.STS, error) { return sts.New(nil, cert) }, expectErr: []error{sts.ErrInvalidOption}},
		{name: "nok, key does not match certificate", given: func() (*sts.STS, error) { return sts.New(other, cert) }, expectErr: []error{sts.ErrInvalidOption}},
		{name: "nok, ECDSA key", given: func() (*sts.STS, error) { return sts.New(ec, cert) }, expectErr: []error{sts.ErrUnsupportedKey}},
		{name: "nok, reserved prefix", given: func() (*sts.STS, error) { return sts.New(key, cert, sts.WithPrefix("ds")) }, expectErr: []error{sts.ErrInvalidOption}},
		{name: "nok, empty issuer", given: func() (*sts.STS, error) { return sts.New(key, cert, sts.WithIssuer("")) }, expectErr: []error{sts.ErrInvalidOption}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.given()
			if len(tc.expectErr) == 0 && err != nil {
				t.Fatal(err)
			}
			for _, e := range tc.expectErr {
				if !errors.Is(err, e) {
					t.Fatalf("error %v is not %v", err, e)
				}
			}
		})
	}
}

func TestPEMRoundTrip(t *testing.T) {
	key, cert, err := sts.GenerateKeyPair("STS", testNow, testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	kp, err := sts.EncodePrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := vapisec.ParsePrivateKeyPEM(kp)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := sts.ParseCertificatePEM(sts.EncodeCertificatePEM(cert))
	if err != nil || !c2.Equal(cert) {
		t.Fatalf("certificate round trip: %v", err)
	}
	if _, err := sts.New(k2, c2); err != nil {
		t.Fatalf("round-tripped key does not match: %v", err)
	}
	if _, err := vapisec.ParsePrivateKeyPEM([]byte("nothing")); !errors.Is(err, vapisec.ErrInvalidKeyPEM) {
		t.Errorf("err %v", err)
	}
	if _, err := sts.ParseCertificatePEM(kp); !errors.Is(err, sts.ErrInvalidPEM) {
		t.Errorf("err %v", err)
	}
	if _, _, err := sts.GenerateKeyPair("x", testNow, testNow); !errors.Is(err, sts.ErrInvalidRequest) {
		t.Errorf("err %v", err)
	}
}

func BenchmarkIssue(b *testing.B) {
	key, cert, err := sts.GenerateKeyPair("STS", testNow, testNow.Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	s, err := sts.New(key, cert)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Issue(sts.IssueRequest{Subject: "a@b"}); err != nil {
			b.Fatal(err)
		}
	}
}
