// Command client shows package client against a vapisec server: it logs in
// with HTTP Basic credentials, calls a route within the session, finds the
// session ended behind its back (a logout by someone else holding the id),
// logs in again and retries by itself, and logs out on Close.
//
// Run it alone (it starts an in-process server on a free loopback port):
//
//	go run ./examples/client
//
// or against examples/server, or the demo server of the CLI:
//
//	go run ./examples/client -target http://127.0.0.1:8080
//	go run ./examples/client -target http://127.0.0.1:8080 -path /api/vapisec/whoami  # vapisec serve --dev --user alice@vsphere.local:secret
//
// The target must have the user alice@vsphere.local with the password
// "secret" (or give -user and -password) and the route GET
// /api/example/hello (or give -path).
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

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/client"
	"github.com/vapisec/vapisec/examples/internal/demoserver"
	"github.com/vapisec/vapisec/session"
)

func main() {
	target := flag.String("target", "", "base URL of the server (default: start one in process)")
	addr := flag.String("addr", "127.0.0.1:0", "address of the in-process server when there is no -target")
	user := flag.String("user", demoserver.User, "user name to log in with")
	password := flag.String("password", demoserver.Password, "password to log in with")
	path := flag.String("path", demoserver.HelloPath, "route to call")
	flag.Parse()
	if err := run(*target, *addr, *user, *password, *path, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

func run(target, addr, user, password, path string, out io.Writer) error {
	if target == "" {
		store, err := session.NewMemoryStore()
		if err != nil {
			return err
		}
		srv, err := demoserver.Start(addr, store)
		if err != nil {
			return err
		}
		defer srv.Close()
		target = srv.URL()
		fmt.Fprintf(out, "listening on %s\n", target)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

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
	last := c.SessionID()
	if err := c.Close(ctx); err != nil {
		return err
	}
	code, err := status(ctx, http.MethodGet, target+vapisec.SessionPath, last)
	if err != nil {
		return err
	}
	if code != http.StatusUnauthorized {
		return fmt.Errorf("session after Close: status %d, want 401", code)
	}
	fmt.Fprintf(out, "logged out: the session answers %d\n", code)
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
