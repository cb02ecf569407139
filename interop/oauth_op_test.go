package interop

// A real OpenID provider in process: zitadel/oidc's op package (the OP
// that ZITADEL itself is built on) with a minimal storage that knows
// client-credentials clients only, issues JWT access tokens (RS256, a kid
// per key) and can rotate its signing key. golang.org/x/oauth2's
// clientcredentials flow obtains tokens from it, as a service account of
// VMware Identity Broker or Entra ID would.

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// opAudience is the audience the provider puts in every access token:
// GoSDK's JwtAuthenticationHandler expects "vmware-tes:vapi".
const opAudience = "vmware-tes:vapi"

// testOP is a running provider.
type testOP struct {
	Issuer  string
	Client  *http.Client // trusts the provider's TLS certificate
	cert    *x509.Certificate
	storage *opStorage
}

// startOP starts a provider (https, httptest's certificate) on a free
// loopback port with one client
// (clientID, secret) whose tokens have subject sub and group_names groups.
func startOP(t *testing.T, clientID, secret, sub string, groups ...string) *testOP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "https://" + ln.Addr().String()
	st := &opStorage{clients: map[string]*opClient{clientID: {id: clientID, secret: secret, sub: sub, groups: groups}}}
	st.rotate(t)
	cfg := &op.Config{CryptoKey: sha256.Sum256([]byte(t.Name())), CryptoKeyId: "aes-1"}
	provider, err := op.NewProvider(cfg, st, op.StaticIssuer(issuer))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(provider)
	srv.Listener.Close()
	srv.Listener = ln
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &testOP{Issuer: issuer, Client: srv.Client(), cert: srv.Certificate(), storage: st}
}

// TokenSource is the clientcredentials flow against the provider, with the
// given client credentials (the token endpoint from discovery).
func (o *testOP) TokenSource(ctx context.Context, clientID, secret string) oauth2.TokenSource {
	cc := &clientcredentials.Config{ClientID: clientID, ClientSecret: secret, TokenURL: o.Issuer + "/oauth/token", Scopes: []string{"openid"}}
	return cc.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, o.Client))
}

// Token obtains one fresh access token (no reuse).
func (o *testOP) Token(t *testing.T, clientID, secret string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tok, err := o.TokenSource(ctx, clientID, secret).Token()
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// Rotate makes a new signing key (new kid) and, unless keepOld, drops the
// old one from the JWKS. It returns the new kid.
func (o *testOP) Rotate(t *testing.T, keepOld bool) string {
	t.Helper()
	return o.storage.rotate(t, keepOld)
}

// opKey is one RSA key of the provider.
type opKey struct {
	id   string
	priv *rsa.PrivateKey
}

func (k *opKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *opKey) Algorithm() jose.SignatureAlgorithm          { return jose.RS256 }
func (k *opKey) ID() string                                  { return k.id }
func (k *opKey) Use() string                                 { return "sig" }

// signingKey is what SigningKey hands out: the private half.
type signingKey struct{ *opKey }

func (k signingKey) Key() any { return k.priv }

// publicKey is what KeySet hands out.
type publicKey struct{ *opKey }

func (k publicKey) Key() any { return &k.priv.PublicKey }

// opStorage implements op.Storage and op.ClientCredentialsStorage for
// client-credentials clients; every other grant is refused.
type opStorage struct {
	mu      sync.Mutex
	clients map[string]*opClient
	keys    []*opKey // last is the signing key
	n       int
}

var errUnsupported = errors.New("not supported by the test provider")

func (s *opStorage) rotate(t *testing.T, keepOld ...bool) string {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	k := &opKey{id: fmt.Sprintf("op-key-%d", s.n), priv: priv}
	if len(keepOld) > 0 && keepOld[0] {
		s.keys = append(s.keys, k)
	} else {
		s.keys = []*opKey{k}
	}
	return k.id
}

func (s *opStorage) SigningKey(context.Context) (op.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return signingKey{s.keys[len(s.keys)-1]}, nil
}

func (s *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *opStorage) KeySet(context.Context) ([]op.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]op.Key, len(s.keys))
	for i, k := range s.keys {
		out[i] = publicKey{k}
	}
	return out, nil
}

func (s *opStorage) ClientCredentials(_ context.Context, clientID, clientSecret string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok || c.secret != clientSecret {
		return nil, errors.New("wrong client id or secret")
	}
	return c, nil
}

func (s *opStorage) ClientCredentialsTokenRequest(_ context.Context, clientID string, scopes []string) (op.TokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[clientID]
	if !ok {
		return nil, errors.New("unknown client")
	}
	return &oidc.JWTTokenRequest{Subject: c.sub, Audience: []string{opAudience}, Scopes: scopes}, nil
}

func (s *opStorage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return rand.Text(), time.Now().Add(5 * time.Minute), nil
}

// GetPrivateClaimsFromScopes adds group_names, the claim GoSDK's
// JwtAuthenticationHandler reads groups from.
func (s *opStorage) GetPrivateClaimsFromScopes(_ context.Context, userID, _ string, _ []string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		if c.sub == userID && len(c.groups) > 0 {
			return map[string]any{"group_names": c.groups}, nil
		}
	}
	return nil, nil
}

func (s *opStorage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[clientID]; ok {
		return c, nil
	}
	return nil, errors.New("unknown client")
}

func (s *opStorage) AuthorizeClientIDSecret(ctx context.Context, clientID, clientSecret string) error {
	_, err := s.ClientCredentials(ctx, clientID, clientSecret)
	return err
}

func (s *opStorage) Health(context.Context) error { return nil }

// The rest of op.Storage: grants and endpoints the tests do not use.

func (s *opStorage) CreateAuthRequest(context.Context, *oidc.AuthRequest, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *opStorage) AuthRequestByID(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *opStorage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errUnsupported
}
func (s *opStorage) SaveAuthCode(context.Context, string, string) error { return errUnsupported }
func (s *opStorage) DeleteAuthRequest(context.Context, string) error    { return errUnsupported }
func (s *opStorage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errUnsupported
}
func (s *opStorage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errUnsupported
}
func (s *opStorage) TerminateSession(context.Context, string, string) error { return errUnsupported }
func (s *opStorage) RevokeToken(context.Context, string, string, string) *oidc.Error {
	return oidc.ErrUnsupportedGrantType()
}
func (s *opStorage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", errUnsupported
}
func (s *opStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}
func (s *opStorage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errUnsupported
}
func (s *opStorage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errUnsupported
}
func (s *opStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errUnsupported
}
func (s *opStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errUnsupported
}

// opClient is a confidential client allowed the client_credentials grant,
// whose access tokens are JWTs.
type opClient struct {
	id, secret, sub string
	groups          []string
}

func (c *opClient) GetID() string                       { return c.id }
func (c *opClient) RedirectURIs() []string              { return nil }
func (c *opClient) PostLogoutRedirectURIs() []string    { return nil }
func (c *opClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *opClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *opClient) ResponseTypes() []oidc.ResponseType  { return nil }
func (c *opClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeClientCredentials}
}
func (c *opClient) LoginURL(string) string               { return "" }
func (c *opClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *opClient) IDTokenLifetime() time.Duration       { return time.Hour }
func (c *opClient) DevMode() bool                        { return false }
func (c *opClient) IsScopeAllowed(string) bool           { return true }
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c *opClient) ClockSkew() time.Duration             { return 0 }
func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// TestOPIssuesJWTAccessTokens pins what the other tests rely on: the
// provider's discovery names its JWKS, and a client-credentials token is a
// JWT signed by the current key, for the vAPI audience, with group_names.
func TestOPIssuesJWTAccessTokens(t *testing.T) {
	o := startOP(t, "svc", "svc-secret", "svc-account@example.com", "Administrators")
	res, err := o.Client.Get(o.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var disc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := jsonDecode(res, &disc); err != nil || disc.Issuer != o.Issuer || disc.JWKSURI != o.Issuer+"/keys" {
		t.Fatalf("discovery %+v, %v", disc, err)
	}
	tok := o.Token(t, "svc", "svc-secret")
	jws, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("access token is not a JWS: %v (%.40q)", err, tok)
	}
	if kid := jws.Signatures[0].Header.KeyID; kid != "op-key-1" {
		t.Errorf("kid %q", kid)
	}
	var claims struct {
		Iss    string   `json:"iss"`
		Sub    string   `json:"sub"`
		Aud    []string `json:"aud"`
		Exp    int64    `json:"exp"`
		Groups []string `json:"group_names"`
	}
	payload, err := jws.Verify(&o.storage.keys[0].priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := jsonUnmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Iss != o.Issuer || claims.Sub != "svc-account@example.com" || len(claims.Aud) != 1 || claims.Aud[0] != opAudience ||
		claims.Exp < time.Now().Unix() || len(claims.Groups) != 1 || claims.Groups[0] != "Administrators" {
		t.Errorf("claims %s", payload)
	}
	if _, err := o.TokenSource(context.Background(), "svc", "wrong").Token(); err == nil {
		t.Error("token with a wrong client secret")
	}
}
