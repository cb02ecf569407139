package verifier_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	vapisec "github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

func checkErrs(t *testing.T, err error, expect []error) {
	t.Helper()
	if len(expect) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("no error, want %v", expect)
	}
	for _, e := range expect {
		if !errors.Is(err, e) {
			t.Fatalf("error %v is not %v", err, e)
		}
	}
}

func TestVerify_fixture(t *testing.T) {
	tok := readFixture(t, "samlToken.xml")
	expiry := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	e := getEnv(t)
	tests := []struct {
		name       string
		givenToken []byte
		givenOpts  []verifier.TokenOption
		givenTrust []*verifier.TrustAnchors
		expectErr  []error
	}{
		{name: "ok, samlToken.xml in 2024", givenToken: tok},
		{name: "ok, one second before expiry plus skew", givenToken: tok,
			givenOpts: []verifier.TokenOption{verifier.WithClock(fixedClock(expiry.Add(verifier.DefaultClockSkew - time.Second)))}},
		{name: "nok, at expiry plus skew", givenToken: tok,
			givenOpts: []verifier.TokenOption{verifier.WithClock(fixedClock(expiry.Add(verifier.DefaultClockSkew)))},
			expectErr: []error{verifier.ErrTokenExpired}},
		{name: "nok, after expiry with zero skew", givenToken: tok,
			givenOpts: []verifier.TokenOption{verifier.WithClockSkew(0), verifier.WithClock(fixedClock(expiry))},
			expectErr: []error{verifier.ErrTokenExpired}},
		{name: "nok, another trust anchor", givenToken: tok,
			givenTrust: []*verifier.TrustAnchors{{Certificates: []*x509.Certificate{e.evilCert}}},
			expectErr:  []error{verifier.ErrUntrustedIssuer}},
		{name: "nok, one byte changed in NameID", givenToken: replaced(t, tok, "root@localos", "root@localot"),
			expectErr: []error{verifier.ErrBadSignature}},
		{name: "nok, one byte changed in a group", givenToken: replaced(t, tok, `localos\vami`, `localos\vamp`),
			expectErr: []error{verifier.ErrBadSignature}},
		{name: "nok, one byte changed in NotOnOrAfter", givenToken: replaced(t, tok, `NotOnOrAfter="2030`, `NotOnOrAfter="2031`),
			expectErr: []error{verifier.ErrBadSignature}},
		{name: "nok, one byte changed in SignatureValue", givenToken: replaced(t, tok, "dk/Rx12K", "dk/Rx12L"),
			expectErr: []error{verifier.ErrBadSignature}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := fixtureVerifier(t, tc.givenOpts...)
			for _, a := range tc.givenTrust {
				if err := v.Reload(*a); err != nil {
					t.Fatal(err)
				}
			}
			got, err := v.Verify(context.Background(), tc.givenToken)
			checkErrs(t, err, tc.expectErr)
			if err != nil {
				return
			}
			if got.Subject != (vapisec.Principal{Name: "root", Domain: "localos"}) || got.NameIDFormat != verifier.NameIDFormatUPN {
				t.Errorf("subject %+v format %q", got.Subject, got.NameIDFormat)
			}
			if got.HoKCertificateSHA256 != fixtureHoKSHA256 || got.HoKCertificate == nil {
				t.Errorf("HoK fingerprint %q", got.HoKCertificateSHA256)
			}
			if got.Confirmation != vapisec.ConfirmationHolderOfKey || got.ID != "_df65b3c0-d98f-49b2-a9eb-dbe49114dd8e" || got.Issuer != "https://10.23.65.89:7444/STS" {
				t.Errorf("token %+v", got)
			}
			if !got.NotOnOrAfter.Equal(expiry) || !got.NotBefore.Equal(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("validity %v .. %v", got.NotBefore, got.NotOnOrAfter)
			}
			if len(got.Groups) != 6 || got.Groups[0] != `localos\vami` || got.SolutionUser || got.Delegable || got.Renewable {
				t.Errorf("groups %q solution %v delegable %v renewable %v", got.Groups, got.SolutionUser, got.Delegable, got.Renewable)
			}
		})
	}
}

func TestVerify_attacks(t *testing.T) {
	e := getEnv(t)
	good := issue(t, e.sts, hokRequest(e))
	req := hokRequest(e)
	bearer := req
	bearer.HoKCertificate = nil
	at := func(d time.Duration) []verifier.TokenOption {
		return []verifier.TokenOption{verifier.WithClock(fixedClock(testNow.Add(d)))}
	}
	deep := strings.Repeat("<a>", 5000) + strings.Repeat("</a>", 5000)
	tests := []struct {
		name       string
		givenToken []byte
		givenOpts  []verifier.TokenOption
		// expectBareValid says that etree + goxmldsig alone accept the
		// token: its signature by the trusted key is valid, so only the
		// verifier's own checks stop it.
		expectBareValid bool
		expectErr       []error
	}{
		{name: "ok, STS holder-of-key token", givenToken: good, expectBareValid: true},
		{name: "ok, STS bearer token", givenToken: issue(t, e.sts, bearer), expectBareValid: true},
		{name: "ok, right namespace with a different prefix", givenToken: issueWith(t, e, sts.WithPrefix("saml"), req), expectBareValid: true},
		{name: "ok, SAML as the default namespace", givenToken: issueWith(t, e, sts.WithPrefix(""), req), expectBareValid: true},
		{name: "ok, leading XML declaration", givenToken: append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"), good...)},
		{name: "ok, audience matches", givenToken: issue(t, e.sts, withAudience(req, "https://vc.example/sts", "https://me.example")),
			givenOpts: []verifier.TokenOption{verifier.WithAudiences("https://me.example")}},
		{name: "ok, NotBefore in the future within skew", givenToken: issue(t, e.sts, withTimes(req, testNow.Add(5*time.Minute), time.Hour))},
		{name: "ok, expired within skew", givenToken: issue(t, e.sts, withTimes(req, testNow.Add(-65*time.Minute), time.Hour))},

		{name: "nok, signed by an untrusted STS", givenToken: issue(t, e.evil, req), expectErr: []error{verifier.ErrUntrustedIssuer}},
		{name: "nok, one byte changed in a signed element", givenToken: replaced(t, good, "Administrator@", "Administratos@"), expectErr: []error{verifier.ErrBadSignature}},
		{name: "nok, assertion wrapped in a fake one", givenToken: wrapped(t, e, good, false), expectErr: []error{verifier.ErrSignatureStructure, verifier.ErrMalformedToken}},
		{name: "nok, assertion wrapped in a fake one carrying the signature", givenToken: wrapped(t, e, good, true), expectErr: []error{verifier.ErrSignatureStructure}},
		{name: "nok, signature moved inside the Subject", givenToken: edited(t, good, func(r *etree.Element) {
			sig := mustFind(t, r, "./ds:Signature")
			r.RemoveChild(sig)
			mustFind(t, r, "./saml2:Subject").AddChild(sig)
		}), expectErr: []error{verifier.ErrSignatureStructure}},
		{name: "nok, second Assertion after the root", givenToken: append(append([]byte{}, good...), issue(t, e.sts, bearer)...), expectErr: []error{verifier.ErrNotAssertion}},
		{name: "nok, Reference pointing elsewhere", givenToken: edited(t, good, func(r *etree.Element) {
			mustFind(t, r, "./ds:Signature/ds:SignedInfo/ds:Reference").CreateAttr("URI", "#elsewhere")
		}), expectErr: []error{verifier.ErrSignatureStructure}},
		{name: "nok, empty Reference URI", givenToken: edited(t, good, func(r *etree.Element) {
			mustFind(t, r, "./ds:Signature/ds:SignedInfo/ds:Reference").CreateAttr("URI", "")
		}), expectErr: []error{verifier.ErrSignatureStructure}},
		{name: "nok, evidence Assertion in Advice", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			adv := etree.NewElement("saml2:Advice")
			r.InsertChildAt(mustFind(t, r, "./saml2:Subject").Index(), adv)
			adv.AddChild(parseRoot(t, issue(t, e.sts, bearer)))
		}), expectBareValid: true, expectErr: []error{verifier.ErrSignatureStructure}},
		{name: "nok, evidence Assertion in SubjectConfirmationData", givenToken: signedWith(t, e, bearer, func(r *etree.Element) {
			mustFind(t, r, "./saml2:Subject/saml2:SubjectConfirmation/saml2:SubjectConfirmationData").AddChild(parseRoot(t, issue(t, e.sts, bearer)))
		}), expectBareValid: true, expectErr: []error{verifier.ErrSignatureStructure}},
		{name: "nok, second element with the Assertion ID", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			id := r.SelectAttrValue("ID", "")
			mustFind(t, r, "./saml2:Subject").CreateAttr("ID", id)
		}), expectBareValid: true, expectErr: []error{verifier.ErrSignatureStructure}},
		{name: "nok, DOCTYPE", givenToken: append([]byte(`<!DOCTYPE saml2:Assertion>`), good...), expectBareValid: true, expectErr: []error{verifier.ErrUnsafeXML, verifier.ErrMalformedToken}},
		{name: "nok, entity declaration and reference", givenToken: append([]byte(`<!DOCTYPE a [<!ENTITY e "Administrator">]>`), replaced(t, good, "Administrator@", "&e;@")...), expectErr: []error{verifier.ErrUnsafeXML}},
		{name: "nok, entity reference without declaration", givenToken: replaced(t, good, "Administrator@", "&e;@"), expectErr: []error{verifier.ErrUnsafeXML}},
		{name: "nok, processing instruction inside", givenToken: replaced(t, good, "<saml2:Subject>", "<?evil x?><saml2:Subject>"), expectErr: []error{verifier.ErrUnsafeXML}},
		{name: "nok, processing instruction before the root", givenToken: append([]byte(`<?xml-stylesheet href="x"?>`), good...), expectBareValid: true, expectErr: []error{verifier.ErrUnsafeXML}},
		{name: "nok, XML declaration with another encoding", givenToken: append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), good...), expectErr: []error{verifier.ErrUnsafeXML}},
		{name: "nok, comment inside NameID (comment injection)", givenToken: commentInjected(t, e, req), expectBareValid: true, expectErr: []error{verifier.ErrUnsafeXML}},
		{name: "nok, duplicate attribute", givenToken: replaced(t, good, `Version="2.0"`, `Version="2.0" Version="2.0"`), expectErr: []error{verifier.ErrDuplicateAttribute, verifier.ErrMalformedToken}},
		{name: "nok, attribute flood on one element (quadratic duplicate check)", givenToken: replaced(t, good, "<saml2:Subject>", "<saml2:Subject"+attrFlood(65)+">"), expectErr: []error{verifier.ErrXMLLimit, verifier.ErrMalformedToken}},
		{name: "nok, 64 attributes on one element pass the scan, then the signature fails", givenToken: replaced(t, good, "<saml2:Subject>", "<saml2:Subject"+attrFlood(64)+">"), expectErr: []error{verifier.ErrBadSignature}},
		{name: "nok, duplicate ID attribute", givenToken: replaced(t, good, ` ID="`, ` ID="_evil" ID="`), expectErr: []error{verifier.ErrDuplicateAttribute}},
		{name: "nok, duplicate attribute under two prefixes", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			r.CreateAttr("xmlns:xsi2", "http://www.w3.org/2001/XMLSchema-instance")
			scd := mustFind(t, r, "./saml2:Subject/saml2:SubjectConfirmation/saml2:SubjectConfirmationData")
			scd.CreateAttr("xsi2:type", "saml2:Other")
		}), expectBareValid: true, expectErr: []error{verifier.ErrDuplicateAttribute}},
		{name: "nok, SHA-1 signature method", givenToken: replaced(t, good, "xmldsig-more#rsa-sha256", "xmldsig#rsa-sha1"), expectErr: []error{verifier.ErrUnsupportedAlgorithm}},
		{name: "nok, HMAC signature method", givenToken: replaced(t, good, "xmldsig-more#rsa-sha256", "xmldsig#hmac-sha1"), expectErr: []error{verifier.ErrUnsupportedAlgorithm}},
		{name: "nok, SHA-1 digest method", givenToken: replaced(t, good, "xmlenc#sha256", "xmldsig#sha1"), expectErr: []error{verifier.ErrUnsupportedAlgorithm}},
		{name: "nok, signature method outside a narrowed allow-list", givenToken: good,
			givenOpts: []verifier.TokenOption{verifier.WithSignatureAlgorithms(verifier.SignatureRSASHA512)}, expectErr: []error{verifier.ErrUnsupportedAlgorithm}},
		{name: "nok, canonicalization with comments", givenToken: replaced(t, good, `<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"`, `<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"`), expectErr: []error{verifier.ErrUnsupportedAlgorithm}},
		{name: "nok, extra ds:Signature", givenToken: edited(t, good, func(r *etree.Element) {
			r.AddChild(mustFind(t, r, "./ds:Signature").Copy())
		}), expectErr: []error{verifier.ErrSignatureStructure}},
		{name: "nok, no ds:Signature", givenToken: edited(t, good, func(r *etree.Element) {
			r.RemoveChild(mustFind(t, r, "./ds:Signature"))
		}), expectErr: []error{verifier.ErrSignatureStructure}},
		{name: "nok, two holder-of-key SubjectConfirmations", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			s := mustFind(t, r, "./saml2:Subject")
			s.AddChild(mustFind(t, s, "./saml2:SubjectConfirmation").Copy())
		}), expectBareValid: true, expectErr: []error{verifier.ErrSubjectConfirmation}},
		{name: "nok, missing X509Certificate in the confirmation", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			x := mustFind(t, r, ".//ds:X509Data")
			x.RemoveChild(mustFind(t, x, "./ds:X509Certificate"))
		}), expectBareValid: true, expectErr: []error{verifier.ErrSubjectConfirmation}},
		{name: "nok, two X509Certificates in the confirmation", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			x := mustFind(t, r, ".//ds:X509Data")
			x.AddChild(mustFind(t, x, "./ds:X509Certificate").Copy())
		}), expectBareValid: true, expectErr: []error{verifier.ErrSubjectConfirmation}},
		{name: "nok, unknown confirmation method", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			mustFind(t, r, "./saml2:Subject/saml2:SubjectConfirmation").CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches")
		}), expectBareValid: true, expectErr: []error{verifier.ErrSubjectConfirmation}},
		{name: "nok, missing X509Certificate in the signature KeyInfo", givenToken: edited(t, good, func(r *etree.Element) {
			x := mustFind(t, r, "./ds:Signature/ds:KeyInfo/ds:X509Data")
			x.RemoveChild(mustFind(t, x, "./ds:X509Certificate"))
		}), expectErr: []error{verifier.ErrSignatureStructure}},
		{name: "nok, wrong namespace with the right prefix", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			r.CreateAttr("xmlns:saml2", "urn:oasis:names:tc:SAML:1.0:assertion")
		}), expectBareValid: true, expectErr: []error{verifier.ErrNotAssertion}},
		{name: "nok, Subject in a foreign namespace with the SAML prefix", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			mustFind(t, r, "./saml2:Subject").CreateAttr("xmlns:saml2", "urn:evil")
		}), expectBareValid: true, expectErr: []error{verifier.ErrMalformedToken}},
		{name: "nok, unknown condition", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			mustFind(t, r, "./saml2:Conditions").CreateElement("saml2:OneTimeUse")
		}), expectBareValid: true, expectErr: []error{verifier.ErrUnknownCondition}},
		{name: "nok, unknown Condition type", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			c := mustFind(t, r, "./saml2:Conditions").CreateElement("saml2:Condition")
			c.CreateAttr("xsi:type", "evil:AnythingGoesType")
		}), expectBareValid: true, expectErr: []error{verifier.ErrUnknownCondition}},
		{name: "nok, not yet valid", givenToken: issue(t, e.sts, withTimes(req, testNow.Add(11*time.Minute), time.Hour)), expectBareValid: true, expectErr: []error{verifier.ErrTokenNotYetValid}},
		{name: "nok, expired", givenToken: good, givenOpts: at(time.Hour + verifier.DefaultClockSkew), expectErr: []error{verifier.ErrTokenExpired}},
		{name: "nok, NotOnOrAfter before NotBefore", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			c := mustFind(t, r, "./saml2:Conditions")
			nb, noa := c.SelectAttrValue("NotBefore", ""), c.SelectAttrValue("NotOnOrAfter", "")
			c.CreateAttr("NotBefore", noa)
			c.CreateAttr("NotOnOrAfter", nb)
		}), givenOpts: at(30 * time.Minute), expectBareValid: true, expectErr: []error{verifier.ErrMalformedToken}},
		{name: "nok, bearer SubjectConfirmationData expired", givenToken: signedWith(t, e, bearer, func(r *etree.Element) {
			mustFind(t, r, ".//saml2:SubjectConfirmationData").CreateAttr("NotOnOrAfter", testNow.Add(-time.Hour).Format(time.RFC3339))
		}), expectBareValid: true, expectErr: []error{verifier.ErrTokenExpired}},
		{name: "nok, bearer SubjectConfirmationData outlives the token", givenToken: signedWith(t, e, bearer, func(r *etree.Element) {
			mustFind(t, r, ".//saml2:SubjectConfirmationData").CreateAttr("NotOnOrAfter", testNow.Add(48*time.Hour).Format(time.RFC3339))
		}), expectBareValid: true, expectErr: []error{verifier.ErrMalformedToken}},
		{name: "nok, audience mismatch", givenToken: issue(t, e.sts, withAudience(req, "https://other.example")),
			givenOpts: []verifier.TokenOption{verifier.WithAudiences("https://me.example")}, expectErr: []error{verifier.ErrAudienceMismatch}},
		{name: "nok, oversized token", givenToken: good, givenOpts: []verifier.TokenOption{verifier.WithMaxTokenSize(len(good) - 1)},
			expectErr: []error{verifier.ErrTokenTooLarge, verifier.ErrMalformedToken}},
		{name: "nok, oversized by default", givenToken: replaced(t, good, "<saml2:Subject>", strings.Repeat(" ", verifier.DefaultMaxTokenSize)+"<saml2:Subject>"),
			expectErr: []error{verifier.ErrTokenTooLarge}},
		{name: "nok, deeply nested XML", givenToken: []byte(deep), expectErr: []error{verifier.ErrXMLLimit}},
		{name: "nok, deeply nested signed Advice", givenToken: signedWith(t, e, req, func(r *etree.Element) {
			el := etree.NewElement("saml2:Advice")
			r.InsertChildAt(mustFind(t, r, "./saml2:Subject").Index(), el)
			for range 40 {
				el = el.CreateElement("x")
			}
		}), expectBareValid: true, expectErr: []error{verifier.ErrXMLLimit}},
		{name: "nok, too many elements", givenToken: good, givenOpts: []verifier.TokenOption{verifier.WithMaxXMLElements(20)}, expectErr: []error{verifier.ErrXMLLimit}},
		{name: "nok, root is not an Assertion", givenToken: []byte(`<saml2:Response xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion"/>`), expectErr: []error{verifier.ErrNotAssertion}},
		{name: "nok, text after the root", givenToken: append(append([]byte{}, good...), "junk"...), expectErr: []error{verifier.ErrNotAssertion}},
		{name: "nok, unterminated", givenToken: good[:len(good)-3], expectErr: []error{verifier.ErrMalformedToken}},
		{name: "nok, empty", givenToken: nil, expectErr: []error{verifier.ErrMalformedToken}},
		{name: "nok, mismatched end tag", givenToken: replaced(t, good, "</saml2:Subject>", "</saml2:Subjext>"), expectErr: []error{verifier.ErrInvalidXML}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.expectBareValid {
				if _, err := bareValidate(tc.givenToken, e.stsCert, testNow); err != nil {
					t.Fatalf("attack token does not carry a valid signature: %v", err)
				}
			}
			v := newVerifier(t, e, tc.givenOpts...)
			got, err := v.Verify(context.Background(), tc.givenToken)
			checkErrs(t, err, tc.expectErr)
			if err == nil && (got.Subject.String() != req.Subject || got.ID == "") {
				t.Errorf("token %+v", got)
			}
			if err != nil && got != nil {
				t.Errorf("token returned with an error")
			}
		})
	}
}

func issueWith(tb testing.TB, e *testEnv, opt sts.Option, req sts.IssueRequest) []byte {
	tb.Helper()
	opts := []sts.Option{sts.WithClock(fixedClock(testNow))}
	if opt != nil {
		opts = append(opts, opt)
	}
	s, err := sts.New(e.stsKey, e.stsCert, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return issue(tb, s, req)
}

func withAudience(req sts.IssueRequest, aud ...string) sts.IssueRequest {
	req.Audience = aud
	return req
}

func withTimes(req sts.IssueRequest, nb time.Time, life time.Duration) sts.IssueRequest {
	req.NotBefore, req.Lifetime = nb, life
	return req
}

func parseRoot(tb testing.TB, tok []byte) *etree.Element {
	tb.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(tok); err != nil {
		tb.Fatal(err)
	}
	return doc.Root()
}

// wrapped builds the classic signature-wrapping token: a fake Assertion for
// an attacker-chosen subject that carries the genuine signed Assertion in
// its Advice; withSig also copies the genuine signature (and ID) onto the
// fake root.
func wrapped(tb testing.TB, e *testEnv, good []byte, withSig bool) []byte {
	tb.Helper()
	fake, err := e.sts.Build(sts.IssueRequest{Subject: "evil@vsphere.local", Groups: []string{`vsphere.local\Administrators`}})
	if err != nil {
		tb.Fatal(err)
	}
	genuine := parseRoot(tb, good)
	if withSig {
		fake.CreateAttr("ID", genuine.SelectAttrValue("ID", ""))
		fake.InsertChildAt(1, mustFind(tb, genuine, "./ds:Signature").Copy())
		genuine.CreateAttr("ID", "_moved")
	}
	adv := etree.NewElement("saml2:Advice")
	adv.AddChild(genuine)
	fake.InsertChildAt(mustFind(tb, fake, "./saml2:Subject").Index(), adv)
	return serialize(tb, fake)
}

// commentInjected signs a token for "user@evil.com.example.com" and splits
// the NameID with a comment: the signature stays valid (exclusive
// canonicalization drops comments), and a parser that reads only the first
// text node sees "user@evil.com".
func commentInjected(tb testing.TB, e *testEnv, req sts.IssueRequest) []byte {
	tb.Helper()
	req.Subject = "user@evil.com.example.com"
	tok := issue(tb, e.sts, req)
	return replaced(tb, tok, "user@evil.com.example.com", "user@evil.com<!---->.example.com")
}

// TestVerify_readsOnlyVerifiedElement checks that every field comes from
// the element goxmldsig verified, not from the parsed input root. The token
// is signed for "admin@vsphere.local.attacker.example" in the group
// "vsphere.local\Administrators.attacker"; comments then split both values.
// Exclusive canonicalization drops comments, so the signature still
// verifies, and the verified element (the canonical bytes re-parsed) holds
// the signed values, while the input root holds two text nodes each, the
// first of which reads "admin@vsphere.local" and
// "vsphere.local\Administrators". Two pre-checks refuse comments (Verify
// fails with ErrUnsafeXML), so the steps after them are driven through
// VerifyWithoutCommentChecks: they must return exactly the verified
// principal and groups.
func TestVerify_readsOnlyVerifiedElement(t *testing.T) {
	e := getEnv(t)
	req := hokRequest(e)
	req.Subject = "admin@vsphere.local.attacker.example"
	req.Groups = []string{`vsphere.local\Administrators.attacker`, `attacker.example\Users`}
	tok := issue(t, e.sts, req)
	tok = replaced(t, tok, ">admin@vsphere.local.attacker.example<", ">admin@vsphere.local<!---->.attacker.example<")
	tok = replaced(t, tok, `>vsphere.local\Administrators.attacker<`, `>vsphere.local\Administrators<!---->.attacker<`)

	verified, err := bareValidate(tok, e.stsCert, testNow)
	if err != nil {
		t.Fatalf("token does not carry a valid signature: %v", err)
	}
	input := parseRoot(t, tok)
	const nameID, group = "./saml2:Subject/saml2:NameID", "./saml2:AttributeStatement/saml2:Attribute[@FriendlyName='Group']/saml2:AttributeValue"
	// The two copies differ: the precondition of the test.
	if got := firstText(mustFind(t, input, nameID)); got != "admin@vsphere.local" {
		t.Fatalf("input NameID first text %q", got)
	}
	if got := mustFind(t, verified, nameID).Text(); got != req.Subject {
		t.Fatalf("verified NameID %q", got)
	}
	if got := firstText(mustFind(t, input, group)); got != `vsphere.local\Administrators` {
		t.Fatalf("input group first text %q", got)
	}

	v := newVerifier(t, e)
	_, err = v.Verify(context.Background(), tok)
	checkErrs(t, err, []error{verifier.ErrUnsafeXML})

	got, err := verifier.VerifyWithoutCommentChecks(v, tok)
	if err != nil {
		t.Fatalf("fields not read from the verified element: %v", err)
	}
	if got.Subject != (vapisec.Principal{Name: "admin", Domain: "vsphere.local.attacker.example"}) || got.NameID != req.Subject {
		t.Errorf("subject %+v NameID %q, want the verified %q", got.Subject, got.NameID, req.Subject)
	}
	if len(got.Groups) != 2 || got.Groups[0] != req.Groups[0] || got.Groups[1] != req.Groups[1] {
		t.Errorf("groups %q, want the verified %q", got.Groups, req.Groups)
	}

	// Whitespace inside the signed content is not dropped by the
	// transforms: it breaks the signature.
	withWS := replaced(t, issue(t, e.sts, hokRequest(e)), "<saml2:Subject>", "<saml2:Subject>\n  ")
	_, err = v.Verify(context.Background(), withWS)
	checkErrs(t, err, []error{verifier.ErrBadSignature})
}

// firstText is what a naive reader takes for an element's text: its first
// text node.
func firstText(el *etree.Element) string {
	for _, c := range el.Child {
		if cd, ok := c.(*etree.CharData); ok {
			return cd.Data
		}
	}
	return ""
}

func TestVerify_trustedRoots(t *testing.T) {
	e := getEnv(t)
	caKey, caCert, err := sts.GenerateKeyPair("Test CA", testNow.Add(-time.Hour), testNow.Add(time.Hour*48))
	if err != nil {
		t.Fatal(err)
	}
	leafDirect := issueLeaf(t, caKey, caCert, e.stsKey)

	direct, err := sts.New(e.stsKey, leafDirect, sts.WithClock(fixedClock(testNow)))
	if err != nil {
		t.Fatal(err)
	}
	tok := issue(t, direct, hokRequest(e))
	signer := verifier.WithTrustedSignerNames("STS leaf")
	tests := []struct {
		name      string
		givenOpts []verifier.TokenOption
		expectErr []error
	}{
		{name: "ok, chain to a configured root", givenOpts: []verifier.TokenOption{verifier.WithTrustedRoots(caCert), signer}},
		{name: "ok, root and pinned certificates together", givenOpts: []verifier.TokenOption{verifier.WithTrustedRoots(caCert), signer, verifier.WithTrustedCertificates(e.evilCert)}},
		{name: "nok, another root", givenOpts: []verifier.TokenOption{verifier.WithTrustedRoots(e.evilCert), signer}, expectErr: []error{verifier.ErrUntrustedIssuer}},
		{name: "nok, root but clock after the leaf expired", givenOpts: []verifier.TokenOption{verifier.WithTrustedRoots(caCert), signer, verifier.WithClock(fixedClock(testNow.Add(30 * time.Hour))), verifier.WithClockSkew(100 * time.Hour)},
			expectErr: []error{verifier.ErrUntrustedIssuer}},
		{name: "nok, pinned certificate expired", givenOpts: []verifier.TokenOption{verifier.WithTrustedCertificates(leafDirect), verifier.WithClock(fixedClock(testNow.Add(30 * time.Hour))), verifier.WithClockSkew(100 * time.Hour)},
			expectErr: []error{verifier.ErrUntrustedIssuer}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := verifier.NewTokenVerifier(append([]verifier.TokenOption{verifier.WithClock(fixedClock(testNow))}, tc.givenOpts...)...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = v.Verify(context.Background(), tok)
			checkErrs(t, err, tc.expectErr)
		})
	}
}

func TestNewTokenVerifier_options(t *testing.T) {
	e := getEnv(t)
	trusted := verifier.WithTrustedCertificates(e.stsCert)
	tests := []struct {
		name      string
		givenOpts []verifier.TokenOption
		expectErr []error
	}{
		{name: "ok, pinned certificate", givenOpts: []verifier.TokenOption{trusted}},
		{name: "nok, no trust anchors", expectErr: []error{verifier.ErrNoTrustAnchors, verifier.ErrInvalidOption}},
		{name: "nok, nil certificate", givenOpts: []verifier.TokenOption{verifier.WithTrustedCertificates(nil)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, negative skew", givenOpts: []verifier.TokenOption{trusted, verifier.WithClockSkew(-1)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, nil clock", givenOpts: []verifier.TokenOption{trusted, verifier.WithClock(nil)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, SHA-1 signature algorithm", givenOpts: []verifier.TokenOption{trusted, verifier.WithSignatureAlgorithms("http://www.w3.org/2000/09/xmldsig#rsa-sha1")}, expectErr: []error{verifier.ErrInvalidOption, verifier.ErrUnsupportedAlgorithm}},
		{name: "nok, HMAC signature algorithm", givenOpts: []verifier.TokenOption{trusted, verifier.WithSignatureAlgorithms("http://www.w3.org/2000/09/xmldsig#hmac-sha1")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, SHA-1 digest", givenOpts: []verifier.TokenOption{trusted, verifier.WithDigestAlgorithms("http://www.w3.org/2000/09/xmldsig#sha1")}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, zero max size", givenOpts: []verifier.TokenOption{trusted, verifier.WithMaxTokenSize(0)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, negative cache size", givenOpts: []verifier.TokenOption{trusted, verifier.WithCacheSize(-1)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, zero depth", givenOpts: []verifier.TokenOption{trusted, verifier.WithMaxXMLDepth(0)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, zero elements", givenOpts: []verifier.TokenOption{trusted, verifier.WithMaxXMLElements(0)}, expectErr: []error{verifier.ErrInvalidOption}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifier.NewTokenVerifier(tc.givenOpts...)
			checkErrs(t, err, tc.expectErr)
		})
	}
}

func TestLoadCertificatesPEM(t *testing.T) {
	certs, err := verifier.LoadCertificatesPEM(readFixture(t, "sts.crt.pem"))
	if err != nil || len(certs) != 1 || certs[0].Subject.CommonName != "Security Token Service" {
		t.Fatalf("certs %v err %v", certs, err)
	}
	if got := verifier.Fingerprint(certs[0].Raw); !strings.HasPrefix(got, "B1:C0:48:CB:") || !strings.HasSuffix(got, ":D2:47") {
		t.Errorf("fingerprint %s", got)
	}
	_, err = verifier.LoadCertificatesPEM([]byte("no pem here"))
	checkErrs(t, err, []error{verifier.ErrInvalidOption})
	_, err = verifier.LoadCertificatesPEM(readFixture(t, "hok.key.pem"))
	checkErrs(t, err, []error{verifier.ErrInvalidOption})
}

func TestReasonOf(t *testing.T) {
	tests := []struct {
		name         string
		givenErr     error
		expectReason vapisec.Reason
	}{
		{name: "ok, nil", givenErr: nil, expectReason: ""},
		{name: "ok, expired", givenErr: verifier.ErrTokenExpired, expectReason: vapisec.ReasonExpired},
		{name: "ok, not yet valid", givenErr: verifier.ErrTokenNotYetValid, expectReason: vapisec.ReasonNotYetValid},
		{name: "ok, untrusted", givenErr: verifier.ErrUntrustedIssuer, expectReason: vapisec.ReasonUntrustedIssuer},
		{name: "ok, algorithm", givenErr: verifier.ErrUnsupportedAlgorithm, expectReason: vapisec.ReasonUnsupportedAlgorithm},
		{name: "ok, audience", givenErr: verifier.ErrAudienceMismatch, expectReason: vapisec.ReasonAudienceMismatch},
		{name: "ok, malformed", givenErr: verifier.ErrMalformedToken, expectReason: vapisec.ReasonMalformed},
		{name: "ok, bad signature", givenErr: verifier.ErrBadSignature, expectReason: vapisec.ReasonBadSignature},
		{name: "ok, unknown error", givenErr: errors.New("x"), expectReason: vapisec.ReasonBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := verifier.ReasonOf(tc.givenErr); got != tc.expectReason {
				t.Errorf("ReasonOf = %q, want %q", got, tc.expectReason)
			}
		})
	}
	// Real errors from Verify.
	e := getEnv(t)
	v := newVerifier(t, e, verifier.WithMaxTokenSize(10))
	_, err := v.Verify(context.Background(), bytes.Repeat([]byte("x"), 11))
	if got := verifier.ReasonOf(err); got != vapisec.ReasonMalformed {
		t.Errorf("too large: %q", got)
	}
}

func TestParseTokenUnverified(t *testing.T) {
	tok := readFixture(t, "samlToken.xml")
	got, err := verifier.ParseTokenUnverified(replaced(t, tok, "root@localos", "evil@localos"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject.Name != "evil" || got.HoKCertificateSHA256 != fixtureHoKSHA256 {
		t.Errorf("token %+v", got)
	}
	_, err = verifier.ParseTokenUnverified(append([]byte("<!DOCTYPE x>"), tok...))
	checkErrs(t, err, []error{verifier.ErrUnsafeXML})
	_, err = verifier.ParseTokenUnverified([]byte("<a/>"))
	checkErrs(t, err, []error{verifier.ErrNotAssertion})
}

func TestToken_Info(t *testing.T) {
	v := fixtureVerifier(t)
	tok, err := v.Verify(context.Background(), readFixture(t, "samlToken.xml"))
	if err != nil {
		t.Fatal(err)
	}
	info := tok.Info()
	if info.ID != tok.ID || info.Issuer != tok.Issuer || info.HoKCertificateSHA256 != fixtureHoKSHA256 ||
		info.Confirmation != vapisec.ConfirmationHolderOfKey || !info.NotOnOrAfter.Equal(tok.NotOnOrAfter) {
		t.Errorf("info %+v", info)
	}
}

// attrFlood returns n attributes a0="" … for one start tag.
func attrFlood(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` a%d=""`, i)
	}
	return b.String()
}
