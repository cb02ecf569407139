package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/vapisec/vapisec/canonical"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

func newVerifyCmd() *cobra.Command {
	var (
		trust    []string
		at       string
		skew     time.Duration
		profiles []string
		bearer   bool
	)
	cmd := &cobra.Command{
		Use:   "verify --trust CERT.pem [flags] REQUEST.json",
		Short: "Verify a signed vAPI JSON-RPC request offline",
		Long: `verify checks a JSON-RPC request whose securityCtx carries a SAML
holder-of-key signature (spec §7) the way the server does: the token against
the trusted STS certificates, the timestamp window, the algorithm and the
signature over the canonical bytes. It prints the SecurityContext as JSON and
exits 0, or prints the reason and exits 1. "-" reads the request from stdin.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(trust) == 0 {
				return usagef("--trust CERT.pem is required")
			}
			now := time.Now()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return usagef("--at %q: want RFC 3339, e.g. 2024-01-01T00:05:00Z", at)
				}
				now = t
			}
			var profs []canonical.Profile
			for _, p := range profiles {
				pp, err := canonical.ParseProfile(p)
				if err != nil {
					return usagef("--profile: %v", err)
				}
				profs = append(profs, pp)
			}
			certs, err := readCertificates(trust)
			if err != nil {
				return err
			}
			var body []byte
			if args[0] == "-" {
				body, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), verifier.DefaultMaxBodySize+1))
			} else {
				body, err = os.ReadFile(args[0])
			}
			if err != nil {
				return err
			}
			clock := func() time.Time { return now }
			tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(certs...), verifier.WithClock(clock), verifier.WithClockSkew(skew))
			if err != nil {
				return err
			}
			rv, err := verifier.NewRequestVerifier(tv, verifier.WithRequestClock(clock), verifier.WithRequestClockSkew(skew),
				verifier.WithProfiles(profs...), verifier.WithAllowBearer(bearer), verifier.WithoutSIGN())
			if err != nil {
				return err
			}
			res, err := rv.VerifyJSONRPC(context.Background(), body)
			if err != nil {
				return fmt.Errorf("%s: %w", verifier.ReasonOf(err), err)
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(res.SecurityContext)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&trust, "trust", nil, "trusted STS certificate, PEM (repeatable)")
	f.StringVar(&at, "at", "", "verify at this time (RFC 3339) instead of now")
	f.DurationVar(&skew, "skew", verifier.DefaultClockSkew, "clock skew tolerated for timestamps and the token")
	f.StringArrayVar(&profiles, "profile", nil, "also accept this canonical profile: gosdk or python (repeatable; java is always accepted)")
	f.BoolVar(&bearer, "allow-bearer", false, "accept saml_bearer_token requests (WARNING: a bearer token proves nothing about the sender)")
	return cmd
}

// readCertificates reads PEM certificates, one or more per file.
func readCertificates(paths []string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		cert, err := sts.ParseCertificatePEM(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		certs = append(certs, cert)
	}
	return certs, nil
}
