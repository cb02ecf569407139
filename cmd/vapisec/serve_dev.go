package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vapisec/vapisec/canonical"
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
// written to --dev-dir (a new temporary directory by default, removed by
// srv.cleanup) and the directory printed. replay, when not nil, is the
// shared (Redis) replay cache; otherwise the verifier keeps its own in
// memory. SIGN headers are accepted only for the hosts of serveHosts,
// recorded in srv.hosts. It returns nil when nothing is trusted (SAML off).
func requestVerifier(o serveOptions, out io.Writer, replay verifier.ReplayCache, srv *devServer) (*verifier.RequestVerifier, error) {
	certs, err := readCertificates(o.trust)
	if err != nil {
		return nil, usagef("--trust: %v", err)
	}
	hosts, err := serveHosts(o)
	if err != nil {
		return nil, err
	}
	if o.dev {
		cert, dir, temp, err := writeDevSAML(o.devDir)
		if err != nil {
			return nil, err
		}
		if temp {
			srv.cleanup = sync.OnceFunc(func() {
				if err := os.RemoveAll(dir); err != nil {
					fmt.Fprintf(out, "vapisec: removing %s: %v\n", dir, err)
				}
			})
		}
		certs = append(certs, cert)
		if temp {
			fmt.Fprintf(out, "vapisec: dev STS, HoK key and token in %s (removed on exit)\n", dir)
		} else {
			fmt.Fprintf(out, "vapisec: dev STS, HoK key and token in %s\n", dir)
		}
	}
	var profs []canonical.Profile
	for _, p := range o.profiles {
		pp, err := canonical.ParseProfile(p)
		if err != nil {
			return nil, usagef("--profile: %v", err)
		}
		profs = append(profs, pp)
	}
	if len(certs) == 0 {
		if o.allowBearer {
			return nil, usagef("--allow-bearer needs --trust or --dev")
		}
		if len(profs) > 0 {
			return nil, usagef("--profile needs --trust or --dev")
		}
		return nil, nil
	}
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(certs...))
	if err != nil {
		return nil, err
	}
	opts := []verifier.RequestOption{verifier.WithAllowBearer(o.allowBearer), verifier.WithAllowedHosts(hosts...), verifier.WithProfiles(profs...)}
	if replay != nil {
		opts = append(opts, verifier.WithReplayCache(replay))
	}
	rv, err := verifier.NewRequestVerifier(tv, opts...)
	if err != nil {
		return nil, err
	}
	srv.hosts = hosts
	return rv, nil
}

// writeDevSAML creates the development STS material in dir ("" = a new
// temporary directory, temp true) and returns the STS certificate and the
// directory. A temporary directory is removed again when writing fails.
func writeDevSAML(dir string) (certOut *x509.Certificate, dirOut string, temp bool, err error) {
	if dir == "" {
		if dir, err = os.MkdirTemp("", "vapisec-dev-"); err != nil {
			return nil, "", false, err
		}
		defer func() {
			if err != nil {
				_ = os.RemoveAll(dir)
			}
		}()
		temp = true
	} else if err = os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", false, err
	}
	now := time.Now()
	from, to := now.Add(-time.Hour), now.Add(365*24*time.Hour)
	stsKey, stsCert, err := sts.GenerateKeyPair("vapisec development STS", from, to)
	if err != nil {
		return nil, "", false, err
	}
	hokKey, hokCert, err := sts.GenerateKeyPair("vapisec development user", from, to)
	if err != nil {
		return nil, "", false, err
	}
	s, err := sts.New(stsKey, stsCert)
	if err != nil {
		return nil, "", false, err
	}
	token, err := s.Issue(sts.IssueRequest{Subject: "dev@vsphere.local", Groups: []string{`vsphere.local\Administrators`}, HoKCertificate: hokCert, Lifetime: 12 * time.Hour})
	if err != nil {
		return nil, "", false, err
	}
	stsKeyPEM, err := sts.EncodePrivateKeyPEM(stsKey)
	if err != nil {
		return nil, "", false, err
	}
	hokKeyPEM, err := sts.EncodePrivateKeyPEM(hokKey)
	if err != nil {
		return nil, "", false, err
	}
	files := map[string][]byte{
		devSTSKey: stsKeyPEM, devSTSCert: sts.EncodeCertificatePEM(stsCert),
		devHoKKey: hokKeyPEM, devHoKCert: sts.EncodeCertificatePEM(hokCert),
		devTokenXML: token,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, "", false, err
		}
	}
	return stsCert, dir, temp, nil
}
