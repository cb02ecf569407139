package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The examples, by directory (and binary name).
var examples = []string{"server", "client", "plugin-backend", "multi-instance"}

// runTimeout bounds one run of an example.
const runTimeout = 10 * time.Second

// listening matches the line with which an example reports an address it
// listens on (the port varies from run to run).
var listening = regexp.MustCompile(`^(instance [AB] )?listening on http://127\.0\.0\.1:[0-9]+$`)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
	buildOut  []byte
)

// binary builds every example once (go build) and returns the path of one.
func binary(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "vapisec-examples-")
		if buildErr != nil {
			return
		}
		args := []string{"build", "-o", binDir + string(filepath.Separator)}
		for _, e := range examples {
			args = append(args, "./"+e)
		}
		cmd := exec.Command("go", args...)
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	p := filepath.Join(binDir, name)
	if runtime.GOOS == "windows" {
		p += ".exe"
	}
	return p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// run runs an example to its end and returns its output lines, the
// "listening on" lines checked and left out.
func run(t *testing.T, env []string, name string, args ...string) []string {
	t.Helper()
	bin := binary(t, name) // the build does not count against runTimeout
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	if env != nil {
		cmd.Env = env
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\nstdout:\n%s\nstderr:\n%s", name, args, err, stdout.String(), stderr.String())
	}
	return withoutAddresses(t, stdout.String())
}

// withoutAddresses splits out into lines and drops the "listening on"
// lines, which must match listening.
func withoutAddresses(t *testing.T, out string) []string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if strings.Contains(l, "listening on") {
			if !listening.MatchString(l) {
				t.Errorf("address line %q does not match %v", l, listening)
			}
			continue
		}
		lines = append(lines, l)
	}
	return lines
}

func expectLines(t *testing.T, got, expect []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(expect, "\n") {
		t.Errorf("output:\n%s\nexpected:\n%s", strings.Join(got, "\n"), strings.Join(expect, "\n"))
	}
}

// expectClient is the Basic part of examples/client, expectClientSigned its
// signed part and expectClientOAuth its OAuth part (in process),
// expectClientTarget what it prints in place of them against a -target
// without -hok-key and -token.
var (
	expectClient = []string{
		`call: GET /api/example/hello: 200 {"hello":"alice@vsphere.local"}`,
		`logged in with Basic: session id held`,
		`session ended behind the client's back: 204`,
		`call after re-login: GET /api/example/hello: 200 {"hello":"alice@vsphere.local"}`,
		`re-logged in: new session id`,
		`logged out: the session answers 401`,
	}
	expectClientSigned = []string{
		`token call: GET /api/example/hello: 200 {"hello":"alice@vsphere.local"}`,
		`logged in with the HoK token (SIGN): session id held`,
		`token session logged out: the session answers 401`,
		`SIGN-signed request, no session: GET /api/example/hello: 200 {"hello":"alice@vsphere.local"}`,
	}
	expectClientOAuth = []string{
		`OAuth call: GET /api/example/hello: 200 {"hello":"alice@vsphere.local"}`,
		`logged in with an OAuth access token (Bearer): session id held`,
		`OAuth session logged out: the session answers 401`,
		`Bearer request, no session: GET /api/example/hello: 200 {"hello":"alice@vsphere.local"}`,
	}
	expectClientTarget = []string{
		`signed part skipped: -target without -hok-key and -token (written by vapisec serve --dev --dev-dir DIR)`,
		`OAuth part skipped: -target (the in-process server's development issuer signs the tokens)`,
	}
)

var expectPluginBackend = []string{
	`user: logged in with Basic`,
	`middle tier: acquired a clone ticket`,
	`backend: redeemed the clone ticket for its own session of the user`,
	`backend: GET /api/example/hello: 200 {"hello":"alice@vsphere.local"}`,
	`backend: the ticket again: 401 unknown_session (single use)`,
	`user: logged out`,
	`backend: GET /api/example/hello after the user's logout: 401 unknown_session`,
}

func TestClient(t *testing.T) {
	t.Parallel()
	expectLines(t, run(t, nil, "client"), append(append(slices.Clone(expectClient), expectClientSigned...), expectClientOAuth...))
}

// TestClientFlags: -hok-key and -token come together, and with -target.
func TestClientFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-token", "token.xml"}, "-hok-key and -token need -target"},
		{[]string{"-target", "http://127.0.0.1:1", "-hok-key", "hok.key.pem"}, "needs both -hok-key and -token"},
	} {
		bin := binary(t, "client") // the build does not count against runTimeout
		ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
		cmd := exec.CommandContext(ctx, bin, tc.args...)
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("client %v: %v, output %q; want a failure saying %q", tc.args, err, out, tc.want)
		}
	}
}

func TestPluginBackend(t *testing.T) {
	t.Parallel()
	expectLines(t, run(t, nil, "plugin-backend"), expectPluginBackend)
}

// TestServer runs examples/server, calls its route and its JSON-RPC
// operation, runs the client and plugin-backend examples against it, and
// stops it with SIGINT.
func TestServer(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("stops the server with SIGINT")
	}
	t.Parallel()
	bin := binary(t, "server") // the build does not count against runTimeout
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// On a failure: kill it (after a clean exit, Kill and Wait do nothing).
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	r := bufio.NewReader(stdout)
	first, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("no address line: %v\nstderr:\n%s", err, stderr.String())
	}
	first = strings.TrimSpace(first)
	if !listening.MatchString(first) {
		t.Fatalf("first line %q does not match %v", first, listening)
	}
	base := strings.TrimPrefix(first, "listening on ")
	rest := make(chan string, 1)
	go func() { b, _ := io.ReadAll(r); rest <- string(b) }()

	// Login, the REST route, the JSON-RPC operation, logout.
	id := strings.Trim(call(t, http.MethodPost, base+"/api/session", "", "", http.StatusCreated, true), `"`)
	expectBody(t, call(t, http.MethodGet, base+"/api/example/hello", id, "", http.StatusOK, false), `{"hello":"alice@vsphere.local"}`)
	rpc := call(t, http.MethodPost, base+"/api", id,
		`{"jsonrpc":"2.0","method":"invoke","id":1,"params":{"serviceId":"com.example.hello","operationId":"greet"}}`, http.StatusOK, false)
	expectBody(t, rpc, `{"id":1,"jsonrpc":"2.0","result":{"output":"hello alice@vsphere.local"}}`)
	unknown := call(t, http.MethodPost, base+"/api", id,
		`{"jsonrpc":"2.0","method":"invoke","id":3,"params":{"serviceId":"com.example.hello","operationId":"shout"}}`, http.StatusOK, false)
	if !strings.HasPrefix(unknown, `{"id":3,"jsonrpc":"2.0","result":{"error":{"ERROR":{"com.vmware.vapi.std.errors.operation_not_found":`) {
		t.Errorf("unknown JSON-RPC operation: %s, want operation_not_found in result.error", unknown)
	}
	// Refusals on JSON-RPC are vAPI errors in result.error, HTTP 200 (spec §13.3).
	anon := call(t, http.MethodPost, base+"/api", "",
		`{"jsonrpc":"2.0","method":"invoke","id":2,"params":{"serviceId":"com.example.hello","operationId":"greet"}}`, http.StatusOK, false)
	var e struct {
		Result struct {
			Error struct{ ERROR map[string]json.RawMessage }
		}
	}
	if err := json.Unmarshal([]byte(anon), &e); err != nil || e.Result.Error.ERROR["com.vmware.vapi.std.errors.unauthenticated"] == nil {
		t.Errorf("anonymous JSON-RPC call: %s, want unauthenticated in result.error", anon)
	}
	call(t, http.MethodDelete, base+"/api/session", id, "", http.StatusNoContent, false)
	call(t, http.MethodGet, base+"/api/example/hello", id, "", http.StatusUnauthorized, false)

	// The other examples against this server.
	expectLines(t, run(t, nil, "client", "-target", base), append(slices.Clone(expectClient), expectClientTarget...))
	expectLines(t, run(t, nil, "plugin-backend", "-target", base), expectPluginBackend)

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	out := <-rest
	if err := cmd.Wait(); err != nil {
		t.Fatalf("server: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	const session = "com.vmware.vapi.std.security.session_id"
	// Then the client's two calls (before and after its re-login) and the
	// backend's one that succeeds.
	var expect []string
	expect = append(expect,
		"GET /api/example/hello: alice@vsphere.local by "+session,
		"JSON-RPC com.example.hello.greet: alice@vsphere.local by "+session)
	for range 3 {
		expect = append(expect, "GET /api/example/hello: alice@vsphere.local by "+session)
	}
	expect = append(expect, "shut down")
	expectLines(t, withoutAddresses(t, out), expect)
}

// call sends one request and checks its status; basic logs in as alice
// (header mode).
func call(t *testing.T, method, url, id, body string, want int, basic bool) string {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if id != "" {
		req.Header.Set("vmware-api-session-id", id)
	}
	if basic {
		req.SetBasicAuth("alice@vsphere.local", "secret")
		req.Header.Set("vmware-use-header-authn", "true")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, res.StatusCode, want, b)
	}
	return strings.TrimSpace(string(b))
}

func expectBody(t *testing.T, got, expect string) {
	t.Helper()
	if got != expect {
		t.Errorf("body %s, want %s", got, expect)
	}
}

// noRedis is what examples/multi-instance prints when it has no Redis.
const noRedis = "redis-server not found on PATH and no -redis URL given: nothing to run"

// TestMultiInstance runs examples/multi-instance on the redis-server it
// starts. Without redis-server the test is skipped, and fails when CI=true
// (as redisstore's tests do): in CI it must run.
func TestMultiInstance(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("redis-server not installed (CI=true: tests against a real Redis must run): %v", err)
		}
		t.Skipf("redis-server not installed: %v", err)
	}
	expectLines(t, run(t, nil, "multi-instance"), []string{
		"started redis-server on a free loopback port",
		"login on A: 201",
		`session of A used on B: 200 {"hello":"alice@vsphere.local"}`,
		"logout on B: 204",
		"session on A after the logout on B: 401 unknown_session",
	})
}

// TestMultiInstanceWithoutRedis: with no redis-server on PATH and no
// -redis, the example says so and exits 0.
func TestMultiInstanceWithoutRedis(t *testing.T) {
	t.Parallel()
	env := []string{"PATH=" + t.TempDir()}
	expectLines(t, run(t, env, "multi-instance"), []string{noRedis})
}
