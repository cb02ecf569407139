package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
)

// runningServe is a "vapisec serve" started in-process by startServe.
type runningServe struct {
	url    string   // http://127.0.0.1:PORT
	hostPo string   // 127.0.0.1:PORT
	lines  []string // what it printed up to "listening on"
	stop   func() error
	exited chan struct{} // closed when runServe returned
	result error         // what runServe returned, once exited is closed
}

// startServe runs runServe (the real listener and http.Server) with o on a
// free loopback port until the test ends (or stop is called); it returns
// once the server printed its address. Every wait is bounded.
func startServe(t *testing.T, o serveOptions) *runningServe {
	t.Helper()
	if o.addr == "" {
		o.addr = "127.0.0.1:0"
	}
	if o.bodyLimit == "" {
		o.bodyLimit = "1M"
	}
	if o.idleTimeout == 0 {
		o.idleTimeout, o.maxLifetime = 30*time.Minute, 12*time.Hour
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	rs := &runningServe{exited: make(chan struct{})}
	go func() {
		rs.result = runServe(ctx, o, pw)
		pw.CloseWithError(io.EOF)
		close(rs.exited)
	}()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if !sent {
				rs.lines = append(rs.lines, line)
			}
			if u, ok := strings.CutPrefix(line, "vapisec: listening on "); ok && !sent {
				found <- u
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	rs.stop = func() error {
		cancel()
		select {
		case <-rs.exited:
			return rs.result
		case <-time.After(15 * time.Second):
			return errors.New("serve did not stop within 15 s")
		}
	}
	t.Cleanup(func() { _ = rs.stop() })
	select {
	case u := <-found:
		rs.url = u
		rs.hostPo = strings.TrimPrefix(u, "http://")
	case <-rs.exited:
		t.Fatalf("serve ended before listening: %v", rs.result)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not report its address")
	}
	return rs
}

// devMaterial reads the HoK key and token serve --dev wrote to dir.
func devMaterial(t *testing.T, dir string) (crypto.Signer, []byte) {
	t.Helper()
	keyPEM, err := os.ReadFile(filepath.Join(dir, devHoKKey))
	if err != nil {
		t.Fatal(err)
	}
	key, err := vapisec.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	token, err := os.ReadFile(filepath.Join(dir, devTokenXML))
	if err != nil {
		t.Fatal(err)
	}
	return key, token
}

// signedLogin returns a POST /api/session request to url whose
// Authorization: SIGN header is signed for signedHost ("host:port") and
// which carries Host: signedHost (what a relaying server forwards).
func signedLogin(t *testing.T, url, signedHost string, key crypto.Signer, token []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/api/session", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = signedHost
	host, port, err := net.SplitHostPort(signedHost)
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write(token)
	_ = zw.Close()
	nonce := strconv.FormatInt(time.Now().UnixMilli(), 10) + ":" + strconv.FormatInt(time.Now().UnixNano(), 10)
	bs := sha256.Sum256(nil)
	h := sha256.Sum256([]byte(nonce + "\nPOST\n/api/session\n" + strings.ToLower(host) + "\n" + port + "\n" + string(bs[:]) + "\n"))
	sig, err := key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", `SIGN token="`+base64.StdEncoding.EncodeToString(z.Bytes())+`", signature_alg="RSA-SHA256", signature="`+
		base64.StdEncoding.EncodeToString(sig)+`", nonce="`+nonce+`", bodyhash="`+base64.StdEncoding.EncodeToString(bs[:])+`"`)
	req.Header.Set("vmware-use-header-authn", "true")
	return req
}

func status(t *testing.T, req *http.Request) int {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestServeRefusesSignLoginRelayedFromAnotherHost: a SIGN header signed for
// another server (evil.example, same port) and replayed to this one with
// the Host it was signed for must not log in (issue 14 item 2, DESIGN
// Q21); one signed for the listening address, or for a --public-host, does.
func TestServeRefusesSignLoginRelayedFromAnotherHost(t *testing.T) {
	dir := t.TempDir()
	rs := startServe(t, serveOptions{dev: true, devDir: dir, users: []string{"a:b"}, publicHosts: []string{"vc.example.com"}})
	key, token := devMaterial(t, dir)
	_, port, _ := net.SplitHostPort(rs.hostPo)

	tests := []struct {
		name         string
		givenHost    string
		expectStatus int
	}{
		{name: "ok, signed for the listening address", givenHost: rs.hostPo, expectStatus: http.StatusCreated},
		{name: "ok, signed for localhost (loopback --addr)", givenHost: "localhost:" + port, expectStatus: http.StatusCreated},
		{name: "ok, signed for a --public-host", givenHost: "vc.example.com:" + port, expectStatus: http.StatusCreated},
		{name: "nok, relayed from evil.example", givenHost: "evil.example:" + port, expectStatus: http.StatusUnauthorized},
		{name: "nok, relayed from a look-alike of a --public-host", givenHost: "vc.example.com.evil.example:" + port, expectStatus: http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := status(t, signedLogin(t, rs.url, tc.givenHost, key, token)); got != tc.expectStatus {
				t.Errorf("SIGN login signed for and sent with Host %s: %d, want %d", tc.givenHost, got, tc.expectStatus)
			}
		})
	}
}

// TestServeCutsOffTrickledBody: a client that sends its headers and then
// one body byte every 100 ms (slowloris on the body, issue 14 item 9) is
// cut off by --read-timeout instead of holding the connection. The loop is
// bounded (at most 60 bytes, 6 s); no precise timing is asserted.
func TestServeCutsOffTrickledBody(t *testing.T) {
	rs := startServe(t, serveOptions{users: []string{"u:p"}, readTimeout: 300 * time.Millisecond, readHeaderTimeout: time.Second})
	conn, err := net.DialTimeout("tcp", rs.hostPo, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /api HTTP/1.1\r\nHost: "+rs.hostPo+"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// The server's answer (or its closing the connection) ends the read.
	closed := make(chan error, 1)
	go func() {
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := io.Copy(io.Discard, conn)
		closed <- err
	}()
	for i := 0; i < 60; i++ {
		select {
		case err := <-closed:
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the connection was still open after %d trickled bytes", i)
			}
			return // closed by the server
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := conn.Write([]byte("x")); err != nil {
			return // the server closed the connection
		}
	}
	t.Fatal("the server still held the trickling connection after 60 bytes (6 s)")
}

// TestServeDevRemovesTempDirOnExit: serve --dev without --dev-dir writes
// private keys to a temporary directory; it must be gone once the server
// has shut down (issue 14 item 11).
func TestServeDevRemovesTempDirOnExit(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	rs := startServe(t, serveOptions{dev: true, users: []string{"u:p"}})
	dir := devDirOf(t, rs)
	if !strings.HasPrefix(dir, tmp) {
		t.Fatalf("dev dir %s not under TMPDIR %s", dir, tmp)
	}
	if _, err := os.Stat(filepath.Join(dir, devHoKKey)); err != nil {
		t.Fatalf("while serving: %v", err)
	}
	if err := rs.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after shutdown %s is still there (stat: %v)", dir, err)
	}
}

// TestServeDevKeepsGivenDevDir: a --dev-dir the user chose is kept.
func TestServeDevKeepsGivenDevDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dev")
	rs := startServe(t, serveOptions{dev: true, devDir: dir, users: []string{"u:p"}})
	if err := rs.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, devHoKKey)); err != nil {
		t.Errorf("--dev-dir removed: %v", err)
	}
}

// devDirOf returns the directory serve --dev reported.
func devDirOf(t *testing.T, rs *runningServe) string {
	t.Helper()
	for _, l := range rs.lines {
		if rest, ok := strings.CutPrefix(l, "vapisec: dev STS, HoK key and token in "); ok {
			dir, _, _ := strings.Cut(rest, " (")
			return dir
		}
	}
	t.Fatalf("no dev directory in %q", rs.lines)
	return ""
}

// TestServeDevPrintsExportLine: serve --dev without users prints the
// random dev user as an export line a shell takes as it is, and those
// credentials log in.
func TestServeDevPrintsExportLine(t *testing.T) {
	rs := startServe(t, serveOptions{dev: true})
	var user, pass string
	for _, line := range rs.lines {
		if rest, ok := strings.CutPrefix(line, "export VAPISEC_USER="); ok {
			user, pass, _ = strings.Cut(rest, " VAPISEC_PASSWORD=")
		}
	}
	if user == "" || len(pass) < 20 || strings.ContainsAny(user+pass, " '\"$`\\;&|") {
		t.Fatalf("no shell-safe export line in %q", rs.lines)
	}
	req, err := http.NewRequest(http.MethodPost, rs.url+vapisec.SessionPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
		t.Errorf("login with the exported credentials: %s", res.Status)
	}
}
