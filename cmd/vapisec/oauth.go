package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/sts"
)

func newOAuthCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "oauth",
		Short: "Development OAuth 2.0 issuer (tests and development only)",
	}
	cmd.AddCommand(newOAuthTokenCmd())
	return cmd
}

func newOAuthTokenCmd() *cobra.Command {
	var (
		devDir, keyFile, issuer, subject, scope string
		groups, audiences                       []string
		ttl                                     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "token [--dev-dir DIR | --key KEY.pem --issuer URL] [--subject user@domain] [--group G …] [--audience A …] [--ttl 5m]",
		Short: "Print a development OAuth 2.0 access token (WARNING: development only)",
		Long: "Print a JWT access token (RFC 9068, RS256, typ at+jwt) signed with the development key: " +
			"--dev-dir DIR reads the key and the issuer URL that \"vapisec serve --dev --dev-dir DIR\" wrote " +
			"(sts.key.pem, " + devOAuthIssuerTxt + "); --key and --issuer give them directly. Groups go into the " +
			"group_names claim, the audience defaults to " + sts.DefaultAccessTokenAudience + ". " +
			"WARNING: for tests and development only: whoever holds the key mints tokens for anyone.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if devDir != "" {
				if keyFile == "" {
					keyFile = filepath.Join(devDir, devSTSKey)
				}
				if issuer == "" {
					b, err := os.ReadFile(filepath.Join(devDir, devOAuthIssuerTxt))
					if err != nil {
						return fmt.Errorf("oauth token: %w (is vapisec serve --dev --dev-dir %s running?)", err, devDir)
					}
					issuer = strings.TrimSpace(string(b))
				}
			}
			if keyFile == "" || issuer == "" {
				return usagef("oauth token: give --dev-dir DIR, or --key and --issuer")
			}
			if ttl <= 0 || ttl > 24*time.Hour {
				return usagef("oauth token: --ttl must be positive and at most 24h")
			}
			key, err := loadPEMFile(keyFile, vapisec.ParsePrivateKeyPEM)
			if err != nil {
				return err
			}
			iss, err := sts.NewAccessTokenIssuer(key, issuer, nil)
			if err != nil {
				return usagef("oauth token: %v", err)
			}
			tok, err := iss.Issue(sts.AccessTokenRequest{Subject: subject, Groups: groups, Audience: audiences, Lifetime: ttl, Scope: scope})
			if err != nil {
				return usagef("oauth token: %v", err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), tok)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&devDir, "dev-dir", "", "the --dev-dir of a running vapisec serve --dev (key and issuer)")
	f.StringVar(&keyFile, "key", "", "PEM RSA private key that signs (default DIR/"+devSTSKey+")")
	f.StringVar(&issuer, "issuer", "", "the iss claim (default: the one serve --dev wrote into DIR/"+devOAuthIssuerTxt+")")
	f.StringVar(&subject, "subject", "dev@vsphere.local", "the sub claim (user@domain)")
	f.StringArrayVar(&groups, "group", nil, `a group for the group_names claim, e.g. "vsphere.local\Administrators" (repeatable)`)
	f.StringArrayVar(&audiences, "audience", nil, "an aud value (repeatable; default "+sts.DefaultAccessTokenAudience+")")
	f.DurationVar(&ttl, "ttl", sts.DefaultAccessTokenLifetime, "token lifetime (exp − iat)")
	f.StringVar(&scope, "scope", "", "the scope claim (space-separated)")
	return cmd
}
