package signer_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/canonical"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/signer"
	"github.com/vapisec/vapisec/sts"
)

const fixtureDir = "../testdata/vcf-sdk-java"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hokKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := vapisec.ParsePrivateKeyPEM(readFixture(t, "hok.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func fixedClock(s string) func() time.Time {
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return at }
}

// signed is what a verifier reads back from a signed JSON-RPC request.
type signed struct {
	tbs       []byte // canonical request without the signature
	alg       string
	scheme    string
	samlToken string
	value     []byte
	created   string
	expires   string
}

// readSigned takes a signed request apart the way spec §7.4 says a verifier
// does: drop params.ctx.securityCtx.signature and canonicalize the rest.
func readSigned(t testing.TB, req []byte) signed {
	t.Helper()
	res, err := verifyCanon.AppendResult(nil, req)
	if err != nil {
		t.Fatalf("canonicalize signed request: %v", err)
	}
	if !res.Dropped {
		t.Fatalf("no signature in %s", req)
	}
	var sig struct {
		SAMLToken string `json:"samlToken"`
		Value     string `json:"value"`
	}
	if err := json.Unmarshal(res.DroppedValue, &sig); err != nil {
		t.Fatal(err)
	}
	var env struct {
		Params struct {
			Ctx struct {
				SecurityCtx struct {
					SchemeID  string `json:"schemeId"`
					Alg       string `json:"signatureAlgorithm"`
					Timestamp struct {
						Created string `json:"created"`
						Expires string `json:"expires"`
					} `json:"timestamp"`
				} `json:"securityCtx"`
			} `json:"ctx"`
		} `json:"params"`
	}
	if err := json.Unmarshal(req, &env); err != nil {
		t.Fatal(err)
	}
	v, err := base64.StdEncoding.Strict().DecodeString(sig.Value)
	if err != nil {
		t.Fatalf("signature value is not strict standard base64: %v", err)
	}
	sc := env.Params.Ctx.SecurityCtx
	return signed{tbs: res.Canonical, alg: sc.Alg, scheme: sc.SchemeID, samlToken: sig.SAMLToken, value: v, created: sc.Timestamp.Created, expires: sc.Timestamp.Expires}
}

var verifyCanon, _ = canonical.New(canonical.WithoutMember("params", "ctx", "securityCtx", "signature"))

var hashes = map[string]crypto.Hash{"RS256": crypto.SHA256, "RS384": crypto.SHA384, "RS512": crypto.SHA512, "ES256": crypto.SHA256, "ES384": crypto.SHA384, "ES512": crypto.SHA512}

// verifySignature checks s.value over s.tbs with pub, per s.alg.
func verifySignature(t testing.TB, s signed, pub crypto.PublicKey) {
	t.Helper()
	h, ok := hashes[s.alg]
	if !ok {
		t.Fatalf("unknown algorithm %q", s.alg)
	}
	d := h.New()
	d.Write(s.tbs)
	sum := d.Sum(nil)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(k, h, sum, s.value); err != nil {
			t.Fatalf("RSA signature does not verify: %v", err)
		}
	case *ecdsa.PublicKey:
		var rs struct{ R, S *big.Int }
		rest, err := asn1.Unmarshal(s.value, &rs)
		if err != nil || len(rest) != 0 {
			t.Fatalf("ECDSA signature is not one ASN.1 DER SEQUENCE: %v (rest %d)", err, len(rest))
		}
		if der, _ := asn1.Marshal(rs); string(der) != string(s.value) {
			t.Fatal("ECDSA signature is not in DER form")
		}
		if !ecdsa.VerifyASN1(k, sum, s.value) {
			t.Fatal("ECDSA signature does not verify")
		}
	default:
		t.Fatalf("unexpected key %T", pub)
	}
}

// testPKI is a development STS.
type testPKI struct {
	sts *sts.STS
}

var (
	pkiOnce sync.Once
	pki     testPKI
	pkiErr  error
	keyMu   sync.Mutex
	keys    = map[signer.Algorithm]crypto.Signer{}
)

func getPKI(t testing.TB) testPKI {
	t.Helper()
	pkiOnce.Do(func() {
		now := time.Now()
		k, c, err := sts.GenerateKeyPair("Test STS", now.Add(-time.Hour), now.Add(24*time.Hour))
		if err != nil {
			pkiErr = err
			return
		}
		pki.sts, pkiErr = sts.New(k, c)
	})
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pki
}

// keyFor returns a (cached) fresh key fitting alg: one RSA-2048 key for the
// RS* algorithms, a key on the matching curve for ES*.
func keyFor(t testing.TB, alg signer.Algorithm) crypto.Signer {
	t.Helper()
	keyMu.Lock()
	defer keyMu.Unlock()
	kind := alg
	switch alg {
	case signer.RS256, signer.RS384, signer.RS512:
		kind = signer.RS256
	}
	if k, ok := keys[kind]; ok {
		return k
	}
	var k crypto.Signer
	var err error
	switch kind {
	case signer.RS256:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case signer.ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case signer.ES384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case signer.ES512:
		k, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	keys[kind] = k
	return k
}

// hokToken issues a holder-of-key token for key's public key, returning the
// token XML and its confirmation certificate.
func hokToken(t testing.TB, key crypto.Signer) ([]byte, *x509.Certificate) {
	t.Helper()
	p := getPKI(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "hok"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := p.sts.Issue(sts.IssueRequest{Subject: "alice@vsphere.local", HoKCertificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	return tok, cert
}

// verifySIGN checks a HoK SIGN header the way spec §8.2 says a server does.
func verifySIGN(t testing.TB, h *parser.SignHeader, req *http.Request, body []byte, pub crypto.PublicKey) {
	t.Helper()
	sum := sha256.Sum256(body)
	if h.BodyHash != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("bodyhash %q", h.BodyHash)
	}
	hs := map[string]crypto.Hash{"RSA-SHA256": crypto.SHA256, "RSA-SHA384": crypto.SHA384, "RSA-SHA512": crypto.SHA512}[h.SignatureAlg]
	if hs == 0 {
		t.Fatalf("signature_alg %q", h.SignatureAlg)
	}
	d := hs.New()
	d.Write(signer.NormalizedRequest(h.Nonce, req.Method, req.URL, sum))
	sig, err := base64.StdEncoding.DecodeString(h.Signature)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), hs, d.Sum(nil), sig); err != nil {
		t.Fatalf("SIGN signature does not verify: %v", err)
	}
}
