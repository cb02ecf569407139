package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// writeTLSCert writes a self-signed certificate with these SANs.
func writeTLSCert(t *testing.T, dns []string, ips []net.IP) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vc"}, DNSNames: dns, IPAddresses: ips,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tls.crt")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestServeHosts(t *testing.T) {
	cert := writeTLSCert(t, []string{"VC.example.com", "*.example.com"}, []net.IP{net.ParseIP("192.0.2.7"), net.ParseIP("2001:db8::7")})
	tests := []struct {
		name        string
		givenOpts   serveOptions
		expectHosts []string
		expectNot   []string
	}{
		{name: "ok, loopback address", givenOpts: serveOptions{addr: "127.0.0.1:8443"},
			expectHosts: []string{"127.0.0.1:8443", "localhost:8443"}, expectNot: []string{"127.0.0.1", "localhost", "0.0.0.0", "evil.example"}},
		{name: "ok, localhost", givenOpts: serveOptions{addr: "localhost:9000"},
			expectHosts: []string{"localhost:9000", "127.0.0.1:9000", "[::1]:9000"}},
		{name: "ok, wildcard address: loopback names only", givenOpts: serveOptions{addr: ":8080"},
			expectHosts: []string{"localhost:8080", "127.0.0.1:8080", "[::1]:8080"}, expectNot: []string{"", ":8080"}},
		{name: "ok, a routable address alone", givenOpts: serveOptions{addr: "192.0.2.1:443"},
			expectHosts: []string{"192.0.2.1:443", "192.0.2.1:80"}, expectNot: []string{"192.0.2.1", "localhost", "localhost:443"}},
		{name: "ok, TLS SANs with the listening port, no wildcard", givenOpts: serveOptions{addr: "0.0.0.0:8443", tlsCert: cert},
			expectHosts: []string{"vc.example.com:8443", "192.0.2.7:8443", "[2001:db8::7]:8443"},
			expectNot:   []string{"vc.example.com", "2001:db8::7", "vc.example.com:80", "*.example.com", "*.example.com:8443"}},
		{name: "ok, public hosts", givenOpts: serveOptions{addr: "127.0.0.1:8080", publicHosts: []string{"VC.Example.com", "lb.example.com:443", "[2001:db8::9]:443"}},
			expectHosts: []string{"vc.example.com", "lb.example.com:443", "lb.example.com:80", "[2001:db8::9]:443"},
			expectNot:   []string{"lb.example.com", "vc.example.com:8080", "lb.example.com:8080"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := serveHosts(tc.givenOpts)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range tc.expectHosts {
				if !slices.Contains(got, h) {
					t.Errorf("%q missing from %q", h, got)
				}
			}
			for _, h := range tc.expectNot {
				if slices.Contains(got, h) {
					t.Errorf("%q should not be in %q", h, got)
				}
			}
		})
	}
}

func TestServePublicHostErrors(t *testing.T) {
	for _, v := range []string{"", "vc.example.com:", "vc.example.com:http", "vc.example.com:70000", "https://vc.example.com", "user@vc", "[::1"} {
		_, err := parsePublicHosts([]string{v})
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("--public-host %q: want a usage error, got %v", v, err)
		}
	}
	if _, err := serveHosts(serveOptions{addr: "127.0.0.1:1", tlsCert: filepath.Join(t.TempDir(), "none.pem")}); err == nil {
		t.Error("a missing --tls-cert was accepted")
	}
}
