package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/verifier"
)

// maxTokenInput bounds what "token verify|inspect" reads from a file or
// stdin: the base64-gzip form of the largest SIGN token, with room to spare.
const maxTokenInput = 1 << 20

func newTokenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Verify or inspect SAML 2.0 tokens",
	}
	cmd.AddCommand(newTokenVerifyCmd(), newTokenInspectCmd())
	return cmd
}

// tokenOutput is the JSON printed by "token verify" and "token inspect".
type tokenOutput struct {
	Verified bool `json:"verified"`
	*verifier.Token
	HoKCertificatePEM string `json:"hok_certificate_pem,omitempty"`
}

func newTokenVerifyCmd() *cobra.Command {
	var (
		trust, roots, audiences []string
		signers, pins           []string
		at                      string
		skew                    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "verify (--trust CERT.pem | --trust-root CA.pem --trust-signer NAME|--trust-spki PIN) [--at RFC3339] [--skew DURATION] [--audience A] TOKEN.xml|-",
		Short: "Verify a SAML token against trusted STS certificates and print it as JSON",
		Long: "Verify a SAML 2.0 token (Assertion XML, or the base64-gzip form of SIGN headers) " +
			"against trusted STS certificates (--trust) or CA roots (--trust-root). CA roots also need the " +
			"signer's identity (--trust-signer subject CN or DNS name, or --trust-spki pin): a root alone " +
			"would trust every certificate it ever issued. Prints the token " +
			"as JSON and exits 0, or prints the reason and exits 1.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(trust) == 0 && len(roots) == 0 {
				return usagef("token verify: at least one --trust or --trust-root is required")
			}
			opts := []verifier.TokenOption{verifier.WithClockSkew(skew), verifier.WithAudiences(audiences...), verifier.WithCacheSize(0)}
			for _, f := range trust {
				certs, err := loadCertsFile(f)
				if err != nil {
					return err
				}
				opts = append(opts, verifier.WithTrustedCertificates(certs...))
			}
			for _, f := range roots {
				certs, err := loadCertsFile(f)
				if err != nil {
					return err
				}
				opts = append(opts, verifier.WithTrustedRoots(certs...))
			}
			if len(signers) > 0 {
				opts = append(opts, verifier.WithTrustedSignerNames(signers...))
			}
			if len(pins) > 0 {
				opts = append(opts, verifier.WithTrustedSignerSPKIPins(pins...))
			}
			if at != "" {
				when, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return usagef("token verify: --at: %v", err)
				}
				opts = append(opts, verifier.WithClock(func() time.Time { return when }))
			}
			v, err := verifier.NewTokenVerifier(opts...)
			if err != nil {
				return usagef("token verify: %v", err)
			}
			raw, err := readToken(cmd.InOrStdin(), args[0])
			if err != nil {
				return err
			}
			tok, err := v.Verify(context.Background(), raw)
			if err != nil {
				return fmt.Errorf("token rejected (%s): %w", verifier.ReasonOf(err), err)
			}
			return printToken(cmd.OutOrStdout(), tok, true)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&trust, "trust", nil, "PEM file of trusted STS signing certificates (repeatable)")
	f.StringArrayVar(&roots, "trust-root", nil, "PEM file of CA roots the token's KeyInfo chain must lead to (repeatable)")
	f.StringArrayVar(&signers, "trust-signer", nil, "with --trust-root: subject CN or DNS name of the STS signing certificate (repeatable)")
	f.StringArrayVar(&pins, "trust-spki", nil, "with --trust-root: base64 SHA-256 pin of the STS signing certificate's public key (repeatable)")
	f.StringVar(&at, "at", "", "verify at this instant (RFC 3339) instead of now")
	f.DurationVar(&skew, "skew", verifier.DefaultClockSkew, "clock skew tolerance")
	f.StringArrayVar(&audiences, "audience", nil, "accepted audience (repeatable); default: audiences not checked")
	return cmd
}

func newTokenInspectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect TOKEN.xml|-",
		Short: "Print the fields of a SAML token WITHOUT verifying it",
		Long: "Print the fields of a SAML 2.0 token (Assertion XML, or the base64-gzip form of SIGN headers) " +
			"as JSON, marked \"verified\": false. Nothing is checked but the XML safety rules: never " +
			"trust the output.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readToken(cmd.InOrStdin(), args[0])
			if err != nil {
				return err
			}
			tok, err := verifier.ParseTokenUnverified(raw)
			if err != nil {
				return fmt.Errorf("token unreadable (%s): %w", verifier.ReasonOf(err), err)
			}
			return printToken(cmd.OutOrStdout(), tok, false)
		},
	}
}

// readToken reads a token from a file or stdin ("-"). Input that does not
// start with '<' (after whitespace) is taken as the base64-gzip form of a
// SIGN header's token parameter.
func readToken(stdin io.Reader, name string) ([]byte, error) {
	r, err := openInput(stdin, name)
	if err != nil {
		return nil, usagef("%v", err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxTokenInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxTokenInput {
		return nil, fmt.Errorf("token input larger than %d bytes", maxTokenInput)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] != '<' {
		return parser.DecodeSignToken(string(trimmed), parser.DefaultMaxSignTokenSize)
	}
	return data, nil
}

func loadCertsFile(name string) ([]*x509.Certificate, error) {
	return loadPEMFile(name, verifier.LoadCertificatesPEM)
}

func printToken(w io.Writer, tok *verifier.Token, verified bool) error {
	out := tokenOutput{Verified: verified, Token: tok}
	if tok.HoKCertificate != nil {
		out.HoKCertificatePEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tok.HoKCertificate.Raw}))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
