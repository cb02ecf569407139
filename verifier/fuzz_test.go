package verifier_test

import (
	"context"
	"crypto/x509"
	"testing"

	"github.com/beevik/etree"
	"github.com/vapisec/vapisec/verifier"
)

// FuzzVerify checks that Verify never panics and never accepts a token
// without a valid signature by a trusted key: whatever it accepts must pass
// a plain goxmldsig validation with one of its trust anchors and keep the ID
// of one of the genuinely signed seeds.
func FuzzVerify(f *testing.F) {
	e := getEnv(f)
	fixture := readFixture(f, "samlToken.xml")
	req := hokRequest(e)
	bearer := req
	bearer.HoKCertificate = nil
	good := issue(f, e.sts, req)
	seeds := [][]byte{fixture, good, issue(f, e.sts, bearer), issueWith(f, e, nil, req)}
	ids := map[string]bool{}
	for _, s := range seeds {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(s); err != nil {
			f.Fatal(err)
		}
		ids[doc.Root().SelectAttrValue("ID", "")] = true
		f.Add(s)
	}
	f.Add(wrapped(f, e, good, true))
	f.Add(commentInjected(f, e, req))
	f.Add(append([]byte(`<!DOCTYPE a [<!ENTITY e "x">]>`), good...))
	fixtureCerts, err := verifier.LoadCertificatesPEM(readFixture(f, "sts.crt.pem"))
	if err != nil {
		f.Fatal(err)
	}
	anchors := []*x509.Certificate{fixtureCerts[0], e.stsCert}
	f.Fuzz(func(t *testing.T, tok []byte) {
		v := newVerifier(t, e, verifier.WithTrustedCertificates(fixtureCerts...), verifier.WithCacheSize(0))
		got, err := v.Verify(context.Background(), tok)
		if err != nil {
			if got != nil {
				t.Fatal("token returned with an error")
			}
			_ = verifier.ReasonOf(err)
			return
		}
		if !ids[got.ID] {
			t.Fatalf("accepted a token with unsigned ID %q", got.ID)
		}
		for _, c := range anchors {
			if _, err := bareValidate(tok, c, testNow); err == nil {
				return
			}
		}
		t.Fatal("accepted a token goxmldsig rejects with every trust anchor")
	})
}
