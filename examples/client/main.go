// Command client shows package client against a vapisec server, in two
// parts.
//
// Basic: it logs in with HTTP Basic credentials, calls a route within the
// session, finds the session ended behind its back (a logout by someone else
// holding the id), logs in again and retries by itself, and logs out on Close.
//
// Signed: with a SAML holder-of-key token and its private key it logs in with
// an "Authorization: SIGN" header (client.WithTokenLogin with a
// signer.HeaderSigner), calls the route within that session and logs out; then
// it sends one request through an http.Client whose Transport is a
// signer.Transport: SIGN-signed on its own, without any session.
//
// OAuth (in process only): with an oauth2.TokenSource (here one that asks
// the server's development issuer; in production a clientcredentials.Config
// of the identity provider) it logs in with "Authorization: Bearer"
// (client.WithTokenSource), calls within that session and logs out; then it
// sends one request through a signer.Transport that puts the source's token
// on every request, without any session.
//
// Run it alone (it starts an in-process server on a free loopback port, with
// a development STS that issues the token):
//
//	go run ./examples/client
//
// or against examples/server, or the demo server of the CLI:
//
//	go run ./examples/client -target http://127.0.0.1:8080
//	go run ./examples/client -target http://127.0.0.1:8080 -path /api/vapisec/whoami \
//		-hok-key DIR/hok.key.pem -token DIR/token.xml  # vapisec serve --dev --dev-dir DIR --user alice@vsphere.local:secret
//
// The target must have the user alice@vsphere.local with the password
// "secret" (or give -user and -password) and the route GET
// /api/example/hello (or give -path). With -target, the signed part needs
// -hok-key (the holder-of-key private key, PEM) and -token (the token XML),
// as "vapisec serve --dev --dev-dir DIR" writes them; without both it is
// skipped, with a line that says so (examples/server has no SAML scheme).
// It prints one line per step and exits 1 on any unexpected answer.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"golang.org/x/oauth2"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/client"
	"github.com/vapisec/vapisec/examples/internal/demoserver"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/signer"
	"github.com/vapisec/vapisec/sts"
)

func main() {
	target := flag.String("target", "", "base URL of the server (default: start one in process)")
	addr := flag.String("addr", "127.0.0.1:0", "address of the in-process server when there is no -target")
	user := flag.String("user", demoserver.User, "user name to log in with")
	password := flag.String("password", demoserver.Password, "password to log in with")
	path := flag.String("path", demoserver.HelloPath, "route to call")
	hokKey := flag.String("hok-key", "", "with -target: file of the holder-of-key private key (PEM), for the signed part")
	token := flag.String("token", "", "with -target: file of the holder-of-key token (XML), for the signed part")
	flag.Parse()
	if err := run(*target, *addr, *user, *password, *path, *hokKey, *token, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

// skipSigned is the line printed when -target is given without -hok-key and
// -token.
const skipSigned = "signed part skipped: -target without -hok-key and -token (written by vapisec serve --dev --dev-dir DIR)"

// skipOAuth is the line printed with -target: the OAuth part needs the
// in-process server's development issuer.
const skipOAuth = "OAuth part skipped: -target (the in-process server's development issuer signs the tokens)"

func run(target, addr, user, password, path, hokKey, token string, out io.Writer) error {
	var signing *demoserver.Signing
	var issuer *sts.AccessTokenIssuer
	switch {
	case target == "" && (hokKey != "" || token != ""):
		return fmt.Errorf("-hok-key and -token need -target (the in-process server issues its own token)")
	case target == "":
		store, err := session.NewMemoryStore()
		if err != nil {
			return err
		}
		srv, err := demoserver.Start(addr, store, demoserver.WithSigning(), demoserver.WithOAuth())
		if err != nil {
			return err
		}
		defer srv.Close()
		target, signing, issuer = srv.URL(), srv.Signing(), srv.OAuth()
		fmt.Fprintf(out, "listening on %s\n", target)
	case hokKey != "" && token != "":
		var err error
		if signing, err = readSigning(hokKey, token); err != nil {
			return err
		}
	case hokKey != "" || token != "":
		return fmt.Errorf("the signed part needs both -hok-key and -token")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := runBasic(ctx, target, user, password, path, out); err != nil {
		return err
	}
	if signing == nil {
		fmt.Fprintln(out, skipSigned)
	} else if err := runSigned(ctx, target, path, signing, out); err != nil {
		return err
	}
	if issuer == nil {
		fmt.Fprintln(out, skipOAuth)
		return nil
	}
	return runOAuth(ctx, target, path, issuer, out)
}

// issuerSource is an oauth2.TokenSource that asks the development issuer
// for a fresh token; oauth2.ReuseTokenSource around it hands the same token
// out until it expires, as a clientcredentials.Config's source does.
type issuerSource struct{ iss *sts.AccessTokenIssuer }

func (s issuerSource) Token() (*oauth2.Token, error) {
	tok, err := s.iss.Issue(sts.AccessTokenRequest{Subject: demoserver.User, Lifetime: 10 * time.Minute})
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{AccessToken: tok, TokenType: "Bearer", Expiry: time.Now().Add(10 * time.Minute)}, nil
}

// runOAuth is the OAuth part: a session logged in with an access token from
// a token source, then one Bearer request without a session.
func runOAuth(ctx context.Context, target, path string, iss *sts.AccessTokenIssuer, out io.Writer) error {
	ts := oauth2.ReuseTokenSource(nil, issuerSource{iss})

	// The login carries "Authorization: Bearer <token>"; the calls within
	// the session only the session id. A re-login asks the source again.
	c, err := client.New(target, client.WithTokenSource(ts))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if err := call(ctx, c, path, out, "OAuth call"); err != nil {
		return err
	}
	if c.SessionID() == "" {
		return fmt.Errorf("no session after the bearer login")
	}
	fmt.Fprintln(out, "logged in with an OAuth access token (Bearer): session id held")
	if err := closeAndCheck(ctx, c, target, out, "OAuth session", "OAuth session logged out"); err != nil {
		return err
	}

	// No session: signer.Transport puts the source's token on each request.
	return getWithoutSession(ctx, &signer.Transport{TokenSource: ts}, target, path, out, "Bearer request")
}

// readSigning reads the holder-of-key key and token files.
func readSigning(keyFile, tokenFile string) (*demoserver.Signing, error) {
	pemData, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, err
	}
	key, err := vapisec.ParsePrivateKeyPEM(pemData)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyFile, err)
	}
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, err
	}
	return &demoserver.Signing{Key: key, Token: token}, nil
}

// runBasic is the Basic part: login, a call, the re-login after the session
// ended behind the client's back, logout on Close.
func runBasic(ctx context.Context, target, user, password, path string, out io.Writer) error {

	c, err := client.New(target, client.WithBasicAuth(user, password))
	if err != nil {
		return err
	}
	defer c.Close(ctx)

	// The first request logs in (POST /api/session with Basic), then is sent
	// with the session id in the vmware-api-session-id header.
	if err := call(ctx, c, path, out, "call"); err != nil {
		return err
	}
	first := c.SessionID()
	fmt.Fprintln(out, "logged in with Basic: session id held")

	// Someone else holding the id logs the session out: the server ends it.
	if code, err := logout(ctx, target, first); err != nil {
		return err
	} else if code != http.StatusNoContent {
		return fmt.Errorf("logout behind the client's back: status %d, want 204", code)
	}
	fmt.Fprintln(out, "session ended behind the client's back: 204")

	// The next call gets 401 unknown_session; the client logs in again and
	// retries once, so the caller sees only the 200.
	if err := call(ctx, c, path, out, "call after re-login"); err != nil {
		return err
	}
	if c.SessionID() == first || c.SessionID() == "" {
		return fmt.Errorf("no new session after the re-login")
	}
	fmt.Fprintln(out, "re-logged in: new session id")

	// Close logs out; the id is dead afterwards.
	return closeAndCheck(ctx, c, target, out, "session", "logged out")
}

// closeAndCheck logs c out and checks that its session id answers 401
// afterwards, printing "<done>: the session answers 401".
func closeAndCheck(ctx context.Context, c *client.Client, target string, out io.Writer, what, done string) error {
	last := c.SessionID()
	if err := c.Close(ctx); err != nil {
		return err
	}
	code, err := status(ctx, http.MethodGet, target+vapisec.SessionPath, last)
	if err != nil {
		return err
	}
	if code != http.StatusUnauthorized {
		return fmt.Errorf("%s after Close: status %d, want 401", what, code)
	}
	fmt.Fprintf(out, "%s: the session answers %d\n", done, code)
	return nil
}

// runSigned is the signed part: a session logged in with the holder-of-key
// token, then one SIGN-signed request without a session.
func runSigned(ctx context.Context, target, path string, sg *demoserver.Signing, out io.Writer) error {
	// The HeaderSigner makes "Authorization: SIGN" headers: the token, and a
	// signature with the holder-of-key key over a fresh nonce, the method,
	// path, host, port and body hash.
	h, err := signer.NewHeaderSigner(sg.Key, sg.Token)
	if err != nil {
		return err
	}

	// A session client that logs in with a SIGN header instead of Basic; the
	// calls within the session carry only the session id.
	c, err := client.New(target, client.WithTokenLogin(h))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	if err := call(ctx, c, path, out, "token call"); err != nil {
		return err
	}
	if c.SessionID() == "" {
		return fmt.Errorf("no session after the token login")
	}
	fmt.Fprintln(out, "logged in with the HoK token (SIGN): session id held")
	if err := closeAndCheck(ctx, c, target, out, "token session", "token session logged out"); err != nil {
		return err
	}

	// No session at all: signer.Transport signs each request it sends, and the
	// server verifies each one on its own (a fresh nonce each time).
	return getWithoutSession(ctx, &signer.Transport{Header: h}, target, path, out, "SIGN-signed request")
}

// getWithoutSession sends GET path through rt, which authenticates the
// request itself (no session), and wants 200.
func getWithoutSession(ctx context.Context, rt http.RoundTripper, target, path string, out io.Writer, what string) error {
	hc := &http.Client{Transport: rt}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+path, nil)
	if err != nil {
		return err
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: GET %s: status %d: %s", what, path, res.StatusCode, body)
	}
	fmt.Fprintf(out, "%s, no session: GET %s: %d %s\n", what, path, res.StatusCode, bytes.TrimSpace(body))
	return nil
}

// call sends GET path within the client's session and wants 200.
func call(ctx context.Context, c *client.Client, path string, out io.Writer, what string) error {
	req, err := c.NewRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: GET %s: status %d: %s", what, path, res.StatusCode, body)
	}
	fmt.Fprintf(out, "%s: GET %s: %d %s\n", what, path, res.StatusCode, bytes.TrimSpace(body))
	return nil
}

// logout ends the session id on the server with a plain HTTP client, as
// another holder of the id (or an administrator) would.
func logout(ctx context.Context, target, id string) (int, error) {
	return status(ctx, http.MethodDelete, target+vapisec.SessionPath, id)
}

// status sends method url with the session id and returns the status.
func status(ctx context.Context, method, url, id string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set(vapisec.HeaderSessionID, id)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}
