// Command plugin-backend shows the vCenter plugin pattern on vapisec: a
// plugin's "middle tier", which holds the user's session, acquires a clone
// ticket (POST /api/vapisec/session/clone-ticket); it hands the ticket to a
// "backend", a separate component with its own HTTP client and no
// credentials of its own, which redeems it (POST /api/session with
// vmware-api-clone-ticket) for a session of the same user and works on the
// user's behalf. The ticket is single use, and when the user logs out the
// backend's session ends with it: the backend's next call gets 401.
//
// Run it alone (it starts an in-process server on a free loopback port):
//
//	go run ./examples/plugin-backend
//
// or against examples/server, or the demo server of the CLI (which has
// alice@vsphere.local with -user, and its own route):
//
//	go run ./examples/plugin-backend -target http://127.0.0.1:8080
//	go run ./examples/plugin-backend -target http://127.0.0.1:8080 -path /api/vapisec/whoami  # vapisec serve --dev --user alice@vsphere.local:secret
//
// It prints one line per step and exits 1 on any unexpected answer.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/client"
	"github.com/vapisec/vapisec/examples/internal/demoserver"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

func main() {
	target := flag.String("target", "", "base URL of the server (default: start one in process)")
	addr := flag.String("addr", "127.0.0.1:0", "address of the in-process server when there is no -target")
	path := flag.String("path", demoserver.HelloPath, "route the backend calls")
	flag.Parse()
	if err := run(*target, *addr, *path, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "plugin-backend:", err)
		os.Exit(1)
	}
}

func run(target, addr, path string, out io.Writer) error {
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

	// The user's session, as the plugin's middle tier sees it (in vCenter:
	// the session of the UI the user logged in to).
	user, err := client.New(target, client.WithBasicAuth(demoserver.User, demoserver.Password))
	if err != nil {
		return err
	}
	defer user.Close(ctx)
	if err := user.Login(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "user: logged in with Basic")

	// The middle tier acquires a clone ticket from the user's session.
	req, err := user.NewRequest(ctx, http.MethodPost, middleware.DefaultCloneTicketPath, nil)
	if err != nil {
		return err
	}
	res, err := user.Do(req)
	if err != nil {
		return err
	}
	ticket, err := readString(res, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("clone ticket: %w", err)
	}
	fmt.Fprintln(out, "middle tier: acquired a clone ticket")

	// The backend runs on its own: it gets the ticket, and later the news
	// that the user logged out, over channels, and reports what it saw.
	tickets, loggedOut := make(chan string), make(chan struct{})
	reports := make(chan string)
	b := &backend{base: target, path: path, http: &http.Client{Timeout: 5 * time.Second}}
	go b.run(ctx, tickets, loggedOut, reports)

	tickets <- ticket
	for range 3 { // redeemed, worked, ticket reused
		if err := report(out, <-reports); err != nil {
			return err
		}
	}

	// The user logs out; the backend's session, derived from it, ends too.
	if err := user.Close(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "user: logged out")
	close(loggedOut)
	return report(out, <-reports)
}

// report prints a backend report, or returns it as an error when it is one.
func report(out io.Writer, r string) error {
	if msg, ok := strings.CutPrefix(r, "error: "); ok {
		return fmt.Errorf("backend: %s", msg)
	}
	fmt.Fprintln(out, "backend:", r)
	return nil
}

// backend is the plugin's backend: its own HTTP client, no credentials but
// the clone ticket it is handed.
type backend struct {
	base string
	path string // the route it calls
	http *http.Client
	id   string // the session id the ticket was redeemed for
}

// run redeems the ticket it receives, works with the session, tries the
// used ticket again, then waits for loggedOut and calls once more. Each step
// sends one report ("error: …" when a status is not the expected one).
func (b *backend) run(ctx context.Context, tickets <-chan string, loggedOut <-chan struct{}, reports chan<- string) {
	ticket := <-tickets
	res, err := b.do(ctx, http.MethodPost, vapisec.SessionPath, map[string]string{
		vapisec.HeaderCloneTicket:    ticket,
		vapisec.HeaderUseHeaderAuthn: "true",
	})
	if err == nil {
		b.id, err = readString(res, http.StatusCreated)
	}
	reports <- result(err, "redeemed the clone ticket for its own session of the user")

	res, err = b.do(ctx, http.MethodGet, b.path, map[string]string{vapisec.HeaderSessionID: b.id})
	var body string
	if err == nil {
		body, err = readBody(res, http.StatusOK)
	}
	reports <- result(err, "GET "+b.path+": 200 "+body)

	res, err = b.do(ctx, http.MethodPost, vapisec.SessionPath, map[string]string{
		vapisec.HeaderCloneTicket:    ticket,
		vapisec.HeaderUseHeaderAuthn: "true",
	})
	var reason string
	if err == nil {
		reason, err = readReason(res, http.StatusUnauthorized)
	}
	reports <- result(err, "the ticket again: 401 "+reason+" (single use)")

	<-loggedOut
	res, err = b.do(ctx, http.MethodGet, b.path, map[string]string{vapisec.HeaderSessionID: b.id})
	if err == nil {
		reason, err = readReason(res, http.StatusUnauthorized)
	}
	reports <- result(err, "GET "+b.path+" after the user's logout: 401 "+reason)
}

// result is the report of a step.
func result(err error, ok string) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return ok
}

// do sends method path with headers and no body.
func (b *backend) do(ctx context.Context, method, path string, headers map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return b.http.Do(req)
}

// readBody reads res's body (trimmed) and checks its status.
func readBody(res *http.Response, want int) (string, error) {
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if err != nil {
		return "", err
	}
	if res.StatusCode != want {
		return "", fmt.Errorf("%s %s: status %d, want %d: %s", res.Request.Method, res.Request.URL.Path, res.StatusCode, want, body)
	}
	return string(bytes.TrimSpace(body)), nil
}

// readString reads a response whose body is a JSON string (a session id,
// a ticket).
func readString(res *http.Response, want int) (string, error) {
	body, err := readBody(res, want)
	if err != nil {
		return "", err
	}
	var s string
	if err := json.Unmarshal([]byte(body), &s); err != nil || s == "" {
		return "", fmt.Errorf("%s %s: body is not a JSON string", res.Request.Method, res.Request.URL.Path)
	}
	return s, nil
}

// readReason reads a vAPI error body and returns its vapisec reason (the
// message whose id is vapisec.reason.<reason>).
func readReason(res *http.Response, want int) (string, error) {
	body, err := readBody(res, want)
	if err != nil {
		return "", err
	}
	var e middleware.ErrorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		return "", fmt.Errorf("%s %s: not a vAPI error body: %w", res.Request.Method, res.Request.URL.Path, err)
	}
	for _, m := range e.Messages {
		if r, ok := strings.CutPrefix(m.ID, "vapisec.reason."); ok {
			return r, nil
		}
	}
	return "", fmt.Errorf("%s %s: no vapisec reason in %s", res.Request.Method, res.Request.URL.Path, body)
}
