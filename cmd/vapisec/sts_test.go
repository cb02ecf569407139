package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSTSCmd(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"sts", "keygen", "--out", dir}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("keygen exit %d: %s", code, stderr.String())
	}
	for _, f := range []string{"sts.key.pem", "sts.crt.pem", "hok.key.pem", "hok.crt.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if code := run([]string{"sts", "keygen", "--out", dir}, nil, &stdout, &stderr); code != 1 {
		t.Errorf("keygen overwrote existing files (exit %d)", code)
	}
	key, cert, hok := filepath.Join(dir, "sts.key.pem"), filepath.Join(dir, "sts.crt.pem"), filepath.Join(dir, "hok.crt.pem")
	tests := []struct {
		name        string
		givenArgs   []string
		givenVerify []string
		expectCode  int
		// expectVerifyCode is the exit code of "token verify" on the token.
		expectVerifyCode int
		expectStdout     []string
	}{
		{name: "ok, holder-of-key token verifies", givenArgs: []string{"sts", "issue", "--key", key, "--cert", cert, "--hok-cert", hok, "--subject", "alice@example.local", "--group", `example.local\Admins`, "--group", `example.local\Users`, "--audience", "https://me"},
			givenVerify: []string{"--audience", "https://me"}, expectStdout: []string{`"name": "alice"`, `"confirmation": "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"`, `example.local\\Users`}},
		{name: "ok, bearer token with prefix saml verifies", givenArgs: []string{"sts", "issue", "--key", key, "--cert", cert, "--prefix", "saml", "--lifetime", "5m", "--delegable", "--renewable", "--solution-user"},
			expectStdout: []string{`cm:bearer`, `"delegable": true`, `"renewable": true`, `"solution_user": true`}},
		{name: "nok, audience mismatch on verify", givenArgs: []string{"sts", "issue", "--key", key, "--cert", cert, "--audience", "https://other"},
			givenVerify: []string{"--audience", "https://me"}, expectVerifyCode: 1, expectStdout: []string{"audience_mismatch"}},
		{name: "nok, missing --key", givenArgs: []string{"sts", "issue", "--cert", cert}, expectCode: 2},
		{name: "nok, key file is a certificate", givenArgs: []string{"sts", "issue", "--key", cert, "--cert", cert}, expectCode: 2},
		{name: "nok, key and certificate do not match", givenArgs: []string{"sts", "issue", "--key", key, "--cert", hok}, expectCode: 2},
		{name: "nok, negative lifetime", givenArgs: []string{"sts", "issue", "--key", key, "--cert", cert, "--lifetime", "-1h"}, expectCode: 2},
		{name: "nok, keygen without --out", givenArgs: []string{"sts", "keygen"}, expectCode: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.givenArgs, nil, &stdout, &stderr)
			if code != tc.expectCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.expectCode, stderr.String())
			}
			if code != 0 {
				return
			}
			var vout, verr bytes.Buffer
			args := append([]string{"token", "verify", "--trust", cert}, tc.givenVerify...)
			if code := run(append(args, "-"), bytes.NewReader(stdout.Bytes()), &vout, &verr); code != tc.expectVerifyCode {
				t.Fatalf("token verify exit %d, want %d: %s", code, tc.expectVerifyCode, verr.String())
			}
			for _, s := range tc.expectStdout {
				if !strings.Contains(vout.String()+verr.String(), s) {
					t.Errorf("verified token lacks %s:\n%s", s, vout.String())
				}
			}
		})
	}
}
