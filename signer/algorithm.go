package signer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
)

// Algorithm is a JSON-RPC signatureAlgorithm name (spec §7.1), with the
// golang-jwt names. Names are case-sensitive, as Java 2025's valueOf is.
type Algorithm string

// The signature algorithms a JSON-RPC signer can produce (DESIGN.md Q15).
const (
	// RS256 is RSASSA-PKCS1-v1_5 with SHA-256, the default and the only
	// algorithm every vAPI runtime verifies.
	RS256 Algorithm = "RS256"
	// RS384 is RSASSA-PKCS1-v1_5 with SHA-384.
	RS384 Algorithm = "RS384"
	// RS512 is RSASSA-PKCS1-v1_5 with SHA-512.
	RS512 Algorithm = "RS512"
	// ES256 is ECDSA on P-256 with SHA-256, ASN.1 DER signature.
	ES256 Algorithm = "ES256"
	// ES384 is ECDSA on P-384 with SHA-384, ASN.1 DER signature.
	ES384 Algorithm = "ES384"
	// ES512 is ECDSA on P-521 with SHA-512, ASN.1 DER signature.
	ES512 Algorithm = "ES512"
)

// DefaultAlgorithm is the algorithm used when none is configured (Java's
// JsonSignatureAlgorithm.getDefault()).
const DefaultAlgorithm = RS256

// Algorithms returns the six algorithms, RSA first.
func Algorithms() []Algorithm { return []Algorithm{RS256, RS384, RS512, ES256, ES384, ES512} }

// ParseAlgorithm returns the Algorithm named s exactly (case-sensitive);
// any other name gives ErrUnsupportedAlgorithm.
func ParseAlgorithm(s string) (Algorithm, error) {
	a := Algorithm(s)
	if _, ok := a.params(); !ok {
		return "", fmt.Errorf("%w: %.40q", ErrUnsupportedAlgorithm, s)
	}
	return a, nil
}

// String returns the name.
func (a Algorithm) String() string { return string(a) }

// algParams describes an algorithm: its hash, and for ECDSA its curve.
type algParams struct {
	hash  crypto.Hash
	curve elliptic.Curve // nil for RSA
}

func (a Algorithm) params() (algParams, bool) {
	switch a {
	case RS256:
		return algParams{hash: crypto.SHA256}, true
	case RS384:
		return algParams{hash: crypto.SHA384}, true
	case RS512:
		return algParams{hash: crypto.SHA512}, true
	case ES256:
		return algParams{hash: crypto.SHA256, curve: elliptic.P256()}, true
	case ES384:
		return algParams{hash: crypto.SHA384, curve: elliptic.P384()}, true
	case ES512:
		return algParams{hash: crypto.SHA512, curve: elliptic.P521()}, true
	}
	return algParams{}, false
}

// checkKey reports whether key can make signatures of a: an RSA key for
// RS*, an ECDSA key on the algorithm's curve for ES*.
func (a Algorithm) checkKey(key crypto.Signer) error {
	p, ok := a.params()
	if !ok {
		return fmt.Errorf("%w: %.40q", ErrUnsupportedAlgorithm, string(a))
	}
	if key == nil {
		return fmt.Errorf("%w: nil private key", ErrInvalidOption)
	}
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		if p.curve == nil {
			return nil
		}
	case *ecdsa.PublicKey:
		if p.curve != nil && pub.Curve == p.curve {
			return nil
		}
		if p.curve != nil {
			return fmt.Errorf("%w: %s needs a %s key, not %s", ErrKeyMismatch, a, p.curve.Params().Name, pub.Curve.Params().Name)
		}
	}
	return fmt.Errorf("%w: %s cannot sign with a %T", ErrKeyMismatch, a, key.Public())
}

// sign hashes msg and signs the digest with key: PKCS#1 v1.5 for RSA keys
// (deterministic), ASN.1 DER ECDSA for ECDSA keys. The key must have passed
// checkKey.
func (a Algorithm) sign(key crypto.Signer, msg []byte) ([]byte, error) {
	p, _ := a.params()
	h := p.hash.New()
	h.Write(msg)
	sig, err := key.Sign(rand.Reader, h.Sum(nil), p.hash)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSign, err)
	}
	return sig, nil
}
