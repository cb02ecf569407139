package main

import (
	"slices"
	"testing"
	"time"

	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// TestAddrHosts: the SIGN host list serve derives from --addr, and that the
// request verifier accepts it.
func TestAddrHosts(t *testing.T) {
	loopback := []string{"localhost", "127.0.0.1", "[::1]"}
	tests := []struct {
		name        string
		givenAddr   string
		expectHosts []string
		expectErr   bool
	}{
		{name: "ok, host and port", givenAddr: "127.0.0.1:8080", expectHosts: []string{"127.0.0.1:8080"}},
		{name: "ok, name and port", givenAddr: "vc.example.com:443", expectHosts: []string{"vc.example.com:443"}},
		{name: "ok, port 0: any port", givenAddr: "127.0.0.1:0", expectHosts: []string{"127.0.0.1"}},
		{name: "ok, IPv6", givenAddr: "[::1]:9000", expectHosts: []string{"[::1]:9000"}},
		{name: "ok, unspecified host: loopback", givenAddr: ":8080", expectHosts: loopback},
		{name: "ok, 0.0.0.0: loopback", givenAddr: "0.0.0.0:8080", expectHosts: loopback},
		{name: "ok, [::]: loopback", givenAddr: "[::]:8080", expectHosts: loopback},
		{name: "ok, no --addr (tests): loopback", givenAddr: "", expectHosts: loopback},
		{name: "nok, no port", givenAddr: "127.0.0.1", expectErr: true},
	}
	_, cert, err := sts.GenerateKeyPair("test STS", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(cert))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := addrHosts(tt.givenAddr)
			if tt.expectErr {
				if err == nil {
					t.Fatalf("addrHosts(%q) = %v, want an error", tt.givenAddr, got)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.expectHosts) {
				t.Fatalf("addrHosts(%q) = %v, %v; want %v", tt.givenAddr, got, err, tt.expectHosts)
			}
			if _, err := verifier.NewRequestVerifier(tv, verifier.WithAllowedHosts(got...)); err != nil {
				t.Fatalf("the verifier refuses %v: %v", got, err)
			}
		})
	}
}
