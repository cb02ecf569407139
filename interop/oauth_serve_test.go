package interop

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vapisec/vapisec/client"
)

// "vapisec serve" configured by discovery only (--oauth-issuer,
// --oauth-audience) against the real OpenID provider of oauth_op_test.go.
// The server trusts the provider's TLS certificate through SSL_CERT_FILE,
// as an operator with a private CA would configure it.

// startOAuthServe runs "vapisec serve --dev" trusting issuer for
// audience opAudience, with o's certificate as its CA bundle.
func startOAuthServe(t *testing.T, o *testOP, issuer string, args ...string) string {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "op-ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: o.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	args = append([]string{"--dev", "--dev-dir", t.TempDir(), "--oauth-issuer", issuer, "--oauth-audience", opAudience}, args...)
	return startServerEnv(t, []string{"SSL_CERT_FILE=" + ca}, args...)
}

// startServerEnv is startServer with extra environment variables.
func startServerEnv(t *testing.T, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, vapisecBin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	lines := make(chan string, 1)
	var log strings.Builder
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "vapisec: listening on "); ok {
				lines <- u
			} else if log.Len() < 4096 {
				log.WriteString(sc.Text() + "\n")
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case u := <-lines:
		return u
	case <-done:
		t.Fatalf("vapisec serve exited:\n%s", log.String())
	case <-time.After(30 * time.Second):
		t.Fatal("vapisec serve did not report its address")
	}
	return ""
}

// whoamiWith calls GET /api/vapisec/whoami with one header and returns the
// status and the decoded security context.
func whoamiWith(t *testing.T, base, header, value string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/vapisec/whoami", nil)
	req.Header.Set(header, value)
	res, err := (&http.Client{Timeout: 20 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var sc map[string]any
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	_ = json.Unmarshal(b, &sc)
	return res.StatusCode, sc, res.Header
}

// TestOAuthServeAcceptsProviderToken: the provider's client-credentials
// token opens a protected route as Authorization: Bearer and as GoSDK's
// csp-auth-token, with the provider's subject and group_names.
func TestOAuthServeAcceptsProviderToken(t *testing.T) {
	o := startOP(t, "svc", "svc-secret", "svc-account@example.com", "Administrators")
	base := startOAuthServe(t, o, o.Issuer)
	tok := o.Token(t, "svc", "svc-secret")
	for _, h := range [][2]string{{"Authorization", "Bearer " + tok}, {"csp-auth-token", tok}} {
		code, sc, _ := whoamiWith(t, base, h[0], h[1])
		if code != http.StatusOK {
			t.Fatalf("%s: HTTP %d %v", h[0], code, sc)
		}
		p, _ := json.Marshal(sc["principal"])
		if sc["scheme"] != "com.vmware.vapi.std.security.oauth" || !strings.Contains(string(p), "svc-account") || !strings.Contains(toJSON(sc["groups"]), "Administrators") {
			t.Errorf("%s: security context %v", h[0], sc)
		}
	}
}

// TestOAuthServeSessionLoginWithTokenSource: package client logs in with
// the provider's token source (x/oauth2 clientcredentials) on both session
// resources and then calls within the session.
func TestOAuthServeSessionLoginWithTokenSource(t *testing.T) {
	o := startOP(t, "svc", "svc-secret", "svc-account@example.com")
	base := startOAuthServe(t, o, o.Issuer)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, style := range []client.SessionStyle{client.LegacySession, client.APISession} {
		c, err := client.New(base, client.WithTokenSource(o.TokenSource(ctx, "svc", "svc-secret")), client.WithSessionStyle(style), client.WithKeepAlive(0))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := c.NewRequest(ctx, http.MethodGet, "/api/vapisec/whoami", nil)
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("style %d: %v", style, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `"scheme":"com.vmware.vapi.std.security.session_id"`) || !strings.Contains(string(b), "svc-account") {
			t.Errorf("style %d: HTTP %d %s", style, res.StatusCode, b)
		}
		if err := c.Close(ctx); err != nil {
			t.Errorf("style %d: logout: %v", style, err)
		}
	}
}

// TestOAuthServeRefusesUntrustedIssuer: revocation of trust. A server
// configured for another issuer refuses the provider's token with 401
// and RFC 6750's invalid_token, and does not fall back to another scheme.
func TestOAuthServeRefusesUntrustedIssuer(t *testing.T) {
	trusted := startOP(t, "svc", "svc-secret", "svc-account@example.com")
	other := startOP(t, "svc", "svc-secret", "svc-account@example.com")
	base := startOAuthServe(t, trusted, trusted.Issuer)
	if code, _, _ := whoamiWith(t, base, "Authorization", "Bearer "+trusted.Token(t, "svc", "svc-secret")); code != http.StatusOK {
		t.Fatalf("trusted provider's token: HTTP %d", code)
	}
	code, sc, h := whoamiWith(t, base, "Authorization", "Bearer "+other.Token(t, "svc", "svc-secret"))
	if code != http.StatusUnauthorized || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("untrusted provider's token: HTTP %d, WWW-Authenticate %q, %v", code, h.Get("WWW-Authenticate"), sc)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
