package main

import (
	"crypto"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/signer"
)

func newSignCmd() *cobra.Command {
	var keyFile, tokenFile, alg, at string
	var validity time.Duration
	var bearer bool
	cmd := &cobra.Command{
		Use:   "sign --key KEY.pem --token TOKEN.xml [--alg RS256] [--at RFC3339] [--validity 10m] REQUEST.json|-",
		Short: "Sign a JSON-RPC request with a SAML holder-of-key token",
		Long: "Read a vAPI JSON-RPC request from REQUEST.json (or stdin for -), set params.ctx.securityCtx " +
			"(spec §7.2: the HoK scheme, the algorithm, a timestamp from --at for --validity), sign its Java-profile " +
			"canonical form with the private key and write the signed request to stdout as compact JSON. " +
			"--alg is RS256 (default), RS384, RS512, ES256, ES384 or ES512. With --bearer (no --key) the token " +
			"is put into the request as a bearer token, unsigned.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			token, key, err := loadSignTokenAndKey(tokenFile, keyFile, bearer)
			if err != nil {
				return err
			}
			a, err := signer.ParseAlgorithm(alg)
			if err != nil {
				return usagef("sign: --alg: %v", err)
			}
			opts := []signer.Option{signer.WithAlgorithm(a), signer.WithValidity(validity)}
			if validity <= 0 || validity > 24*time.Hour {
				return usagef("sign: --validity must be in (0, 24h]")
			}
			if at != "" {
				t, err := time.Parse(time.RFC3339Nano, at)
				if err != nil {
					return usagef("sign: --at: %v", err)
				}
				opts = append(opts, signer.WithClock(func() time.Time { return t }))
			}
			var s *signer.JSONRPCSigner
			if bearer {
				s, err = signer.NewBearerJSONRPCSigner(token, opts...)
			} else {
				s, err = signer.NewJSONRPCSigner(key, token, opts...)
			}
			if err != nil {
				return err
			}
			req, err := readSignInput(cmd, args[0], signer.DefaultMaxRequestSize)
			if err != nil {
				return err
			}
			out, err := s.Sign(req)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyFile, "key", "", "PEM private key of the token's holder-of-key certificate (PKCS#8, PKCS#1 or SEC 1)")
	f.StringVar(&tokenFile, "token", "", "SAML token (Assertion XML) file (required)")
	f.StringVar(&alg, "alg", string(signer.DefaultAlgorithm), "signature algorithm: RS256, RS384, RS512, ES256, ES384, ES512")
	f.StringVar(&at, "at", "", "sign as of this RFC 3339 time instead of now")
	f.DurationVar(&validity, "validity", signer.DefaultValidity, "timestamp window (expires - created)")
	f.BoolVar(&bearer, "bearer", false, "put the token in as a bearer token (no key, no signature)")
	return cmd
}

func newSignHeaderCmd() *cobra.Command {
	var keyFile, tokenFile, method, rawURL, bodyFile, nonce string
	var bearer bool
	cmd := &cobra.Command{
		Use:   "sign-header --key KEY.pem --token TOKEN.xml --method M --url URL [--body FILE] [--nonce N] [--bearer]",
		Short: "Print an Authorization: SIGN header value for a REST request",
		Long: "Print the value of the Authorization header govmomi's sts.Signer would send for this request " +
			"(spec §8): the token as base64(gzip(XML)) and, for a holder-of-key token, the RSA-SHA256 signature " +
			"of the normalized request, the nonce and the body hash. --nonce fixes the nonce (default: " +
			"<unix ms>:<random>); --bearer sends the token only.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			token, key, err := loadSignTokenAndKey(tokenFile, keyFile, bearer)
			if err != nil {
				return err
			}
			u, err := url.Parse(rawURL)
			if err != nil || u.Host == "" {
				return usagef("sign-header: --url must be an absolute URL")
			}
			if method == "" {
				return usagef("sign-header: --method is required")
			}
			var body []byte
			if bodyFile != "" {
				if body, err = readSignInput(cmd, bodyFile, signer.DefaultMaxRequestSize); err != nil {
					return err
				}
			}
			var s *signer.HeaderSigner
			if bearer {
				s, err = signer.NewBearerHeaderSigner(token)
			} else {
				s, err = signer.NewHeaderSigner(key, token)
			}
			if err != nil {
				return err
			}
			var v string
			if nonce != "" {
				v, err = s.AuthorizationWithNonce(method, u, body, nonce)
			} else {
				v, err = s.Authorization(method, u, body)
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), v)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&keyFile, "key", "", "PEM RSA private key of the token's holder-of-key certificate")
	f.StringVar(&tokenFile, "token", "", "SAML token (Assertion XML) file (required)")
	f.StringVar(&method, "method", "POST", "HTTP method of the request")
	f.StringVar(&rawURL, "url", "", "absolute URL of the request (required)")
	f.StringVar(&bodyFile, "body", "", "file with the request body (- for stdin; default: empty body)")
	f.StringVar(&nonce, "nonce", "", "nonce to sign with (default: <unix ms>:<random>)")
	f.BoolVar(&bearer, "bearer", false, "bearer header: the token only")
	return cmd
}

// loadSignTokenAndKey reads --token and, unless bearer, --key.
func loadSignTokenAndKey(tokenFile, keyFile string, bearer bool) ([]byte, crypto.Signer, error) {
	if tokenFile == "" {
		return nil, nil, usagef("--token is required")
	}
	if bearer && keyFile != "" {
		return nil, nil, usagef("--bearer and --key exclude each other")
	}
	if !bearer && keyFile == "" {
		return nil, nil, usagef("--key is required (or --bearer)")
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, nil, err
	}
	if bearer {
		return token, nil, nil
	}
	pemBytes, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	key, err := vapisec.ParsePrivateKeyPEM(pemBytes)
	if err != nil {
		return nil, nil, err
	}
	return token, key, nil
}

// readSignInput reads a file, or stdin for "-", at most limit bytes.
func readSignInput(cmd *cobra.Command, name string, limit int) ([]byte, error) {
	r, err := openInput(cmd.InOrStdin(), name)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s: %w", name, signer.ErrBodyTooLarge)
	}
	return b, nil
}
