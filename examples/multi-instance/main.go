// Command multi-instance shows two vapisec servers sharing one Redis
// (package redisstore), as instances behind a load balancer do: a session
// created by a login on one instance is valid on the other, and a logout on
// the other ends it on both at once.
//
// Run it against a Redis of yours (the examples use its keys under the
// default prefix):
//
//	go run ./examples/multi-instance -redis redis://127.0.0.1:6379/0
//
// or without -redis: it then starts a redis-server (when the binary is on
// PATH) on a free loopback port, in memory only, and stops it at the end.
// Without either it says so and exits 0. It prints one line per step and
// exits 1 on any unexpected answer.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/examples/internal/demoserver"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/redisstore"
)

// NoRedis is the line printed when there is neither -redis nor a
// redis-server binary (the examples' test looks for it).
const NoRedis = "redis-server not found on PATH and no -redis URL given: nothing to run"

func main() {
	redisURL := flag.String("redis", "", "Redis URL (default: start a redis-server on a free loopback port)")
	addrA := flag.String("addr", "127.0.0.1:0", "address of instance A")
	addrB := flag.String("addr-b", "127.0.0.1:0", "address of instance B")
	flag.Parse()
	if err := run(*redisURL, *addrA, *addrB, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "multi-instance:", err)
		os.Exit(1)
	}
}

func run(redisURL, addrA, addrB string, out io.Writer) error {
	if redisURL == "" {
		bin, err := exec.LookPath("redis-server")
		if err != nil {
			fmt.Fprintln(out, NoRedis)
			return nil
		}
		url, stop, err := startRedis(bin)
		if err != nil {
			return err
		}
		defer stop()
		redisURL = url
		fmt.Fprintln(out, "started redis-server on a free loopback port")
	}

	// Each instance has its own Redis client and store, as separate
	// processes would; they share only Redis.
	var urls [2]string
	for i, addr := range []string{addrA, addrB} {
		opt, err := redisstore.ParseURL(redisURL, 0)
		if err != nil {
			return err
		}
		rc := redis.NewClient(opt)
		defer rc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = rc.Ping(ctx).Err()
		cancel()
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		store, err := redisstore.New(rc)
		if err != nil {
			return err
		}
		srv, err := demoserver.Start(addr, store)
		if err != nil {
			return err
		}
		defer srv.Close()
		urls[i] = srv.URL()
		fmt.Fprintf(out, "instance %c listening on %s\n", 'A'+i, urls[i])
	}
	a, b := urls[0], urls[1]
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Log in on A (header mode: the id comes back in the body only).
	res, err := send(ctx, http.MethodPost, a+vapisec.SessionPath, func(r *http.Request) {
		r.SetBasicAuth(demoserver.User, demoserver.Password)
		r.Header.Set(vapisec.HeaderUseHeaderAuthn, "true")
	})
	if err != nil {
		return err
	}
	body, err := expect(res, http.StatusCreated)
	if err != nil {
		return err
	}
	var id string
	if err := json.Unmarshal([]byte(body), &id); err != nil || id == "" {
		return fmt.Errorf("login on A: body is not a session id")
	}
	fmt.Fprintln(out, "login on A: 201")

	withID := func(r *http.Request) { r.Header.Set(vapisec.HeaderSessionID, id) }
	// The session is valid on B.
	if res, err = send(ctx, http.MethodGet, b+demoserver.HelloPath, withID); err != nil {
		return err
	}
	if body, err = expect(res, http.StatusOK); err != nil {
		return err
	}
	fmt.Fprintf(out, "session of A used on B: 200 %s\n", body)

	// Log out on B; A sees the session gone.
	if res, err = send(ctx, http.MethodDelete, b+vapisec.SessionPath, withID); err != nil {
		return err
	}
	if _, err = expect(res, http.StatusNoContent); err != nil {
		return err
	}
	fmt.Fprintln(out, "logout on B: 204")
	if res, err = send(ctx, http.MethodGet, a+demoserver.HelloPath, withID); err != nil {
		return err
	}
	if body, err = expect(res, http.StatusUnauthorized); err != nil {
		return err
	}
	fmt.Fprintf(out, "session on A after the logout on B: 401 %s\n", reason(body))
	return nil
}

// send sends method url with no body, after set has set its headers.
func send(ctx context.Context, method, url string, set func(*http.Request)) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	set(req)
	return http.DefaultClient.Do(req)
}

// expect reads res's body (trimmed) and checks its status.
func expect(res *http.Response, want int) (string, error) {
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if err != nil {
		return "", err
	}
	if res.StatusCode != want {
		return "", fmt.Errorf("%s %s: status %d, want %d: %s", res.Request.Method, res.Request.URL, res.StatusCode, want, body)
	}
	return string(bytes.TrimSpace(body)), nil
}

// reason is the vapisec reason of a vAPI error body, "?" when it has none.
func reason(body string) string {
	var e middleware.ErrorBody
	if json.Unmarshal([]byte(body), &e) == nil {
		for _, m := range e.Messages {
			if r, ok := strings.CutPrefix(m.ID, "vapisec.reason."); ok {
				return r
			}
		}
	}
	return "?"
}

// startRedis runs bin on a free loopback port, keeping nothing on disk,
// and waits until it answers PING. stop kills it and removes its directory.
func startRedis(bin string) (url string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "vapisec-example-redis-")
	if err != nil {
		return "", nil, err
	}
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			break
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			_ = os.RemoveAll(dir)
			return "", nil, err
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		stop := func() {
			_ = cmd.Process.Kill()
			<-done
			_ = os.RemoveAll(dir)
		}
		if ping(addr, done) {
			return "redis://" + addr + "/0", stop, nil
		}
		_ = cmd.Process.Kill()
		<-done
	}
	_ = os.RemoveAll(dir)
	return "", nil, errors.New("redis-server did not start")
}

// ping waits up to 5 s for a Redis on addr to answer, false when it does not
// or the process ends (done closes) first.
func ping(addr string, done <-chan struct{}) bool {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return true
		}
		select {
		case <-done:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
