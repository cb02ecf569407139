package vapisec_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"testing"

	"github.com/vapisec/vapisec"
)

func pemBlock(t *testing.T, typ string, der []byte, headers map[string]string) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: headers, Bytes: der})
}

func TestParsePrivateKeyPEM(t *testing.T) {
	pkcs8RSA, err := os.ReadFile("testdata/vcf-sdk-java/hok.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	certPEM, err := os.ReadFile("testdata/vcf-sdk-java/hok.crt.pem")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(pkcs8RSA)
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := k.(*rsa.PrivateKey)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8EC, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8Ed, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := pemBlock(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey), nil)
	ecParams := pemBlock(t, "EC PARAMETERS", []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, nil)
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}

	tests := []struct {
		name      string
		given     []byte
		expectKey crypto.PublicKey
		expectErr []error
	}{
		{name: "ok, PKCS#8 RSA", given: pkcs8RSA, expectKey: rsaKey.Public()},
		{name: "ok, PKCS#1 RSA", given: pkcs1, expectKey: rsaKey.Public()},
		{name: "ok, SEC 1 EC", given: pemBlock(t, "EC PRIVATE KEY", sec1, nil), expectKey: ecKey.Public()},
		{name: "ok, openssl ecparam -genkey output (EC PARAMETERS, then the key)", given: cat(ecParams, pemBlock(t, "EC PRIVATE KEY", sec1, nil)), expectKey: ecKey.Public()},
		{name: "ok, PKCS#8 EC", given: pemBlock(t, "PRIVATE KEY", pkcs8EC, nil), expectKey: ecKey.Public()},
		{name: "ok, certificate first, then the key", given: cat(certPEM, pkcs8RSA), expectKey: rsaKey.Public()},
		{name: "ok, explanatory text around the block (RFC 7468 §2)", given: cat([]byte("Bag Attributes\n    friendlyName: hok\n"), pkcs8RSA, []byte("trailing notes\n")), expectKey: rsaKey.Public()},
		{name: "nok, nothing", given: []byte("nothing"), expectErr: []error{vapisec.ErrInvalidKeyPEM}},
		{name: "nok, empty", given: nil, expectErr: []error{vapisec.ErrInvalidKeyPEM}},
		{name: "nok, certificate only", given: certPEM, expectErr: []error{vapisec.ErrInvalidKeyPEM}},
		{name: "nok, two private keys (which one is meant?)", given: cat(pkcs8RSA, pemBlock(t, "EC PRIVATE KEY", sec1, nil)), expectErr: []error{vapisec.ErrInvalidKeyPEM}},
		{name: "nok, PKCS#8 encrypted", given: pemBlock(t, "ENCRYPTED PRIVATE KEY", []byte{0x30, 0x00}, nil), expectErr: []error{vapisec.ErrInvalidKeyPEM}},
		{name: "nok, RFC 1421 encrypted PKCS#1", given: pemBlock(t, "RSA PRIVATE KEY", []byte{0x30, 0x00}, map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00000000000000000000000000000000"}), expectErr: []error{vapisec.ErrInvalidKeyPEM}},
		{name: "nok, Ed25519 (no vAPI algorithm)", given: pemBlock(t, "PRIVATE KEY", pkcs8Ed, nil), expectErr: []error{vapisec.ErrInvalidKeyPEM}},
		{name: "nok, OpenSSH key block", given: pemBlock(t, "OPENSSH PRIVATE KEY", []byte("openssh-key-v1\x00"), nil), expectErr: []error{vapisec.ErrInvalidKeyPEM}},
		{name: "nok, corrupt DER", given: pemBlock(t, "PRIVATE KEY", []byte{0x30, 0x03, 0x02, 0x01}, nil), expectErr: []error{vapisec.ErrInvalidKeyPEM}},
		{name: "nok, PKCS#8 DER under the PKCS#1 label", given: pemBlock(t, "RSA PRIVATE KEY", pkcs8EC, nil), expectErr: []error{vapisec.ErrInvalidKeyPEM}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := vapisec.ParsePrivateKeyPEM(tt.given)
			for _, want := range tt.expectErr {
				if !errors.Is(err, want) {
					t.Errorf("err %v, want %v", err, want)
				}
			}
			if len(tt.expectErr) > 0 {
				if key != nil {
					t.Errorf("key %T returned with an error", key)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(tt.expectKey) {
				t.Errorf("public key %T does not match", key.Public())
			}
		})
	}
}

// FuzzParsePrivateKeyPEM looks for panics, and checks that a key and an
// error never come together.
func FuzzParsePrivateKeyPEM(f *testing.F) {
	if b, err := os.ReadFile("testdata/vcf-sdk-java/hok.key.pem"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := vapisec.ParsePrivateKeyPEM(data)
		if (key == nil) == (err == nil) {
			t.Fatalf("key %T, err %v", key, err)
		}
		if err != nil && !errors.Is(err, vapisec.ErrInvalidKeyPEM) {
			t.Fatalf("err %v does not match ErrInvalidKeyPEM", err)
		}
	})
}
