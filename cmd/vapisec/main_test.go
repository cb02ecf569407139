package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name         string
		givenArgs    []string
		expectCode   int
		expectStdout string
		expectStderr string
	}{
		{name: "ok, version", givenArgs: []string{"version"}, expectCode: 0, expectStdout: "vapisec devel\n"},
		{name: "nok, unknown command", givenArgs: []string{"frobnicate"}, expectCode: 2, expectStderr: "unknown command"},
		{name: "nok, unknown flag", givenArgs: []string{"serve", "--nope"}, expectCode: 2, expectStderr: "unknown flag"},
		{name: "nok, extra argument", givenArgs: []string{"version", "x"}, expectCode: 2},
		{name: "nok, serve without users", givenArgs: []string{"serve"}, expectCode: 2, expectStderr: "no users"},
		{name: "nok, serve with a bad user", givenArgs: []string{"serve", "--user", "nocolon"}, expectCode: 2, expectStderr: "NAME:PASSWORD"},
		{name: "nok, serve with half a TLS pair", givenArgs: []string{"serve", "--dev", "--tls-cert", "x.pem"}, expectCode: 2, expectStderr: "--tls-key"},
		{name: "nok, serve on a bad address", givenArgs: []string{"serve", "--dev", "--addr", "256.0.0.1:bad"}, expectCode: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.givenArgs, strings.NewReader(""), &stdout, &stderr)
			if code != tc.expectCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.expectCode, stderr.String())
			}
			if tc.expectStdout != "" && stdout.String() != tc.expectStdout {
				t.Errorf("stdout %q, want %q", stdout.String(), tc.expectStdout)
			}
			if !strings.Contains(stderr.String(), tc.expectStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.expectStderr)
			}
		})
	}
}
