package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifyCmd(t *testing.T) {
	tampered := filepath.Join(t.TempDir(), "tampered.json")
	orig, err := os.ReadFile("../../testdata/vcf-sdk-java/signed-request-RS256.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tampered, bytes.Replace(orig, []byte("op-1"), []byte("op-2"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	const trust = "../../testdata/vcf-sdk-java/sts.crt.pem"
	tests := []struct {
		name         string
		givenArgs    []string
		expectCode   int
		expectStdout string
		expectStderr string
	}{
		{name: "ok, RS256 inside the window", givenArgs: []string{"verify", "--trust", trust, "--at", "2024-01-01T00:05:00Z", "../../testdata/vcf-sdk-java/signed-request-RS256.json"}, expectStdout: `"name": "root"`},
		{name: "ok, RS512 from stdin", givenArgs: []string{"verify", "--trust", trust, "--at", "2024-01-01T00:05:00Z", "-"}, expectStdout: "saml_hok_token"},
		{name: "nok, outside the window", givenArgs: []string{"verify", "--trust", trust, "--at", "2024-01-01T01:00:00Z", "../../testdata/vcf-sdk-java/signed-request-RS256.json"}, expectCode: 1, expectStderr: "expired"},
		{name: "nok, tampered", givenArgs: []string{"verify", "--trust", trust, "--at", "2024-01-01T00:05:00Z", tampered}, expectCode: 1, expectStderr: "bad_signature"},
		{name: "nok, untrusted", givenArgs: []string{"verify", "--trust", "../../testdata/vcf-sdk-java/hok.crt.pem", "--at", "2024-01-01T00:05:00Z", "../../testdata/vcf-sdk-java/signed-request-RS256.json"}, expectCode: 1, expectStderr: "untrusted_issuer"},
		{name: "nok, no --trust", givenArgs: []string{"verify", "x.json"}, expectCode: 2},
		{name: "nok, bad --profile", givenArgs: []string{"verify", "--trust", trust, "--profile", "ruby", "x.json"}, expectCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdin, _ := os.ReadFile("../../testdata/vcf-sdk-java/signed-request-RS512.json")
			var stdout, stderr bytes.Buffer
			code := run(tt.givenArgs, bytes.NewReader(stdin), &stdout, &stderr)
			if code != tt.expectCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.expectCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.expectStdout) || !strings.Contains(stderr.String(), tt.expectStderr) {
				t.Fatalf("stdout %q stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}
