package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/conformance"
)

// conformanceOptions are the flags of "vapisec conformance".
type conformanceOptions struct {
	target      string
	user        string
	stsKey      string
	stsCert     string
	hokKey      string
	hokCert     string
	token       string
	oauthKey    string
	oauthKid    string
	oauthIss    string
	oauthAud    string
	bearer      string
	bearerFile  string
	insecure    bool
	level       string
	run         string
	format      string
	out         string
	idleTimeout time.Duration
	timeout     time.Duration
}

func newConformanceCmd() *cobra.Command {
	var o conformanceOptions
	cmd := &cobra.Command{
		Use:   "conformance --target URL",
		Short: "Check how a vAPI endpoint handles authentication",
		Long: `conformance runs the vapisec conformance suite (docs/conformance.md) against
the vAPI endpoint at --target — vapisec, vcsim, a vendor's server or a real
vCenter — and reports PASS, FAIL or SKIP per case. Requests go only to the
target; redirects are not followed.

Cases that log in need --user NAME:PASSWORD. Signed-request cases need HoK
material: --hok-key/--hok-cert with --sts-key/--sts-cert (an STS the target
trusts; the suite issues its own tokens), or --token (a SAML token file, with
--hok-key for a HoK token). The expiry case needs --idle-timeout, the
target's (short) session idle timeout. The OAuth cases need --oauth-key
(a PEM private key whose public half the target's JWKS holds, under
--oauth-kid) with --oauth-issuer and --oauth-audience (the suite mints valid
and broken access tokens), or --bearer/--bearer-file (an access token the
target accepts: only the valid, tampered and alg:none cases run). Cases
without their material are skipped.

--level must runs the cases every runtime agrees on, should (the default)
adds vapisec's decisions where runtimes differ, all adds vapisec's
extensions (clone tickets, whoami, CSRF).

Exit status: 0 when no selected case failed, 1 otherwise, 2 on a usage error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConformance(cmd.Context(), o, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", "base URL of the endpoint (http(s)://host[:port]); required")
	f.StringVar(&o.user, "user", "", "an account on the target as NAME:PASSWORD")
	f.StringVar(&o.stsKey, "sts-key", "", "PEM private key of an STS the target trusts (with --sts-cert)")
	f.StringVar(&o.stsCert, "sts-cert", "", "PEM certificate of that STS")
	f.StringVar(&o.hokKey, "hok-key", "", "PEM holder-of-key private key (with --hok-cert)")
	f.StringVar(&o.hokCert, "hok-cert", "", "PEM holder-of-key certificate")
	f.StringVar(&o.token, "token", "", "a SAML token (Assertion XML file) the target trusts")
	f.StringVar(&o.oauthKey, "oauth-key", "", "PEM private key (RSA or ECDSA) the target trusts for OAuth access tokens (with --oauth-issuer, --oauth-audience)")
	f.StringVar(&o.oauthKid, "oauth-kid", "", "the kid of --oauth-key in the target's JWKS")
	f.StringVar(&o.oauthIss, "oauth-issuer", "", "the OAuth issuer the target is configured with")
	f.StringVar(&o.oauthAud, "oauth-audience", "", "an audience the target accepts")
	f.StringVar(&o.bearer, "bearer", "", "an OAuth access token the target accepts (visible in the process list: prefer --bearer-file)")
	f.StringVar(&o.bearerFile, "bearer-file", "", "a file holding an OAuth access token the target accepts")
	f.BoolVar(&o.insecure, "insecure", false, "do not verify the target's TLS certificate")
	f.StringVar(&o.level, "level", "should", "cases to run: must, should or all")
	f.StringVar(&o.run, "run", "", "run only the cases whose id matches this regular expression")
	f.StringVar(&o.format, "format", conformance.FormatTable, "report format: table, json or junit")
	f.StringVar(&o.out, "out", "", "write the report to this file instead of stdout")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 0, "the target's session idle timeout (≤ 30s), to run the expiry case")
	f.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of each request")
	return cmd
}

// errCasesFailed is returned when the suite ran and some case failed.
var errCasesFailed = errors.New("conformance: some cases failed")

// conformanceRunnerOptions turns the flags into runner options.
func conformanceRunnerOptions(o conformanceOptions) ([]conformance.Option, error) {
	if o.target == "" {
		return nil, usagef("--target is required")
	}
	level := conformance.Level(o.level)
	if o.level == "all" {
		level = conformance.LevelExtension
	}
	client := &http.Client{Timeout: o.timeout}
	if o.insecure {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for --insecure
		client.Transport = tr
	}
	opts := []conformance.Option{conformance.WithLevel(level), conformance.WithHTTPClient(client)}
	if o.run != "" {
		opts = append(opts, conformance.WithRun(o.run))
	}
	if o.user != "" {
		name, pass, ok := strings.Cut(o.user, ":")
		if !ok || name == "" {
			return nil, usagef("--user %q: want NAME:PASSWORD", o.user)
		}
		opts = append(opts, conformance.WithBasic(name, pass))
	}
	if o.idleTimeout != 0 {
		opts = append(opts, conformance.WithIdleTimeout(o.idleTimeout))
	}
	if (o.stsKey == "") != (o.stsCert == "") {
		return nil, usagef("--sts-key and --sts-cert go together")
	}
	if (o.hokKey == "") != (o.hokCert == "") {
		return nil, usagef("--hok-key and --hok-cert go together")
	}
	if o.stsKey != "" {
		key, cert, err := loadKeyPair(o.stsKey, o.stsCert)
		if err != nil {
			return nil, err
		}
		opts = append(opts, conformance.WithSTS(key, cert))
	}
	if o.hokKey != "" {
		key, cert, err := loadKeyPair(o.hokKey, o.hokCert)
		if err != nil {
			return nil, err
		}
		opts = append(opts, conformance.WithHoK(key, cert))
	}
	if o.token != "" {
		tok, err := os.ReadFile(o.token)
		if err != nil {
			return nil, usagef("%v", err)
		}
		opts = append(opts, conformance.WithToken(tok))
	}
	oauthSet := o.oauthKey != "" || o.oauthIss != "" || o.oauthAud != "" || o.oauthKid != ""
	switch {
	case oauthSet && (o.oauthKey == "" || o.oauthIss == "" || o.oauthAud == ""):
		return nil, usagef("--oauth-key, --oauth-issuer and --oauth-audience go together (--oauth-kid with them)")
	case o.bearer != "" && o.bearerFile != "":
		return nil, usagef("--bearer and --bearer-file exclude each other")
	}
	if o.oauthKey != "" {
		b, err := os.ReadFile(o.oauthKey)
		if err != nil {
			return nil, usagef("%v", err)
		}
		key, err := vapisec.ParsePrivateKeyPEM(b)
		if err != nil {
			return nil, usagef("--oauth-key: %v", err)
		}
		opts = append(opts, conformance.WithOAuthKey(key, o.oauthKid, o.oauthIss, o.oauthAud))
	}
	if tok := o.bearer; tok != "" || o.bearerFile != "" {
		if o.bearerFile != "" {
			b, err := os.ReadFile(o.bearerFile)
			if err != nil {
				return nil, usagef("%v", err)
			}
			tok = strings.TrimSpace(string(b))
		}
		opts = append(opts, conformance.WithAccessToken(tok))
	}
	return opts, nil
}

func runConformance(ctx context.Context, o conformanceOptions, stdout io.Writer) error {
	switch o.format {
	case conformance.FormatTable, conformance.FormatJSON, conformance.FormatJUnit:
	default:
		return usagef("--format %q: want table, json or junit", o.format)
	}
	opts, err := conformanceRunnerOptions(o)
	if err != nil {
		return err
	}
	r, err := conformance.NewRunner(o.target, opts...)
	if err != nil {
		if errors.Is(err, conformance.ErrInvalidOption) {
			return usagef("%v", err)
		}
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	rep := r.Run(ctx)
	var buf bytes.Buffer
	if err := rep.Write(&buf, o.format); err != nil {
		return err
	}
	if o.out != "" {
		if err := os.WriteFile(o.out, buf.Bytes(), 0o644); err != nil {
			return err
		}
	} else if _, err := stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("%w: %d of %d", errCasesFailed, rep.Summary.Fail, len(rep.Cases))
	}
	return nil
}
