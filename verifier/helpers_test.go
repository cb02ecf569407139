package verifier_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// testNow is the clock of every test that does not use the fixtures.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fixtureNow lies inside the validity of the vcf-sdk-java samlToken.xml.
var fixtureNow = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const fixtureHoKSHA256 = "1A:8B:0E:C3:31:6D:34:2D:CE:BD:5D:00:4A:B1:55:1B:15:2C:52:22:D6:90:04:CB:25:F2:AB:DB:E9:FF:B3:18"

// testEnv holds the keys of the tests: the trusted development STS, a second
// ("evil") STS nobody trusts, and a holder-of-key certificate.
type testEnv struct {
	stsKey   crypto.Signer
	stsCert  *x509.Certificate
	sts      *sts.STS
	evilCert *x509.Certificate
	evil     *sts.STS
	hokCert  *x509.Certificate
}

var (
	envOnce sync.Once
	envVal  *testEnv
	envErr  error
)

func getEnv(tb testing.TB) *testEnv {
	tb.Helper()
	envOnce.Do(func() {
		e := &testEnv{}
		from, to := testNow.Add(-365*24*time.Hour), testNow.Add(365*24*time.Hour)
		var evilKey crypto.Signer
		if e.stsKey, e.stsCert, envErr = sts.GenerateKeyPair("Security Token Service", from, to); envErr != nil {
			return
		}
		if evilKey, e.evilCert, envErr = sts.GenerateKeyPair("Security Token Service", from, to); envErr != nil {
			return
		}
		if _, e.hokCert, envErr = sts.GenerateKeyPair("User1", from, to); envErr != nil {
			return
		}
		clock := func() time.Time { return testNow }
		if e.sts, envErr = sts.New(e.stsKey, e.stsCert, sts.WithClock(clock)); envErr != nil {
			return
		}
		if e.evil, envErr = sts.New(evilKey, e.evilCert, sts.WithClock(clock)); envErr != nil {
			return
		}
		envVal = e
	})
	if envErr != nil {
		tb.Fatal(envErr)
	}
	return envVal
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// newVerifier returns a verifier trusting the test STS at testNow; opts
// come after (and may override) those defaults.
func newVerifier(tb testing.TB, e *testEnv, opts ...verifier.TokenOption) *verifier.TokenVerifier {
	tb.Helper()
	all := append([]verifier.TokenOption{verifier.WithTrustedCertificates(e.stsCert), verifier.WithClock(fixedClock(testNow))}, opts...)
	v, err := verifier.NewTokenVerifier(all...)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// hokRequest is the usual holder-of-key request.
func hokRequest(e *testEnv) sts.IssueRequest {
	return sts.IssueRequest{
		Subject:        "Administrator@vsphere.local",
		Groups:         []string{`vsphere.local\Administrators`, `vsphere.local\Everyone`},
		HoKCertificate: e.hokCert,
		Delegable:      true,
		Renewable:      true,
	}
}

func issue(tb testing.TB, s *sts.STS, req sts.IssueRequest) []byte {
	tb.Helper()
	tok, err := s.Issue(req)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// signedWith builds the assertion for req, lets alter change it, then signs
// it with the trusted STS key: the result carries a valid signature by a
// trusted key, so only the verifier's other checks can stop it.
func signedWith(tb testing.TB, e *testEnv, req sts.IssueRequest, alter func(root *etree.Element)) []byte {
	tb.Helper()
	root, err := e.sts.Build(req)
	if err != nil {
		tb.Fatal(err)
	}
	if alter != nil {
		alter(root)
	}
	if err := e.sts.Sign(root); err != nil {
		tb.Fatal(err)
	}
	return serialize(tb, root)
}

func serialize(tb testing.TB, root *etree.Element) []byte {
	tb.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(root)
	b, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// edited parses a token, lets alter change it and serializes it again
// (without signing it again).
func edited(tb testing.TB, tok []byte, alter func(root *etree.Element)) []byte {
	tb.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(tok); err != nil {
		tb.Fatal(err)
	}
	root := doc.Root()
	alter(root)
	return serialize(tb, root.Copy())
}

func mustFind(tb testing.TB, root *etree.Element, path string) *etree.Element {
	tb.Helper()
	el := root.FindElement(path)
	if el == nil {
		tb.Fatalf("no %s", path)
	}
	return el
}

func replaced(tb testing.TB, tok []byte, old, new string) []byte {
	tb.Helper()
	if !bytes.Contains(tok, []byte(old)) {
		tb.Fatalf("token does not contain %q", old)
	}
	return bytes.Replace(tok, []byte(old), []byte(new), 1)
}

// bareValidate is what a verifier without the pre-checks does: etree parse
// and goxmldsig Validate with the trusted certificate.
func bareValidate(tok []byte, cert *x509.Certificate, now time.Time) (*etree.Element, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(tok); err != nil {
		return nil, err
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	vc.Clock = dsig.NewFakeClockAt(now)
	return vc.Validate(doc.Root())
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("../testdata/vcf-sdk-java/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func fixtureVerifier(tb testing.TB, opts ...verifier.TokenOption) *verifier.TokenVerifier {
	tb.Helper()
	certs, err := verifier.LoadCertificatesPEM(readFixture(tb, "sts.crt.pem"))
	if err != nil {
		tb.Fatal(err)
	}
	all := append([]verifier.TokenOption{verifier.WithTrustedCertificates(certs...), verifier.WithClock(fixedClock(fixtureNow))}, opts...)
	v, err := verifier.NewTokenVerifier(all...)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// issueLeaf returns a leaf certificate for leafKey issued by the CA.
func issueLeaf(tb testing.TB, caKey crypto.Signer, caCert *x509.Certificate, leafKey crypto.Signer) *x509.Certificate {
	tb.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "STS leaf"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, leafKey.Public(), caKey)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return leaf
}

// issueLeafWith returns a leaf certificate for leafKey issued by the CA,
// built from issueLeaf's template after edit changed it (names, key usage).
func issueLeafWith(tb testing.TB, caKey crypto.Signer, caCert *x509.Certificate, leafKey crypto.Signer, edit func(tmpl *x509.Certificate)) *x509.Certificate {
	tb.Helper()
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "STS leaf"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, leafKey.Public(), caKey)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return leaf
}

// stsFor returns an STS signing with key under cert at testNow.
func stsFor(tb testing.TB, key crypto.Signer, cert *x509.Certificate) *sts.STS {
	tb.Helper()
	s, err := sts.New(key, cert, sts.WithClock(fixedClock(testNow)))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
