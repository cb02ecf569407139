package verifier

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// requestAlg is one request signature algorithm of the allow-list: a name
// bound to a hash and a key type (DESIGN Q15, §7 rule 6).
type requestAlg struct {
	name  string
	hash  crypto.Hash
	curve elliptic.Curve // nil for RSA PKCS#1 v1.5
}

// jsonAlgorithms returns the JSON-RPC signatureAlgorithm names (spec §7.1)
// the verifier can accept. The names and hashes come from golang-jwt's
// SigningMethod values so that "RS256" means the same thing everywhere in
// the project; they are looked up in this verifier's own map, never in
// jwt.GetSigningMethod's global registry (which any imported package could
// extend).
func jsonAlgorithms() map[string]requestAlg {
	m := make(map[string]requestAlg, 6)
	for _, rs := range []*jwt.SigningMethodRSA{jwt.SigningMethodRS256, jwt.SigningMethodRS384, jwt.SigningMethodRS512} {
		m[rs.Alg()] = requestAlg{name: rs.Alg(), hash: rs.Hash}
	}
	for _, es := range []*jwt.SigningMethodECDSA{jwt.SigningMethodES256, jwt.SigningMethodES384, jwt.SigningMethodES512} {
		var curve elliptic.Curve
		switch es.CurveBits {
		case 256:
			curve = elliptic.P256()
		case 384:
			curve = elliptic.P384()
		default:
			curve = elliptic.P521()
		}
		m[es.Alg()] = requestAlg{name: es.Alg(), hash: es.Hash, curve: curve}
	}
	return m
}

// signAlgorithms are the SIGN signature_alg values (spec §8.1): RSA
// PKCS#1 v1.5 only.
func signAlgorithms() map[string]requestAlg {
	return map[string]requestAlg{
		"RSA-SHA256": {name: "RSA-SHA256", hash: crypto.SHA256},
		"RSA-SHA384": {name: "RSA-SHA384", hash: crypto.SHA384},
		"RSA-SHA512": {name: "RSA-SHA512", hash: crypto.SHA512},
	}
}

// checkKey reports whether pub is the key type alg is bound to: RS* only
// with an RSA key, ES* only with an ECDSA key on the algorithm's curve.
func (a *requestAlg) checkKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if a.curve == nil {
			return nil
		}
	case *ecdsa.PublicKey:
		if a.curve != nil && k.Curve == a.curve {
			return nil
		}
	}
	return newError(fmt.Sprintf("%s does not fit a %T holder-of-key key", a.name, pub), ErrRequestAlgorithm)
}

// verify checks sig over msg with pub. RSA signatures are PKCS#1 v1.5.
// ECDSA signatures are ASN.1 DER (Java's SHA256withECDSA encoding, spec
// §7.1), not JOSE's r||s, which is why this does not call jwt's
// SigningMethodECDSA.Verify: it verifies with crypto/ecdsa.VerifyASN1 over
// the hash. The digest lives on the stack.
func (a *requestAlg) verify(pub crypto.PublicKey, msg, sig []byte) error {
	if err := a.checkKey(pub); err != nil {
		return err
	}
	var sum [64]byte
	var digest []byte
	switch a.hash {
	case crypto.SHA256:
		s := sha256.Sum256(msg)
		digest = append(sum[:0], s[:]...)
	case crypto.SHA384:
		s := sha512.Sum384(msg)
		digest = append(sum[:0], s[:]...)
	case crypto.SHA512:
		s := sha512.Sum512(msg)
		digest = append(sum[:0], s[:]...)
	default:
		return newError("unknown hash", ErrRequestAlgorithm)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(k, a.hash, digest, sig); err != nil {
			return newError(a.name, ErrRequestSignature)
		}
		return nil
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return newError(a.name, ErrRequestSignature)
		}
		return nil
	}
	return newError(fmt.Sprintf("%T key", pub), ErrRequestAlgorithm)
}
