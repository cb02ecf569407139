package verifier_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/vapisec/vapisec/verifier"
)

// BenchmarkAccessTokenVerify measures a cached and a cold (cache off)
// verification of one RS256 token, next to one bare RS256 signature check
// of the same key and signing input and a plain jwt/v5 parse of the token
// (parse, claims, signature: the issue 18 baseline; the ratios that count
// are the rows of vapisec bench).
func BenchmarkAccessTokenVerify(b *testing.B) {
	k := getOAKeys(b)
	tok := rsaToken(b, k, nil)
	ctx := context.Background()
	b.Run("cached", func(b *testing.B) {
		v := newOAVerifier(b, k)
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cold", func(b *testing.B) {
		v := newOAVerifier(b, k, verifier.WithAccessTokenCacheSize(0))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jwt-parse-rs256", func(b *testing.B) {
		p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithTimeFunc(fixedClock(testNow)))
		key := func(*jwt.Token) (any, error) { return &k.rsa.PublicKey, nil }
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Parse(tok, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rs256-verify-only", func(b *testing.B) {
		i := strings.LastIndexByte(tok, '.')
		sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			h := sha256.Sum256([]byte(tok[:i]))
			if err := rsa.VerifyPKCS1v15(&k.rsa.PublicKey, crypto.SHA256, h[:], sig); err != nil {
				b.Fatal(err)
			}
		}
	})
}
