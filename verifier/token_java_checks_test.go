package verifier_test

import (
	"context"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// javaCheckCase is a token signed by the trusted STS after alter changed
// it: only the verifier's SAML checks can stop it.
type javaCheckCase struct {
	name      string
	givenReq  func(e *testEnv) sts.IssueRequest
	givenEdit func(r *etree.Element)
	expectErr []error
}

func runJavaCheckCases(t *testing.T, tests []javaCheckCase) {
	t.Helper()
	e := getEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := hokRequest(e)
			if tc.givenReq != nil {
				req = tc.givenReq(e)
			}
			tok := signedWith(t, e, req, tc.givenEdit)
			if _, err := bareValidate(tok, e.stsCert, testNow); err != nil {
				t.Fatalf("attack token does not carry a valid signature: %v", err)
			}
			got, err := newVerifier(t, e).Verify(context.Background(), tok)
			checkErrs(t, err, tc.expectErr)
			if err != nil && got != nil {
				t.Error("token returned with an error")
			}
		})
	}
}

func setAttr(path, key, value string) func(r *etree.Element) {
	return func(r *etree.Element) {
		el := r
		if path != "." {
			el = r.FindElement(path)
		}
		el.CreateAttr(key, value)
	}
}

func stamp(d time.Duration) string { return testNow.Add(d).UTC().Format("2006-01-02T15:04:05.000Z") }

// A token dated after now (an STS with a fast clock, or a token minted for
// later use) is refused, as the Java runtime's InvalidTimingException does.
func TestTokenIssuedInTheFutureIsRejected(t *testing.T) {
	skew := verifier.DefaultClockSkew
	runJavaCheckCases(t, []javaCheckCase{
		{name: "ok, IssueInstant equals now"},
		{name: "ok, IssueInstant now plus skew, NotBefore and AuthnInstant too", givenEdit: func(r *etree.Element) {
			r.CreateAttr("IssueInstant", stamp(skew))
			r.FindElement("./saml2:Conditions").CreateAttr("NotBefore", stamp(skew))
			r.FindElement("./saml2:AuthnStatement").CreateAttr("AuthnInstant", stamp(skew))
		}},
		{name: "nok, IssueInstant one millisecond after now plus skew", givenEdit: func(r *etree.Element) {
			// NotBefore and AuthnInstant within skew of now and of the
			// IssueInstant: only the IssueInstant is out of bounds.
			r.CreateAttr("IssueInstant", stamp(skew+time.Millisecond))
			r.FindElement("./saml2:Conditions").CreateAttr("NotBefore", stamp(skew))
			r.FindElement("./saml2:AuthnStatement").CreateAttr("AuthnInstant", stamp(skew))
		}, expectErr: []error{verifier.ErrTokenTiming, verifier.ErrTokenNotYetValid}},
		{name: "nok, IssueInstant missing", givenEdit: func(r *etree.Element) { r.RemoveAttr("IssueInstant") },
			expectErr: []error{verifier.ErrMalformedToken}},
		{name: "nok, IssueInstant not a dateTime", givenEdit: setAttr(".", "IssueInstant", "tomorrow"),
			expectErr: []error{verifier.ErrMalformedToken}},
	})
}

// A token whose IssueInstant lies after the start of its own validity or
// after the authentication it records (timing divergence, Java's
// InvalidTimingException) is refused: the instants of a genuine token
// cannot contradict each other.
func TestTokenWithDivergentTimingIsRejected(t *testing.T) {
	skew := verifier.DefaultClockSkew
	backdated := func(d time.Duration) func(r *etree.Element) {
		return func(r *etree.Element) {
			r.FindElement("./saml2:Conditions").CreateAttr("NotBefore", stamp(-d))
			r.FindElement("./saml2:AuthnStatement").CreateAttr("AuthnInstant", stamp(-d))
		}
	}
	runJavaCheckCases(t, []javaCheckCase{
		{name: "ok, NotBefore and AuthnInstant skew before IssueInstant", givenEdit: backdated(skew)},
		{name: "ok, NotBefore and AuthnInstant after IssueInstant", givenEdit: func(r *etree.Element) {
			r.FindElement("./saml2:Conditions").CreateAttr("NotBefore", stamp(time.Minute))
			r.FindElement("./saml2:AuthnStatement").CreateAttr("AuthnInstant", stamp(time.Minute))
		}},
		{name: "nok, IssueInstant after NotBefore plus skew", givenEdit: func(r *etree.Element) {
			r.FindElement("./saml2:Conditions").CreateAttr("NotBefore", stamp(-skew-time.Millisecond))
		}, expectErr: []error{verifier.ErrTokenTiming, verifier.ErrMalformedToken}},
		{name: "nok, IssueInstant after AuthnInstant plus skew", givenEdit: func(r *etree.Element) {
			r.FindElement("./saml2:AuthnStatement").CreateAttr("AuthnInstant", stamp(-skew-time.Millisecond))
		}, expectErr: []error{verifier.ErrTokenTiming, verifier.ErrMalformedToken}},
		{name: "nok, IssueInstant after the earlier of two AuthnInstants plus skew", givenEdit: func(r *etree.Element) {
			a := r.FindElement("./saml2:AuthnStatement")
			b := a.Copy()
			b.CreateAttr("AuthnInstant", stamp(-2*skew))
			r.InsertChildAt(a.Index()+1, b)
		}, expectErr: []error{verifier.ErrTokenTiming}},
		{name: "ok, AuthnInstant skew after IssueInstant", givenEdit: func(r *etree.Element) {
			r.FindElement("./saml2:AuthnStatement").CreateAttr("AuthnInstant", stamp(skew))
		}},
		{name: "nok, AuthnInstant after IssueInstant plus skew (authenticated after issue)", givenEdit: func(r *etree.Element) {
			r.FindElement("./saml2:AuthnStatement").CreateAttr("AuthnInstant", stamp(skew+time.Millisecond))
		}, expectErr: []error{verifier.ErrTokenTiming, verifier.ErrMalformedToken}},
		{name: "nok, AuthnStatement without AuthnInstant", givenEdit: func(r *etree.Element) {
			r.FindElement("./saml2:AuthnStatement").RemoveAttr("AuthnInstant")
		}, expectErr: []error{verifier.ErrMalformedToken}},
	})
}

// A NameID in a format SAML 2.0 core §8.3 does not define (and that is not
// vCenter's UPN) is refused: an issuer-private format has no agreed meaning
// for the principal it names.
func TestNameIDWithUndefinedFormatIsRejected(t *testing.T) {
	nameID := "./saml2:Subject/saml2:NameID"
	tests := []javaCheckCase{
		{name: "ok, vCenter UPN format"},
		{name: "ok, no Format (unspecified)", givenEdit: func(r *etree.Element) { r.FindElement(nameID).RemoveAttr("Format") }},
		{name: "nok, issuer-private format", givenEdit: setAttr(nameID, "Format", "urn:evil:nameid-format:admin"),
			expectErr: []error{verifier.ErrNameIDFormat, verifier.ErrMalformedToken}},
		{name: "nok, SAML 2.0 URN for a format core defines under 1.1", givenEdit: setAttr(nameID, "Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:emailAddress"),
			expectErr: []error{verifier.ErrNameIDFormat}},
		{name: "nok, format in the wrong case", givenEdit: setAttr(nameID, "Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:Persistent"),
			expectErr: []error{verifier.ErrNameIDFormat}},
		{name: "nok, empty Format", givenEdit: setAttr(nameID, "Format", ""),
			expectErr: []error{verifier.ErrNameIDFormat}},
	}
	for _, f := range []string{
		"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
		"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
		"urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName",
		"urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName",
		"urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos",
		"urn:oasis:names:tc:SAML:2.0:nameid-format:entity",
		"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
		"urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
	} {
		tests = append(tests, javaCheckCase{name: "ok, core format " + f, givenEdit: setAttr(nameID, "Format", f)})
	}
	runJavaCheckCases(t, tests)
}

// An Attribute whose NameFormat is not one of SAML 2.0 core §8.2's three is
// refused, whichever attribute carries it.
func TestAttributeWithUndefinedNameFormatIsRejected(t *testing.T) {
	group := "./saml2:AttributeStatement/saml2:Attribute[@FriendlyName='Group']"
	other := "./saml2:AttributeStatement/saml2:Attribute[@FriendlyName='Subject Type']"
	runJavaCheckCases(t, []javaCheckCase{
		{name: "ok, uri"},
		{name: "ok, basic", givenEdit: setAttr(group, "NameFormat", "urn:oasis:names:tc:SAML:2.0:attrname-format:basic")},
		{name: "ok, unspecified", givenEdit: setAttr(group, "NameFormat", "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified")},
		{name: "ok, no NameFormat", givenEdit: func(r *etree.Element) { r.FindElement(group).RemoveAttr("NameFormat") }},
		{name: "nok, private NameFormat on the groups", givenEdit: setAttr(group, "NameFormat", "urn:evil:attrname-format:trusted"),
			expectErr: []error{verifier.ErrAttributeNameFormat, verifier.ErrMalformedToken}},
		{name: "nok, private NameFormat on an attribute the verifier ignores", givenEdit: setAttr(other, "NameFormat", "urn:oasis:names:tc:SAML:1.1:attrname-format:uri"),
			expectErr: []error{verifier.ErrAttributeNameFormat}},
	})
}

// A NameID padded with whitespace would create a principal that differs
// from a real one (" administrator@vsphere.local") only by spaces; it is
// refused rather than trimmed.
func TestNameIDPaddedWithWhitespaceIsRejected(t *testing.T) {
	subject := func(s string) func(e *testEnv) sts.IssueRequest {
		return func(e *testEnv) sts.IssueRequest {
			req := hokRequest(e)
			req.Subject = s
			return req
		}
	}
	runJavaCheckCases(t, []javaCheckCase{
		{name: "ok, inner space", givenReq: subject("Admin Istrator@vsphere.local")},
		{name: "nok, leading space", givenReq: subject(" Administrator@vsphere.local"),
			expectErr: []error{verifier.ErrNameIDWhitespace, verifier.ErrMalformedToken}},
		{name: "nok, trailing space", givenReq: subject("Administrator@vsphere.local "), expectErr: []error{verifier.ErrNameIDWhitespace}},
		{name: "nok, trailing newline", givenReq: subject("Administrator@vsphere.local\n"), expectErr: []error{verifier.ErrNameIDWhitespace}},
		{name: "nok, leading tab", givenReq: subject("\tAdministrator@vsphere.local"), expectErr: []error{verifier.ErrNameIDWhitespace}},
		{name: "nok, trailing no-break space", givenReq: subject("Administrator@vsphere.local\u00a0"), expectErr: []error{verifier.ErrNameIDWhitespace}},
		{name: "nok, leading ideographic space", givenReq: subject("\u3000Administrator@vsphere.local"), expectErr: []error{verifier.ErrNameIDWhitespace}},
		{name: "nok, space before the domain separator", givenReq: subject("Administrator @vsphere.local"), expectErr: []error{verifier.ErrNameIDWhitespace}},
		{name: "nok, space after the domain separator", givenReq: subject("Administrator@ vsphere.local"), expectErr: []error{verifier.ErrNameIDWhitespace}},
		{name: "nok, space around a down-level separator", givenReq: subject("VSPHERE.LOCAL\\ Administrator"), expectErr: []error{verifier.ErrNameIDWhitespace}},
	})
}
