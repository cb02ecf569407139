package verifier

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"testing"
)

// FuzzParseJWKS checks that parseJWKS never panics, refuses with
// ErrInvalidJWKS only, and that whatever it accepts keeps its rules: at
// least one and at most maxKeys keys, RSA moduli of 2048…8192 bits with an
// odd exponent ≥ 3, EC points of the curve the kind names, Ed25519 keys of
// 32 bytes, a JWK alg that fits its key, and every key indexed by its kid.
func FuzzParseJWKS(f *testing.F) {
	r, _ := rsa.GenerateKey(rand.Reader, 2048)
	e, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	raw, _ := e.PublicKey.Bytes()
	b := base64.RawURLEncoding.EncodeToString
	doc, _ := json.Marshal(map[string]any{"keys": []any{
		map[string]any{"kty": "RSA", "kid": "r", "alg": "RS256", "n": b(r.N.Bytes()), "e": b(big.NewInt(int64(r.E)).Bytes())},
		map[string]any{"kty": "EC", "kid": "e", "crv": "P-256", "x": b(raw[1:33]), "y": b(raw[33:])},
		map[string]any{"kty": "OKP", "kid": "d", "crv": "Ed25519", "x": b(pub)},
		map[string]any{"kty": "oct", "k": "c2VjcmV0"},
		map[string]any{"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"},
	}})
	f.Add(doc)
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := parseJWKS(data, 8)
		if err != nil {
			if !errors.Is(err, ErrInvalidJWKS) {
				t.Fatalf("error %v is not ErrInvalidJWKS", err)
			}
			return
		}
		if len(ks.all) == 0 || len(ks.all) > 8 {
			t.Fatalf("%d keys accepted", len(ks.all))
		}
		indexed := 0
		for _, keys := range ks.byKid {
			indexed += len(keys)
		}
		if indexed != len(ks.all) {
			t.Fatalf("%d keys indexed of %d", indexed, len(ks.all))
		}
		for _, k := range ks.all {
			if k.alg != "" && accessAlgorithms[k.alg].kind != k.kind {
				t.Fatalf("alg %s on a key of kind %d", k.alg, k.kind)
			}
			switch key := k.key.(type) {
			case *rsa.PublicKey:
				if bits := key.N.BitLen(); k.kind != kindRSA || bits < minRSABits || bits > maxRSABits || key.E < 3 || key.E%2 == 0 {
					t.Fatalf("RSA key of %d bits, e %d, kind %d", bits, key.E, k.kind)
				}
			case *ecdsa.PublicKey:
				want := map[keyKind]elliptic.Curve{kindP256: elliptic.P256(), kindP384: elliptic.P384(), kindP521: elliptic.P521()}[k.kind]
				if want == nil || key.Curve != want {
					t.Fatalf("EC key on %v with kind %d", key.Curve, k.kind)
				}
				if _, err := key.Bytes(); err != nil {
					t.Fatalf("EC key not encodable: %v", err)
				}
			case ed25519.PublicKey:
				if k.kind != kindEd25519 || len(key) != ed25519.PublicKeySize {
					t.Fatalf("Ed25519 key of %d bytes, kind %d", len(key), k.kind)
				}
			default:
				t.Fatalf("key of type %T", k.key)
			}
		}
	})
}
