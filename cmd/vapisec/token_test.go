package main

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/verifier"
)

const fixtureDir = "../../testdata/vcf-sdk-java/"

func signForm(t *testing.T, xml []byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(xml); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func TestTokenCmd(t *testing.T) {
	tok, err := os.ReadFile(fixtureDir + "samlToken.xml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tampered := filepath.Join(dir, "tampered.xml")
	if err := os.WriteFile(tampered, bytes.Replace(tok, []byte("root@localos"), []byte("evil@localos"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	trust := fixtureDir + "sts.crt.pem"
	token := fixtureDir + "samlToken.xml"
	stsCerts, err := loadCertsFile(trust)
	if err != nil {
		t.Fatal(err)
	}
	pin := verifier.SPKIPin(stsCerts[0])
	tests := []struct {
		name           string
		givenArgs      []string
		givenStdin     string
		expectCode     int
		expectVerified bool
		expectStdout   []string
		expectStderr   []string
	}{
		{name: "ok, verify fixture in 2024", givenArgs: []string{"token", "verify", "--trust", trust, "--at", "2024-01-01T00:00:00Z", token},
			expectVerified: true, expectStdout: []string{`"hok_certificate_sha256": "1A:8B:0E:C3:`, `"name": "root"`, `"domain": "localos"`, `BEGIN CERTIFICATE`}},
		{name: "ok, verify SIGN form from stdin", givenArgs: []string{"token", "verify", "--trust", trust, "--at", "2024-01-01T00:00:00Z", "-"}, givenStdin: signForm(t, tok) + "\n",
			expectVerified: true, expectStdout: []string{`"subject"`}},
		{name: "nok, verify expired", givenArgs: []string{"token", "verify", "--trust", trust, "--at", "2030-01-01T00:10:00Z", token},
			expectCode: 1, expectStderr: []string{"token rejected (expired)"}},
		{name: "ok, verify with zero skew just before expiry", givenArgs: []string{"token", "verify", "--trust", trust, "--skew", "0s", "--at", "2029-12-31T23:59:59Z", token},
			expectVerified: true},
		{name: "ok, verify with --audience, the fixture has no AudienceRestriction", givenArgs: []string{"token", "verify", "--trust", trust, "--at", "2024-01-01T00:00:00Z", "--audience", "https://me", token},
			expectVerified: true},
		{name: "nok, verify untrusted", givenArgs: []string{"token", "verify", "--trust", fixtureDir + "hok.crt.pem", "--at", "2024-01-01T00:00:00Z", token},
			expectCode: 1, expectStderr: []string{"untrusted_issuer"}},
		{name: "nok, verify tampered", givenArgs: []string{"token", "verify", "--trust", trust, "--at", "2024-01-01T00:00:00Z", tampered},
			expectCode: 1, expectStderr: []string{"bad_signature"}},
		{name: "nok, verify without trust", givenArgs: []string{"token", "verify", token}, expectCode: 2},
		{name: "nok, --trust-root without a signer identity trusts every leaf under the root", givenArgs: []string{"token", "verify", "--trust-root", trust, "--at", "2024-01-01T00:00:00Z", token},
			expectCode: 2, expectStderr: []string{"trusted signer identity"}},
		{name: "ok, --trust-root with --trust-spki", givenArgs: []string{"token", "verify", "--trust-root", trust, "--trust-spki", pin, "--at", "2024-01-01T00:00:00Z", token},
			expectVerified: true, expectStdout: []string{`"verified": true`}},
		{name: "ok, --trust-root with --trust-signer", givenArgs: []string{"token", "verify", "--trust-root", trust, "--trust-signer", "Security Token Service", "--at", "2024-01-01T00:00:00Z", token},
			expectVerified: true, expectStdout: []string{`"verified": true`}},
		{name: "nok, --trust-root with another signer's name", givenArgs: []string{"token", "verify", "--trust-root", trust, "--trust-signer", "Someone Else", "--at", "2024-01-01T00:00:00Z", token},
			expectCode: 1, expectStderr: []string{"untrusted_issuer"}},
		{name: "nok, verify bad --at", givenArgs: []string{"token", "verify", "--trust", trust, "--at", "yesterday", token}, expectCode: 2},
		{name: "nok, verify missing file", givenArgs: []string{"token", "verify", "--trust", trust, filepath.Join(dir, "none.xml")}, expectCode: 2},
		{name: "nok, verify trust file is not PEM", givenArgs: []string{"token", "verify", "--trust", token, token}, expectCode: 2},
		{name: "ok, inspect tampered token", givenArgs: []string{"token", "inspect", tampered},
			expectStdout: []string{`"verified": false`, `"name": "evil"`}},
		{name: "ok, inspect SIGN form", givenArgs: []string{"token", "inspect", "-"}, givenStdin: signForm(t, tok),
			expectStdout: []string{`"verified": false`, `"name": "root"`}},
		{name: "nok, inspect bad base64", givenArgs: []string{"token", "inspect", "-"}, givenStdin: "!!!", expectCode: 1},
		{name: "nok, inspect DOCTYPE", givenArgs: []string{"token", "inspect", "-"}, givenStdin: "<!DOCTYPE a><a/>", expectCode: 1, expectStderr: []string{"malformed"}},
		{name: "nok, inspect without argument", givenArgs: []string{"token", "inspect"}, expectCode: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.givenArgs, strings.NewReader(tc.givenStdin), &stdout, &stderr)
			if code != tc.expectCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.expectCode, stderr.String())
			}
			for _, s := range tc.expectStdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %s:\n%s", s, stdout.String())
				}
			}
			for _, s := range tc.expectStderr {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("stderr lacks %s:\n%s", s, stderr.String())
				}
			}
			if code == 0 {
				var out struct {
					Verified bool `json:"verified"`
				}
				if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
					t.Fatal(err)
				}
				if out.Verified != tc.expectVerified {
					t.Errorf("verified %v", out.Verified)
				}
			}
		})
	}
}
