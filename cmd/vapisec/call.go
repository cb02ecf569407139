package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	"github.com/vapisec/vapisec/client"
	"github.com/vapisec/vapisec/signer"
)

// maxBearerFile bounds the --bearer-file read: 64 KiB, far above any
// access token a server accepts.
const maxBearerFile = 64 << 10

func newCallCmd() *cobra.Command {
	var rawURL, user, keyFile, tokenFile, bearer, bearerFile, method, dataFile string
	var apiSession, insecure bool
	cmd := &cobra.Command{
		Use:   "call --url URL [--user U:P | --key K --token T | --bearer TOKEN | --bearer-file F] [--method M] [--data FILE]",
		Short: "Log in to a vAPI server, perform one request in the session and log out",
		Long: "Log in to the server of URL with Basic credentials (--user NAME:PASSWORD) or a holder-of-key " +
			"SAML token (--key, --token: Authorization SIGN, as govc session.login -token does) or an OAuth 2.0 " +
			"access token (--bearer TOKEN or --bearer-file FILE, - for stdin: Authorization Bearer), perform the " +
			"request with the vmware-api-session-id header (re-logging in once if the session is gone), " +
			"print the response body to stdout and log out. The login uses the legacy session resource " +
			"(/rest/com/vmware/cis/session) unless --api-session. Exit 1 for an HTTP status of 400 or more.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := url.Parse(rawURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usagef("call: --url must be an absolute http(s) URL")
			}
			opts := []client.Option{client.WithKeepAlive(0)}
			logins := 0
			for _, set := range []bool{user != "", keyFile != "" || tokenFile != "", bearer != "" || bearerFile != ""} {
				if set {
					logins++
				}
			}
			switch {
			case logins > 1:
				return usagef("call: --user, --key/--token and --bearer/--bearer-file exclude each other")
			case bearer != "" && bearerFile != "":
				return usagef("call: --bearer and --bearer-file exclude each other")
			case bearerFile == "-" && dataFile == "-":
				return usagef("call: --bearer-file and --data cannot both read stdin")
			case bearer != "" || bearerFile != "":
				tok := bearer
				if bearerFile != "" {
					b, err := readSignInput(cmd, bearerFile, maxBearerFile)
					if err != nil {
						return err
					}
					tok = strings.TrimSpace(string(b))
				}
				// Checked here too, so a bad token is a usage error, not
				// a failed login.
				ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "Bearer"})
				if _, err := signer.BearerToken(ts); err != nil {
					return usagef("call: --bearer: %v", err)
				}
				opts = append(opts, client.WithTokenSource(ts))
			case user != "":
				name, pass, ok := strings.Cut(user, ":")
				if !ok || name == "" {
					return usagef("call: --user must be NAME:PASSWORD")
				}
				opts = append(opts, client.WithBasicAuth(name, pass))
			default:
				token, key, err := loadSignTokenAndKey(tokenFile, keyFile, false)
				if err != nil {
					return err
				}
				hs, err := signer.NewHeaderSigner(key, token)
				if err != nil {
					return err
				}
				opts = append(opts, client.WithTokenLogin(hs))
			}
			if apiSession {
				opts = append(opts, client.WithSessionStyle(client.APISession))
			}
			if insecure {
				tr := http.DefaultTransport.(*http.Transport).Clone()
				tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicit --insecure
				opts = append(opts, client.WithHTTPClient(&http.Client{Transport: tr}))
			}
			var body []byte
			if dataFile != "" {
				if body, err = readSignInput(cmd, dataFile, signer.DefaultMaxRequestSize); err != nil {
					return err
				}
			}
			base := (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
			c, err := client.New(base, opts...)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
			if err != nil {
				return usagef("call: %v", err)
			}
			if len(body) > 0 {
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := c.Do(req)
			if err != nil {
				_ = c.Close(ctx)
				return err
			}
			_, copyErr := io.Copy(cmd.OutOrStdout(), res.Body)
			res.Body.Close()
			closeErr := c.Close(ctx)
			switch {
			case copyErr != nil:
				return copyErr
			case res.StatusCode >= 400:
				return fmt.Errorf("call: HTTP %s", res.Status)
			}
			return closeErr
		},
	}
	f := cmd.Flags()
	f.StringVar(&rawURL, "url", "", "absolute URL of the request (required)")
	f.StringVar(&user, "user", "", "Basic login as NAME:PASSWORD")
	f.StringVar(&keyFile, "key", "", "PEM private key of the holder-of-key token (with --token)")
	f.StringVar(&tokenFile, "token", "", "SAML holder-of-key token file (with --key)")
	f.StringVar(&bearer, "bearer", "", "log in with this OAuth 2.0 access token (Authorization: Bearer); visible in the process list, prefer --bearer-file")
	f.StringVar(&bearerFile, "bearer-file", "", "log in with the OAuth 2.0 access token in this file (- for stdin; surrounding white space ignored)")
	f.StringVar(&method, "method", http.MethodGet, "HTTP method")
	f.StringVar(&dataFile, "data", "", "request body file (- for stdin)")
	f.BoolVar(&apiSession, "api-session", false, "log in with POST /api/session (vCenter 7+) instead of the legacy resource")
	f.BoolVar(&insecure, "insecure", false, "WARNING: skip TLS certificate verification (test servers only)")
	return cmd
}
