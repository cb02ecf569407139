package client_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/signer"
	"github.com/vapisec/vapisec/sts"
)

var (
	pkiOnce sync.Once
	pkiSTS  *sts.STS
	pkiKey  crypto.Signer
	pkiErr  error
)

// getPKI returns a test STS and one RSA-2048 key for holder-of-key tokens,
// both made once.
func getPKI(t testing.TB) (*sts.STS, crypto.Signer) {
	t.Helper()
	pkiOnce.Do(func() {
		now := time.Now()
		k, c, err := sts.GenerateKeyPair("Test STS", now.Add(-time.Hour), now.Add(24*time.Hour))
		if err != nil {
			pkiErr = err
			return
		}
		if pkiSTS, pkiErr = sts.New(k, c); pkiErr != nil {
			return
		}
		pkiKey, pkiErr = rsa.GenerateKey(rand.Reader, 2048)
	})
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiSTS, pkiKey
}

// rsaKey returns the (cached) RSA-2048 holder-of-key key.
func rsaKey(t testing.TB) crypto.Signer {
	t.Helper()
	_, k := getPKI(t)
	return k
}

// hokToken issues a holder-of-key token for key's public key, returning the
// token XML and its confirmation certificate.
func hokToken(t testing.TB, key crypto.Signer) ([]byte, *x509.Certificate) {
	t.Helper()
	s, _ := getPKI(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "hok"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Issue(sts.IssueRequest{Subject: "alice@vsphere.local", HoKCertificate: cert})
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
