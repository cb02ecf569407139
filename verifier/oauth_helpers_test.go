package verifier_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/vapisec/vapisec/verifier"
)

const (
	oaIssuer   = "https://idp.example.test/oauth2/default"
	oaAudience = "vmware-tes:vapi"
)

// oaKeys are the keys of the OAuth tests: the trusted RSA, EC and Ed25519
// keys published in the JWKS, and keys nobody trusts.
type oaKeys struct {
	rsa, evilRSA *rsa.PrivateKey
	ec           *ecdsa.PrivateKey
	ed           ed25519.PrivateKey
}

var (
	oaOnce sync.Once
	oaVal  *oaKeys
)

func getOAKeys(tb testing.TB) *oaKeys {
	tb.Helper()
	oaOnce.Do(func() {
		k := &oaKeys{}
		var err error
		if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if k.evilRSA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if _, k.ed, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
		oaVal = k
	})
	return oaVal
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(pub *rsa.PublicKey, kid string) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
}

func ecJWK(pub *ecdsa.PublicKey, kid string) map[string]any {
	raw, err := pub.Bytes()
	if err != nil {
		panic(err)
	}
	size := (len(raw) - 1) / 2
	return map[string]any{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64(raw[1 : 1+size]), "y": b64(raw[1+size:])}
}

func edJWK(pub ed25519.PublicKey, kid string) map[string]any {
	return map[string]any{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(pub)}
}

func jwksOf(keys ...map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		panic(err)
	}
	return b
}

// trustedJWKS publishes the trusted RSA ("rsa-1"), EC ("ec-1") and Ed25519
// ("ed-1") keys.
func trustedJWKS(k *oaKeys) []byte {
	return jwksOf(rsaJWK(&k.rsa.PublicKey, "rsa-1"), ecJWK(&k.ec.PublicKey, "ec-1"), edJWK(k.ed.Public().(ed25519.PublicKey), "ed-1"))
}

// oaClaims are valid claims at testNow.
func oaClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":         oaIssuer,
		"sub":         "alice@vsphere.local",
		"aud":         oaAudience,
		"iat":         testNow.Add(-time.Minute).Unix(),
		"nbf":         testNow.Add(-time.Minute).Unix(),
		"exp":         testNow.Add(4 * time.Minute).Unix(),
		"jti":         "tok-1",
		"group_names": []string{`vsphere.local\Administrators`},
		"groups":      []string{"admins", `vsphere.local\Administrators`},
	}
}

// mint signs claims with method and key; header entries are set after the
// defaults (kid may be deleted by setting it to nil).
func mint(tb testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
	tb.Helper()
	t := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		if v == nil {
			delete(t.Header, k)
			continue
		}
		t.Header[k] = v
	}
	s, err := t.SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// rsaToken is a valid RS256 token of the trusted key with edit applied to
// its claims.
func rsaToken(tb testing.TB, k *oaKeys, edit func(jwt.MapClaims)) string {
	c := oaClaims()
	if edit != nil {
		edit(c)
	}
	return mint(tb, jwt.SigningMethodRS256, k.rsa, c, map[string]any{"kid": "rsa-1"})
}

// testClock is a settable clock.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.ns.Store(t.UnixNano())
	return c
}
func (c *testClock) now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// newOAVerifier returns a verifier with the trusted keys (fixed JWKS) at
// testNow; opts come after (and may override) those defaults.
func newOAVerifier(tb testing.TB, k *oaKeys, opts ...verifier.AccessTokenOption) *verifier.AccessTokenVerifier {
	tb.Helper()
	all := append([]verifier.AccessTokenOption{
		verifier.WithAccessTokenIssuer(oaIssuer),
		verifier.WithAccessTokenAudiences(oaAudience),
		verifier.WithJWKS(trustedJWKS(k)),
		verifier.WithAccessTokenClock(fixedClock(testNow)),
	}, opts...)
	v, err := verifier.NewAccessTokenVerifier(all...)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// jwksServer serves a JWKS (swappable) and counts its requests. A status
// other than 0 is answered instead of the document.
type jwksServer struct {
	*httptest.Server
	mu       sync.Mutex
	doc      []byte
	status   int
	requests atomic.Int64
}

func newJWKSServer(tb testing.TB, doc []byte) *jwksServer {
	tb.Helper()
	s := &jwksServer{doc: doc}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		doc, status := s.doc, s.status
		s.mu.Unlock()
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	tb.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(doc []byte, status int) {
	s.mu.Lock()
	s.doc, s.status = doc, status
	s.mu.Unlock()
}

// writeJWKS writes doc to a file in a temporary directory.
func writeJWKS(tb testing.TB, doc []byte) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "jwks.json")
	if err := os.WriteFile(p, doc, 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

func mustP384(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
