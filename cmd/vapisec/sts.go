package main

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/sts"
)

func newSTSCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sts",
		Short: "Development Security Token Service (tests and development only)",
	}
	cmd.AddCommand(newSTSIssueCmd(), newSTSKeygenCmd())
	return cmd
}

func newSTSIssueCmd() *cobra.Command {
	var (
		keyFile, certFile, hokFile, subject, prefix, issuer string
		lifetime                                            time.Duration
		groups, audiences                                   []string
		delegable, renewable, solution                      bool
	)
	cmd := &cobra.Command{
		Use:   "issue --key KEY.pem --cert CERT.pem [--hok-cert CERT.pem] [--subject user@domain] [--lifetime 1h] [--group G …] [--audience A]",
		Short: "Write a signed SAML 2.0 token to stdout (WARNING: development only)",
		Long: "Issue a signed SAML 2.0 assertion that looks like a vCenter STS token: holder-of-key when " +
			"--hok-cert is given, bearer otherwise. WARNING: for tests and development only.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keyFile == "" || certFile == "" {
				return usagef("sts issue: --key and --cert are required")
			}
			key, cert, err := loadKeyPair(keyFile, certFile)
			if err != nil {
				return err
			}
			req := sts.IssueRequest{Subject: subject, Groups: groups, Lifetime: lifetime, Audience: audiences,
				Delegable: delegable, Renewable: renewable, SolutionUser: solution}
			if hokFile != "" {
				if req.HoKCertificate, err = loadCertFile(hokFile); err != nil {
					return err
				}
			}
			if lifetime <= 0 {
				return usagef("sts issue: --lifetime must be positive")
			}
			opts := []sts.Option{sts.WithPrefix(prefix)}
			if issuer != "" {
				opts = append(opts, sts.WithIssuer(issuer))
			}
			s, err := sts.New(key, cert, opts...)
			if err != nil {
				return usagef("sts issue: %v", err)
			}
			tok, err := s.Issue(req)
			if err != nil {
				return usagef("sts issue: %v", err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", tok)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyFile, "key", "", "PEM private key of the STS (PKCS#8 or PKCS#1 RSA)")
	f.StringVar(&certFile, "cert", "", "PEM certificate of the STS")
	f.StringVar(&hokFile, "hok-cert", "", "PEM holder-of-key certificate (bearer token when absent)")
	f.StringVar(&subject, "subject", "Administrator@vsphere.local", "subject (UPN user@domain)")
	f.DurationVar(&lifetime, "lifetime", sts.DefaultLifetime, "token lifetime")
	f.StringArrayVar(&groups, "group", nil, `group, e.g. "vsphere.local\Administrators" (repeatable)`)
	f.StringArrayVar(&audiences, "audience", nil, "audience (repeatable)")
	f.BoolVar(&delegable, "delegable", false, "add a ProxyRestriction")
	f.BoolVar(&renewable, "renewable", false, "add a RenewRestriction")
	f.BoolVar(&solution, "solution-user", false, "mark the subject as a solution user")
	f.StringVar(&prefix, "prefix", sts.DefaultPrefix, "namespace prefix of the SAML elements")
	f.StringVar(&issuer, "issuer", "", "Issuer of the token (default "+sts.DefaultIssuer+")")
	return cmd
}

func newSTSKeygenCmd() *cobra.Command {
	var (
		out      string
		validity time.Duration
	)
	cmd := &cobra.Command{
		Use:   "keygen --out DIR",
		Short: "Write a fresh STS key pair and a holder-of-key key pair (development only)",
		Long: "Write sts.key.pem, sts.crt.pem, hok.key.pem and hok.crt.pem into DIR (created if needed; " +
			"existing files are never overwritten). WARNING: for tests and development only.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("sts keygen: --out is required")
			}
			if validity <= 0 {
				return usagef("sts keygen: --validity must be positive")
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			now := time.Now()
			for _, p := range []struct{ name, cn string }{{"sts", "Security Token Service"}, {"hok", "vapisec holder-of-key"}} {
				key, cert, err := sts.GenerateKeyPair(p.cn, now.Add(-time.Hour), now.Add(validity))
				if err != nil {
					return err
				}
				keyPEM, err := sts.EncodePrivateKeyPEM(key)
				if err != nil {
					return err
				}
				if err := writeNew(filepath.Join(out, p.name+".key.pem"), keyPEM, 0o600); err != nil {
					return err
				}
				if err := writeNew(filepath.Join(out, p.name+".crt.pem"), sts.EncodeCertificatePEM(cert), 0o644); err != nil {
					return err
				}
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "wrote sts.key.pem, sts.crt.pem, hok.key.pem, hok.crt.pem to %s\n", out)
			return err
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write the key pairs to")
	cmd.Flags().DurationVar(&validity, "validity", 365*24*time.Hour, "certificate validity")
	return cmd
}

// writeNew writes a file that must not exist yet.
func writeNew(name string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

func loadKeyPair(keyFile, certFile string) (crypto.Signer, *x509.Certificate, error) {
	key, err := loadPEMFile(keyFile, vapisec.ParsePrivateKeyPEM)
	if err != nil {
		return nil, nil, err
	}
	cert, err := loadCertFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	return key, cert, nil
}

func loadCertFile(name string) (*x509.Certificate, error) {
	return loadPEMFile(name, sts.ParseCertificatePEM)
}
