package verifier_test

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	vapisec "github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// A certificate the trusted CA issued to someone else (a solution user, a
// TLS client) chains to the root exactly like the STS's; it must not sign a
// token for administrator@vsphere.local. Only the configured signer may.
func TestSiblingCertificateUnderTrustedRootCannotSignTokens(t *testing.T) {
	e := getEnv(t)
	caKey, caCert, err := sts.GenerateKeyPair("VMCA", testNow.Add(-time.Hour), testNow.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _, err := sts.GenerateKeyPair("solution user", testNow.Add(-time.Hour), testNow.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	stsLeaf := issueLeafWith(t, caKey, caCert, e.stsKey, func(c *x509.Certificate) { c.DNSNames = []string{"sts.kvm.vsphere.local"} })
	// The sibling is a perfectly good signing certificate from the same CA.
	sibling := issueLeafWith(t, caKey, caCert, otherKey, func(c *x509.Certificate) {
		c.Subject.CommonName = "vpxd-extension-1b2c"
		c.DNSNames = []string{"vc.vsphere.local"}
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	})
	// The CA also issued the STS's name to another key (a CA that does not
	// police names): only a pin tells them apart.
	sameName := issueLeafWith(t, caKey, caCert, otherKey, nil)

	admin := hokRequest(e)
	admin.Subject = "administrator@vsphere.local"
	genuine := issue(t, stsFor(t, e.stsKey, stsLeaf), admin)
	forged := issue(t, stsFor(t, otherKey, sibling), admin)
	forgedSameName := issue(t, stsFor(t, otherKey, sameName), admin)

	untrusted := []error{verifier.ErrUntrustedIssuer, verifier.ErrUntrustedSigner}
	byName := verifier.WithTrustedSignerNames("STS leaf")
	byDNS := verifier.WithTrustedSignerNames("STS.KVM.vsphere.local")
	byPin := verifier.WithTrustedSignerSPKIPins(verifier.SPKIPin(stsLeaf))
	tests := []struct {
		name       string
		givenToken []byte
		givenOpts  []verifier.TokenOption
		expectErr  []error
	}{
		{name: "ok, configured signer by common name", givenToken: genuine, givenOpts: []verifier.TokenOption{byName}},
		{name: "ok, configured signer by DNS name, any case", givenToken: genuine, givenOpts: []verifier.TokenOption{byDNS}},
		{name: "ok, configured signer by SPKI pin", givenToken: genuine, givenOpts: []verifier.TokenOption{byPin}},
		{name: "ok, configured signer by name and pin", givenToken: genuine, givenOpts: []verifier.TokenOption{byName, byPin}},
		{name: "nok, sibling certificate, signer by name", givenToken: forged, givenOpts: []verifier.TokenOption{byName}, expectErr: untrusted},
		{name: "nok, sibling certificate, signer by DNS name", givenToken: forged, givenOpts: []verifier.TokenOption{byDNS}, expectErr: untrusted},
		{name: "nok, sibling certificate, signer by pin", givenToken: forged, givenOpts: []verifier.TokenOption{byPin}, expectErr: untrusted},
		{name: "nok, signer DNS name spelled with the Kelvin sign", givenToken: genuine,
			givenOpts: []verifier.TokenOption{verifier.WithTrustedSignerNames("sts.\u212avm.vsphere.local")}, expectErr: untrusted},
		{name: "nok, sibling certificate, common name differs only in case", givenToken: forged,
			givenOpts: []verifier.TokenOption{verifier.WithTrustedSignerNames("VPXD-EXTENSION-1B2C")}, expectErr: untrusted},
		{name: "nok, second certificate with the signer's name, signer by pin", givenToken: forgedSameName, givenOpts: []verifier.TokenOption{byPin}, expectErr: untrusted},
		{name: "nok, second certificate with the signer's name, signer by name and pin", givenToken: forgedSameName, givenOpts: []verifier.TokenOption{byName, byPin}, expectErr: untrusted},
		// The documented limit of names: they trust the CA's issuance.
		{name: "ok, second certificate with the signer's name, signer by name only", givenToken: forgedSameName, givenOpts: []verifier.TokenOption{byName}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]verifier.TokenOption{verifier.WithClock(fixedClock(testNow)), verifier.WithTrustedRoots(caCert)}, tc.givenOpts...)
			v, err := verifier.NewTokenVerifier(opts...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(context.Background(), tc.givenToken)
			checkErrs(t, err, tc.expectErr)
			if err == nil && got.Subject != (vapisec.Principal{Name: "administrator", Domain: "vsphere.local"}) {
				t.Errorf("subject %+v", got.Subject)
			}
			if err != nil && verifier.ReasonOf(err) != vapisec.ReasonUntrustedIssuer {
				t.Errorf("reason %q", verifier.ReasonOf(err))
			}
		})
	}
}

// A certificate under the trusted root whose KeyUsage does not allow
// digital signatures (a TLS key-exchange certificate, a CA certificate) is
// not a token signer, even when it carries the signer's name and key.
func TestSigningCertificateWithoutDigitalSignatureUsageCannotSignTokens(t *testing.T) {
	e := getEnv(t)
	caKey, caCert, err := sts.GenerateKeyPair("VMCA", testNow.Add(-time.Hour), testNow.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		givenKeyUsage x509.KeyUsage
		expectErr     []error
	}{
		{name: "ok, digitalSignature", givenKeyUsage: x509.KeyUsageDigitalSignature},
		{name: "ok, digitalSignature and keyEncipherment", givenKeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment},
		{name: "ok, no KeyUsage extension", givenKeyUsage: 0},
		{name: "nok, keyEncipherment only", givenKeyUsage: x509.KeyUsageKeyEncipherment,
			expectErr: []error{verifier.ErrSignerKeyUsage, verifier.ErrUntrustedIssuer}},
		{name: "nok, keyCertSign only", givenKeyUsage: x509.KeyUsageCertSign, expectErr: []error{verifier.ErrSignerKeyUsage}},
		{name: "nok, contentCommitment only", givenKeyUsage: x509.KeyUsageContentCommitment, expectErr: []error{verifier.ErrSignerKeyUsage}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			leaf := issueLeafWith(t, caKey, caCert, e.stsKey, func(c *x509.Certificate) { c.KeyUsage = tc.givenKeyUsage })
			tok := issue(t, stsFor(t, e.stsKey, leaf), hokRequest(e))
			v, err := verifier.NewTokenVerifier(verifier.WithClock(fixedClock(testNow)), verifier.WithTrustedRoots(caCert),
				verifier.WithTrustedSignerNames("STS leaf"), verifier.WithTrustedSignerSPKIPins(verifier.SPKIPin(leaf)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(context.Background(), tok)
			checkErrs(t, err, tc.expectErr)
		})
	}
}

// Roots without a signer identity would trust every certificate the CA
// ever issued: NewTokenVerifier and Reload refuse them.
func TestTrustedRootsWithoutSignerIdentityAreRefused(t *testing.T) {
	e := getEnv(t)
	pin := verifier.SPKIPin(e.stsCert)
	tests := []struct {
		name      string
		givenOpts []verifier.TokenOption
		expectErr []error
	}{
		{name: "ok, roots and a signer name", givenOpts: []verifier.TokenOption{verifier.WithTrustedRoots(e.stsCert), verifier.WithTrustedSignerNames("Security Token Service")}},
		{name: "ok, roots and an SPKI pin", givenOpts: []verifier.TokenOption{verifier.WithTrustedRoots(e.stsCert), verifier.WithTrustedSignerSPKIPins(pin)}},
		{name: "ok, pinned certificates need no signer identity", givenOpts: []verifier.TokenOption{verifier.WithTrustedCertificates(e.stsCert)}},
		{name: "nok, roots alone", givenOpts: []verifier.TokenOption{verifier.WithTrustedRoots(e.stsCert)},
			expectErr: []error{verifier.ErrNoTrustedSigner, verifier.ErrInvalidOption}},
		{name: "nok, roots and pinned certificates but no signer identity", givenOpts: []verifier.TokenOption{verifier.WithTrustedRoots(e.stsCert), verifier.WithTrustedCertificates(e.stsCert)},
			expectErr: []error{verifier.ErrNoTrustedSigner}},
		{name: "nok, signer name without roots", givenOpts: []verifier.TokenOption{verifier.WithTrustedCertificates(e.stsCert), verifier.WithTrustedSignerNames("Security Token Service")},
			expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, empty signer name", givenOpts: []verifier.TokenOption{verifier.WithTrustedRoots(e.stsCert), verifier.WithTrustedSignerNames("")},
			expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, pin not base64", givenOpts: []verifier.TokenOption{verifier.WithTrustedRoots(e.stsCert), verifier.WithTrustedSignerSPKIPins("sha256/" + pin)},
			expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, pin of the wrong length", givenOpts: []verifier.TokenOption{verifier.WithTrustedRoots(e.stsCert), verifier.WithTrustedSignerSPKIPins("AAAA")},
			expectErr: []error{verifier.ErrInvalidOption}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifier.NewTokenVerifier(tc.givenOpts...)
			checkErrs(t, err, tc.expectErr)
		})
	}
	t.Run("nok, Reload with roots alone", func(t *testing.T) {
		v := newVerifier(t, e)
		err := v.Reload(verifier.TrustAnchors{Roots: []*x509.Certificate{e.stsCert}})
		checkErrs(t, err, []error{verifier.ErrNoTrustedSigner, verifier.ErrInvalidOption})
		if _, err := v.Verify(context.Background(), issue(t, e.sts, hokRequest(e))); err != nil {
			t.Errorf("failed Reload changed the anchors: %v", err)
		}
		err = v.Reload(verifier.TrustAnchors{Roots: []*x509.Certificate{e.stsCert}, SignerSPKIPins: []string{pin}})
		checkErrs(t, err, nil)
	})
}
