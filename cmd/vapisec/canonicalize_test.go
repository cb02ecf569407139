package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCanonicalizeCmd(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "in.json")
	if err := os.WriteFile(file, []byte(`{ "b": 0.1, "a": "é" }`), 0o600); err != nil {
		t.Fatal(err)
	}
	signed, err := os.ReadFile("../../testdata/vcf-sdk-java/signed-request-RS256.canonical.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		givenArgs    []string
		givenStdin   string
		expectCode   int
		expectStdout string
		expectStderr string
	}{
		{name: "ok, stdin, java default", givenArgs: []string{"canonicalize"}, givenStdin: `{"b":1.0,"a":[-0]}`, expectStdout: `{"a":[0],"b":1.0E0}`},
		{name: "ok, dash is stdin", givenArgs: []string{"canonicalize", "-"}, givenStdin: `[1E+2]`, expectStdout: `[1.0E2]`},
		{name: "ok, file, gosdk", givenArgs: []string{"canonicalize", "--profile", "gosdk", file}, expectStdout: `{"a":"é","b":1.0E-1}`},
		{name: "ok, file, python", givenArgs: []string{"canonicalize", "--profile=python", file}, expectStdout: `{"a":"\u00e9","b":10.0E-2}`},
		{name: "ok, canonical form is a fixed point", givenArgs: []string{"canonicalize"}, givenStdin: string(signed), expectStdout: string(signed)},
		{name: "nok, duplicate member", givenArgs: []string{"canonicalize"}, givenStdin: `{"a":1,"a":2}`, expectCode: 1, expectStderr: `canonical: duplicate member "a"`},
		{name: "nok, trailing data", givenArgs: []string{"canonicalize"}, givenStdin: `{} x`, expectCode: 1, expectStderr: "canonical: trailing data"},
		{name: "nok, too large", givenArgs: []string{"canonicalize", "--max-size", "4"}, givenStdin: `[1,2,3]`, expectCode: 1, expectStderr: "canonical: input too large"},
		{name: "nok, missing file", givenArgs: []string{"canonicalize", filepath.Join(dir, "absent.json")}, expectCode: 1, expectStderr: "absent.json"},
		{name: "nok, unknown profile", givenArgs: []string{"canonicalize", "--profile", "jackson"}, expectCode: 2, expectStderr: "unknown profile"},
		{name: "nok, bad max size", givenArgs: []string{"canonicalize", "--max-size", "0"}, expectCode: 2, expectStderr: "--max-size"},
		{name: "nok, two files", givenArgs: []string{"canonicalize", file, file}, expectCode: 2, expectStderr: "accepts at most 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.givenArgs, strings.NewReader(tt.givenStdin), &stdout, &stderr)
			if code != tt.expectCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.expectCode, stderr.String())
			}
			if stdout.String() != tt.expectStdout {
				t.Errorf("stdout %q, want %q", stdout.String(), tt.expectStdout)
			}
			if !strings.Contains(stderr.String(), tt.expectStderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.expectStderr)
			}
		})
	}
}
