package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

func oauthToken(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := run(append([]string{"oauth", "token"}, args...), nil, &out, &errOut); code != 0 {
		t.Fatalf("oauth token %v: exit %d: %s", args, code, errOut.String())
	}
	return strings.TrimSpace(out.String())
}

func getWithBearer(t *testing.T, url, tok string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestServeDevOAuthIssuer is the newcomer's OAuth path: serve --dev is a
// development issuer; "vapisec oauth token --dev-dir" mints a token the
// server accepts; its discovery document leads a verifier to its keys.
func TestServeDevOAuthIssuer(t *testing.T) {
	dir := t.TempDir()
	ts := newDevServer(t, serveOptions{dev: true, devDir: dir, users: []string{"a:b"}})
	tok := oauthToken(t, "--dev-dir", dir, "--subject", "dev@vsphere.local", "--group", `vsphere.local\Administrators`)
	code, body := getWithBearer(t, ts.URL+"/api/vapisec/whoami", tok)
	if code != http.StatusOK {
		t.Fatalf("whoami: %d %s", code, body)
	}
	var sc vapisec.SecurityContext
	if err := json.Unmarshal(body, &sc); err != nil {
		t.Fatal(err)
	}
	if sc.Scheme != vapisec.SchemeOAuth || sc.Principal.String() != "dev@vsphere.local" || len(sc.Groups) != 1 {
		t.Fatalf("security context %+v", sc)
	}
	// A token for another audience is refused.
	other := oauthToken(t, "--dev-dir", dir, "--audience", "someone-else")
	if code, body := getWithBearer(t, ts.URL+"/api/vapisec/whoami", other); code != http.StatusUnauthorized || !strings.Contains(string(body), vapisec.ReasonAudienceMismatch.MessageID()) {
		t.Fatalf("other audience: %d %s", code, body)
	}
	// Login with the bearer token.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/session", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("vmware-use-header-authn", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	// Discovery, as a real resource server would use it.
	issuer, err := os.ReadFile(filepath.Join(dir, devOAuthIssuerTxt))
	if err != nil {
		t.Fatal(err)
	}
	v, err := verifier.NewAccessTokenVerifier(verifier.WithAccessTokenIssuer(strings.TrimSpace(string(issuer))), verifier.WithAccessTokenAudiences(sts.DefaultAccessTokenAudience))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("verify by discovery from the dev issuer: %v", err)
	}
}

func TestServeOAuthIssuerWithJWKSFile(t *testing.T) {
	now := time.Now()
	key, _, err := sts.GenerateKeyPair("idp", now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	iss, err := sts.NewAccessTokenIssuer(key, "https://idp.example.test/", nil)
	if err != nil {
		t.Fatal(err)
	}
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, iss.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := newDevServer(t, serveOptions{users: []string{"a:b"}, oauthIssuer: "https://idp.example.test/", oauthAudiences: []string{"api://vapisec"}, oauthJWKS: jwks})
	tok, err := iss.Issue(sts.AccessTokenRequest{Subject: "carol@corp.example", Audience: []string{"api://vapisec"}})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := getWithBearer(t, ts.URL+"/api/vapisec/whoami", tok); code != http.StatusOK {
		t.Fatalf("whoami: %d %s", code, body)
	}
	// The default audience of dev tokens is not configured here.
	dev, _ := iss.Issue(sts.AccessTokenRequest{Subject: "carol@corp.example"})
	if code, _ := getWithBearer(t, ts.URL+"/api/vapisec/whoami", dev); code != http.StatusUnauthorized {
		t.Fatalf("wrong audience: %d", code)
	}
}

func TestServeOAuthFlagErrors(t *testing.T) {
	cases := []struct {
		name      string
		givenOpts serveOptions
	}{
		{name: "nok, issuer without audience", givenOpts: serveOptions{oauthIssuer: "https://idp.example.test"}},
		{name: "nok, audience without issuer", givenOpts: serveOptions{oauthAudiences: []string{"a"}}},
		{name: "nok, jwks without issuer", givenOpts: serveOptions{oauthJWKS: "jwks.json"}},
		{name: "nok, jwks without issuer in dev", givenOpts: serveOptions{dev: true, oauthJWKS: "jwks.json"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ue *usageError
			if err := checkOAuthFlags(tc.givenOpts); !errors.As(err, &ue) {
				t.Fatalf("%v", err)
			}
		})
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"oauth", "token"}, nil, &out, &errOut); code == 0 {
		t.Fatal("oauth token without key accepted")
	}
}

// TestServeDevPrintsTheOAuthIssuerAndACurlLine: the banner names the dev
// issuer and a curl line whose token command and URL work as printed.
func TestServeDevPrintsTheOAuthIssuerAndACurlLine(t *testing.T) {
	dir := t.TempDir()
	rs := startServe(t, serveOptions{dev: true, devDir: dir})
	var issuerLine, curlLine string
	for _, line := range rs.lines {
		if strings.HasPrefix(line, "vapisec: dev OAuth issuer ") {
			issuerLine = line
		}
		if strings.HasPrefix(line, "curl ") {
			curlLine = line
		}
	}
	if !strings.Contains(issuerLine, rs.url+devIssuerPath) {
		t.Fatalf("issuer line %q (server %s)", issuerLine, rs.url)
	}
	// curl -H "Authorization: Bearer $(vapisec oauth token --dev-dir DIR --subject S)" URL
	inner, _, ok := strings.Cut(strings.TrimPrefix(curlLine, `curl -H "Authorization: Bearer $(vapisec `), `)"`)
	url := curlLine[strings.LastIndexByte(curlLine, ' ')+1:]
	if !ok || url != rs.url+"/api/vapisec/whoami" {
		t.Fatalf("curl line %q", curlLine)
	}
	args := strings.Fields(inner)
	if len(args) < 4 || args[0] != "oauth" || args[1] != "token" {
		t.Fatalf("token command %q", inner)
	}
	tok := oauthToken(t, args[2:]...)
	if code, body := getWithBearer(t, url, tok); code != http.StatusOK || !strings.Contains(string(body), string(vapisec.SchemeOAuth)) {
		t.Fatalf("%d %s", code, body)
	}
}
