package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConformanceAgainstServeDev: "vapisec conformance" against "vapisec
// serve --dev" passes every case it can run, at every level.
func TestConformanceAgainstServeDev(t *testing.T) {
	dir := t.TempDir()
	ts := newDevServer(t, serveOptions{dev: true, devDir: dir, users: []string{"alice@vsphere.local:s3cret"},
		idleTimeout: time.Second, maxLifetime: time.Hour})
	var out, errOut bytes.Buffer
	code := run([]string{"conformance", "--target", ts.URL, "--user", "alice@vsphere.local:s3cret",
		"--level", "all", "--idle-timeout", "1s", "--format", "json",
		"--sts-key", filepath.Join(dir, "sts.key.pem"), "--sts-cert", filepath.Join(dir, "sts.crt.pem"),
		"--hok-key", filepath.Join(dir, "hok.key.pem"), "--hok-cert", filepath.Join(dir, "hok.crt.pem"),
		// The development OAuth issuer of serve --dev signs with the STS key.
		"--oauth-key", filepath.Join(dir, "sts.key.pem"), "--oauth-issuer", ts.URL + "/vapisec/oauth", "--oauth-audience", "vmware-tes:vapi"}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	var rep struct {
		Target string `json:"target"`
		Cases  []struct {
			ID      string   `json:"id"`
			Level   string   `json:"level"`
			Status  string   `json:"status"`
			Reason  string   `json:"reason"`
			Matches []string `json:"matches"`
		} `json:"cases"`
		Summary struct{ Pass, Fail, Skip int } `json:"summary"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	// With the --dev-dir material nothing is skipped: every case runs and passes.
	if rep.Target != ts.URL || rep.Summary.Fail != 0 || rep.Summary.Skip != 0 || rep.Summary.Pass < 60 || len(rep.Cases) != rep.Summary.Pass {
		t.Errorf("report: target %q, summary %+v, %d cases", rep.Target, rep.Summary, len(rep.Cases))
	}
	for _, c := range rep.Cases {
		if c.Status != "PASS" {
			t.Errorf("%s %s: %s", c.ID, c.Status, c.Reason)
		}
	}
}

func TestConformanceExitCodes(t *testing.T) {
	// A server that answers 200 {} to everything fails most cases.
	lax := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"value":"anything"}`))
	}))
	t.Cleanup(lax.Close)
	tests := []struct {
		name        string
		givenArgs   []string
		expectCode  int
		expectInOut string
	}{
		{name: "nok, lax server fails", givenArgs: []string{"--target", lax.URL, "--user", "u:p", "--run", "^spec-4/"}, expectCode: 1, expectInOut: "FAIL"},
		{name: "nok, no target", givenArgs: nil, expectCode: 2},
		{name: "nok, bad target", givenArgs: []string{"--target", "ftp://x"}, expectCode: 2},
		{name: "nok, unknown level", givenArgs: []string{"--target", lax.URL, "--level", "may"}, expectCode: 2},
		{name: "nok, unknown format", givenArgs: []string{"--target", lax.URL, "--format", "xml"}, expectCode: 2},
		{name: "nok, bad run expression", givenArgs: []string{"--target", lax.URL, "--run", "("}, expectCode: 2},
		{name: "nok, user without password", givenArgs: []string{"--target", lax.URL, "--user", "alice"}, expectCode: 2},
		{name: "nok, hok key without cert", givenArgs: []string{"--target", lax.URL, "--hok-key", "k.pem"}, expectCode: 2},
		{name: "ok, nothing selected", givenArgs: []string{"--target", lax.URL, "--run", "^no-such-case$"}, expectCode: 0, expectInOut: "0 passed, 0 failed, 0 skipped"},
		{name: "ok, skipped without material", givenArgs: []string{"--target", lax.URL, "--run", "^spec-7"}, expectCode: 0, expectInOut: "SKIP"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"conformance"}, tc.givenArgs...), nil, &out, &errOut)
			if code != tc.expectCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.expectCode, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), tc.expectInOut) {
				t.Errorf("output lacks %q:\n%s", tc.expectInOut, out.String())
			}
		})
	}
}

func TestConformanceJUnitToFile(t *testing.T) {
	ts := newDevServer(t, serveOptions{dev: true, users: []string{"bob:pw"}})
	file := filepath.Join(t.TempDir(), "report.xml")
	var out, errOut bytes.Buffer
	code := run([]string{"conformance", "--target", ts.URL, "--user", "bob:pw", "--run", "^spec-3\\.4/", "--format", "junit", "--out", file}, nil, &out, &errOut)
	if code != 0 || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Cases    []struct {
			Name string `xml:"name,attr"`
		} `xml:"testcase"`
	}
	if err := xml.Unmarshal(data, &suite); err != nil {
		t.Fatal(err)
	}
	if suite.Tests != 5 || suite.Failures != 0 || len(suite.Cases) != 5 || !strings.HasPrefix(suite.Cases[0].Name, "spec-3.4/") {
		t.Errorf("junit: %+v", suite)
	}
}

// TestConformanceWithGivenBearerToken: with only a token the user got
// ("vapisec oauth token" here, an IdP's token in practice) the OAuth cases
// that need a valid token, and the broken tokens derived from it, run and
// pass; the ones that need the signing key are skipped with a reason.
func TestConformanceWithGivenBearerToken(t *testing.T) {
	dir := t.TempDir()
	ts := newDevServer(t, serveOptions{dev: true, devDir: dir, users: []string{"alice@vsphere.local:s3cret"}, idleTimeout: time.Second, maxLifetime: time.Hour})
	var tok, errOut bytes.Buffer
	if code := run([]string{"oauth", "token", "--key", filepath.Join(dir, "sts.key.pem"), "--issuer", ts.URL + "/vapisec/oauth", "--subject", "carol@vsphere.local"}, nil, &tok, &errOut); code != 0 {
		t.Fatalf("oauth token: exit %d %s", code, errOut.String())
	}
	tokFile := filepath.Join(dir, "access-token.txt")
	if err := os.WriteFile(tokFile, tok.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	errOut.Reset()
	code := run([]string{"conformance", "--target", ts.URL, "--run", "^spec-3.3/oauth-", "--level", "all", "--format", "json", "--bearer-file", tokFile}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	var rep struct {
		Cases []struct{ ID, Status, Reason string } `json:"cases"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	ran := map[string]bool{"spec-3.3/oauth-login": true, "spec-3.3/oauth-legacy-login": true, "spec-3.3/oauth-alg-none": true,
		"spec-3.3/oauth-tampered": true, "spec-3.3/oauth-invalid-token-challenge": true, "spec-3.3/oauth-jsonrpc-login": true, "spec-3.3/oauth-jsonrpc-tampered": true}
	if len(rep.Cases) < len(ran)+5 {
		t.Errorf("%d OAuth cases selected", len(rep.Cases))
	}
	for _, c := range rep.Cases {
		switch {
		case ran[c.ID] && c.Status != "PASS":
			t.Errorf("%s: %s %s", c.ID, c.Status, c.Reason)
		case !ran[c.ID] && (c.Status != "SKIP" || !strings.Contains(c.Reason, "--oauth-key")):
			t.Errorf("%s: %s %s, want SKIP for want of --oauth-key", c.ID, c.Status, c.Reason)
		}
	}
}
