package interop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	vapiErrors "github.com/vmware/vsphere-automation-sdk-go/lib/vapi/std/errors"
	vapiLog "github.com/vmware/vsphere-automation-sdk-go/runtime/log"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/protocol/client"

	vsts "github.com/vapisec/vapisec/sts"
)

// This file holds what the tests of VMware's vSphere Automation SDK for Go
// (github.com/vmware/vsphere-automation-sdk-go/runtime and lib v0.8.0, the
// official client nobody here wrote) share: connectors, a self-signed
// certificate for HTTPS, SAML tokens from our dev STS, and the checks of the
// SDK's typed errors.

// sdkJSONRPC returns the SDK's default (JSON-RPC) connector for the server
// at base, with the given HTTP client (nil: http.DefaultClient).
func sdkJSONRPC(base string, hc *http.Client, opts ...client.ConnectorOption) client.Connector {
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	return client.NewConnector(base+"/api", append([]client.ConnectorOption{client.WithHttpClient(hc)}, opts...)...)
}

// sdkREST returns the SDK's REST connector for the server at base (the
// generated bindings add the operation's path, /session, to base/api).
func sdkREST(base string, hc *http.Client, opts ...client.ConnectorOption) client.Connector {
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	return client.NewConnector(base+"/api", append([]client.ConnectorOption{client.UsingRest(nil), client.WithHttpClient(hc)}, opts...)...)
}

// isUnauthenticated reports whether err is the SDK's typed
// com.vmware.vapi.std.errors.unauthenticated error (what a vAPI client
// expects for a refused credential), by value or by pointer.
func isUnauthenticated(err error) bool {
	var v vapiErrors.Unauthenticated
	var p *vapiErrors.Unauthenticated
	return errors.As(err, &v) || errors.As(err, &p)
}

// describe names the dynamic type of err with its text, so that a failure
// says which error the SDK produced (InternalServerError, Unauthenticated…).
func describe(err error) string {
	if err == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%T: %v", err, err)
}

// selfSignedTLS writes a self-signed ECDSA certificate for 127.0.0.1 and
// its key to a temporary directory and returns their paths and an HTTP
// client that trusts exactly that certificate.
func selfSignedTLS(t *testing.T) (certFile, keyFile string, hc *http.Client) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "vapisec interop"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	hc = &http.Client{
		Timeout:   20 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
	return certFile, keyFile, hc
}

// samlTokens are tokens for alice@vsphere.local from one STS made with our
// sts package: a holder-of-key token with its key, and a bearer token.
type samlTokens struct {
	stsCertFile string // the STS certificate (PEM), for --trust
	hokKey      crypto.Signer
	hok, bearer []byte
}

func issueSAML(t *testing.T) samlTokens {
	t.Helper()
	now := time.Now()
	sk, sc, err := vsts.GenerateKeyPair("Test STS", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	hk, hc, err := vsts.GenerateKeyPair("alice", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := vsts.New(sk, sc)
	if err != nil {
		t.Fatal(err)
	}
	var s samlTokens
	if s.hok, err = issuer.Issue(vsts.IssueRequest{Subject: "alice@vsphere.local", HoKCertificate: hc}); err != nil {
		t.Fatal(err)
	}
	if s.bearer, err = issuer.Issue(vsts.IssueRequest{Subject: "alice@vsphere.local"}); err != nil {
		t.Fatal(err)
	}
	s.hokKey = hk
	s.stsCertFile = filepath.Join(t.TempDir(), "sts.crt.pem")
	if err := os.WriteFile(s.stsCertFile, vsts.EncodeCertificatePEM(sc), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// serveHasFlag reports whether "vapisec serve" has the flag (features that
// land on other branches are skipped, not failed, until they exist).
func serveHasFlag(t *testing.T, flag string) bool {
	t.Helper()
	out, _ := exec.Command(vapisecBin, "serve", "--help").CombinedOutput()
	return strings.Contains(string(out), flag)
}

// sdkLogger keeps the SDK's errors (they say why a reply could not be
// decoded) and drops its info and debug lines (one per call).
type sdkLogger struct{}

func (sdkLogger) Error(args ...any)            { log.Print(append([]any{"vapi sdk: "}, args...)...) }
func (sdkLogger) Errorf(f string, args ...any) { log.Printf("vapi sdk: "+f, args...) }
func (sdkLogger) Info(...any)                  {}
func (sdkLogger) Infof(string, ...any)         {}
func (sdkLogger) Debug(...any)                 {}
func (sdkLogger) Debugf(string, ...any)        {}

func init() { vapiLog.SetLogger(sdkLogger{}) }
