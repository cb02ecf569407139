package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// devSAMLFiles are the files --dev writes into --dev-dir.
const (
	devSTSKey   = "sts.key.pem"
	devSTSCert  = "sts.crt.pem"
	devHoKKey   = "hok.key.pem"
	devHoKCert  = "hok.crt.pem"
	devTokenXML = "token.xml"
)

// requestVerifier builds the SAML request verifier of "serve": trusting the
// --trust certificates and, with --dev, a development STS whose key,
// certificate, a holder-of-key key pair and one issued HoK token are
// written to --dev-dir (a new temporary directory by default) and the
// directory printed. replay, when not nil, is the shared (Redis) replay
// cache; otherwise the verifier keeps its own in memory. It returns nil when
// nothing is trusted (SAML off).
func requestVerifier(o serveOptions, out io.Writer, replay verifier.ReplayCache) (*verifier.RequestVerifier, error) {
	certs, err := readCertificates(o.trust)
	if err != nil {
		return nil, usagef("--trust: %v", err)
	}
	if o.dev {
		cert, dir, err := writeDevSAML(o.devDir)
		if err != nil {
			return nil, err
		}
		certs = append(certs, cert)
		fmt.Fprintf(out, "vapisec: dev STS, HoK key and token in %s\n", dir)
	}
	if len(certs) == 0 {
		if o.allowBearer {
			return nil, usagef("--allow-bearer needs --trust or --dev")
		}
		return nil, nil
	}
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(certs...))
	if err != nil {
		return nil, err
	}
	hosts, err := addrHosts(o.addr)
	if err != nil {
		return nil, usagef("--addr: %v", err)
	}
	opts := []verifier.RequestOption{verifier.WithAllowBearer(o.allowBearer), verifier.WithAllowedHosts(hosts...)}
	if replay != nil {
		opts = append(opts, verifier.WithReplayCache(replay))
	}
	return verifier.NewRequestVerifier(tv, opts...)
}

// addrHosts returns the hosts a SIGN request to a server listening on addr
// may be signed for (DESIGN Q21): the host of addr, with its port unless the
// port is 0 (picked at start); for an unspecified host ("", 0.0.0.0, ::)
// the loopback names on any port.
func addrHosts(addr string) ([]string, error) {
	host, port := addr, ""
	if addr != "" {
		var err error
		if host, port, err = net.SplitHostPort(addr); err != nil {
			return nil, err
		}
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return []string{"localhost", "127.0.0.1", "[::1]"}, nil
	}
	if port == "" || port == "0" {
		return []string{host}, nil
	}
	return []string{net.JoinHostPort(host, port)}, nil
}

// writeDevSAML creates the development STS material in dir ("" = a new
// temporary directory) and returns the STS certificate and the directory.
func writeDevSAML(dir string) (certOut *x509.Certificate, dirOut string, err error) {
	if dir == "" {
		if dir, err = os.MkdirTemp("", "vapisec-dev-"); err != nil {
			return nil, "", err
		}
	} else if err = os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", err
	}
	now := time.Now()
	from, to := now.Add(-time.Hour), now.Add(365*24*time.Hour)
	stsKey, stsCert, err := sts.GenerateKeyPair("vapisec development STS", from, to)
	if err != nil {
		return nil, "", err
	}
	hokKey, hokCert, err := sts.GenerateKeyPair("vapisec development user", from, to)
	if err != nil {
		return nil, "", err
	}
	s, err := sts.New(stsKey, stsCert)
	if err != nil {
		return nil, "", err
	}
	token, err := s.Issue(sts.IssueRequest{Subject: "dev@vsphere.local", Groups: []string{`vsphere.local\Administrators`}, HoKCertificate: hokCert, Lifetime: 12 * time.Hour})
	if err != nil {
		return nil, "", err
	}
	stsKeyPEM, err := sts.EncodePrivateKeyPEM(stsKey)
	if err != nil {
		return nil, "", err
	}
	hokKeyPEM, err := sts.EncodePrivateKeyPEM(hokKey)
	if err != nil {
		return nil, "", err
	}
	files := map[string][]byte{
		devSTSKey: stsKeyPEM, devSTSCert: sts.EncodeCertificatePEM(stsCert),
		devHoKKey: hokKeyPEM, devHoKCert: sts.EncodeCertificatePEM(hokCert),
		devTokenXML: token,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, "", err
		}
	}
	return stsCert, dir, nil
}
