package verifier_test

import (
	"context"
	"errors"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
	vapisec "github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/verifier"
)

// FuzzVerifySOAPLogin mutates signed LoginByToken envelopes. Oracle:
// VerifySOAPLogin never panics; a refusal wraps one of the package's
// category sentinels; an acceptance is only of an envelope whose signed
// parts — the exclusive canonical form of the Envelope's Body and of the
// Security header's Timestamp, found here by a lookup of its own — and
// principal are those of the original it was mutated from.
func FuzzVerifySOAPLogin(f *testing.F) {
	e := getReqEnv(f)
	hok := signEnvelope(f, e, wsReq{})
	bearer := signEnvelope(f, e, wsReq{token: e.bearer, bearer: true})
	f.Add(hok)
	f.Add(bearer)
	f.Add(signEnvelope(f, e, wsReq{sigAlg: verifier.SignatureRSASHA512, digest: verifier.DigestSHA512}))
	f.Add(readWSFixture(f, "govmomi-loginbytoken-hok.xml"))
	wantHoK, wantHoKOK := signedParts(hok)
	if _, ok := signedParts(bearer); !ok || !wantHoKOK {
		f.Fatal("seed envelopes without signed parts")
	}
	categories := []error{
		verifier.ErrMalformedRequest, verifier.ErrMalformedToken, verifier.ErrBadSignature, verifier.ErrUntrustedIssuer,
		verifier.ErrTokenExpired, verifier.ErrTokenNotYetValid, verifier.ErrAudienceMismatch, verifier.ErrUnsupportedAlgorithm,
		verifier.ErrNotSigned, verifier.ErrSchemeNotAllowed, verifier.ErrConfirmationMismatch, verifier.ErrRequestAlgorithm,
		verifier.ErrRequestSignature, verifier.ErrHostNotAllowed, verifier.ErrRequestExpired, verifier.ErrRequestNotYetValid,
		verifier.ErrTimestampWindow, verifier.ErrReplayed, verifier.ErrStoreUnavailable,
	}
	f.Fuzz(func(t *testing.T, env []byte) {
		rv := newRequestVerifier(t, e, verifier.WithAllowBearer(true), verifier.WithReplayCacheSize(16))
		res, err := rv.VerifySOAPLogin(context.Background(), env, wsHost)
		if err != nil {
			for _, c := range categories {
				if errors.Is(err, c) {
					return
				}
			}
			t.Fatalf("error outside the categories: %v", err)
		}
		got, ok := signedParts(env)
		if !ok {
			t.Fatalf("accepted an envelope without a Body and Timestamp of its own:\n%s", env)
		}
		if res.SecurityContext.Principal.Name != "Administrator" {
			t.Fatalf("accepted principal %+v", res.SecurityContext.Principal)
		}
		// A bearer login signs nothing: only its token is checked.
		if res.Token.Confirmation == vapisec.ConfirmationHolderOfKey && got != wantHoK {
			t.Fatalf("accepted an envelope whose signed parts differ:\n got %+v\nwant %+v", got, wantHoK)
		}
	})
}

// parts are the canonical signed parts of an envelope.
type parts struct{ body, timestamp string }

// signedParts finds, independently of the verifier, the Envelope's Body
// and the Timestamp of its Header's Security element, and returns their
// exclusive canonical forms.
func signedParts(env []byte) (parts, bool) {
	doc := etree.NewDocument()
	if doc.ReadFromBytes(env) != nil || doc.Root() == nil {
		return parts{}, false
	}
	var p parts
	var n int
	for _, c := range doc.Root().ChildElements() {
		switch {
		case c.Tag == "Body" && c.NamespaceURI() == wsSOAP:
			p.body = excC14N(c)
			n++
		case c.Tag == "Header" && c.NamespaceURI() == wsSOAP:
			for _, s := range c.ChildElements() {
				if s.Tag != "Security" || s.NamespaceURI() != wsWSSE {
					continue
				}
				for _, ts := range s.ChildElements() {
					if ts.Tag == "Timestamp" && ts.NamespaceURI() == wsWSU {
						p.timestamp = excC14N(ts)
						n++
					}
				}
			}
		}
	}
	return p, n == 2 && p.body != "" && p.timestamp != ""
}

func excC14N(el *etree.Element) string {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return ""
	}
	d, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		return ""
	}
	b, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(d)
	if err != nil {
		return ""
	}
	return string(b)
}
