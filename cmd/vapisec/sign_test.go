package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/canonical"
)

const fixtures = "../../testdata/vcf-sdk-java/"

func TestSignCmd(t *testing.T) {
	request := `{"jsonrpc":"2.0","method":"invoke","id":"42","params":{"serviceId":"com.vmware.cis.session","operationId":"create","input":{"STRUCTURE":{"operation-input":{}}},"ctx":{"appCtx":{"opId":"op-1"}}}}`
	wantFixture := readSignFixture(t, fixtures+"signed-request-RS384.json")
	wantTBS := readSignFixture(t, fixtures+"signed-request-RS384.canonical.txt")
	tests := []struct {
		name         string
		givenArgs    []string
		givenStdin   string
		expectCode   int
		expectStderr string
	}{
		{name: "ok, RS384 fixture", givenArgs: []string{"sign", "--key", fixtures + "hok.key.pem", "--token", fixtures + "samlToken.xml", "--alg", "RS384", "--at", "2024-01-01T00:00:00Z", "--validity", "20m", "-"}, givenStdin: request},
		{name: "ok, file input", givenArgs: []string{"sign", "--key", fixtures + "hok.key.pem", "--token", fixtures + "samlToken.xml", "--alg", "RS384", "--at", "2024-01-01T00:00:00Z", "--validity", "20m", fixtures + "signed-request-RS256.json"}},
		{name: "nok, unknown algorithm", givenArgs: []string{"sign", "--key", fixtures + "hok.key.pem", "--token", fixtures + "samlToken.xml", "--alg", "rs256", "-"}, expectCode: 2, expectStderr: "unsupported algorithm"},
		{name: "nok, RSA key for ES256", givenArgs: []string{"sign", "--key", fixtures + "hok.key.pem", "--token", fixtures + "samlToken.xml", "--alg", "ES256", "-"}, givenStdin: request, expectCode: 1, expectStderr: "key does not fit"},
		{name: "nok, no key", givenArgs: []string{"sign", "--token", fixtures + "samlToken.xml", "-"}, expectCode: 2, expectStderr: "--key is required"},
		{name: "nok, bad --at", givenArgs: []string{"sign", "--key", fixtures + "hok.key.pem", "--token", fixtures + "samlToken.xml", "--at", "yesterday", "-"}, expectCode: 2, expectStderr: "--at"},
		{name: "nok, not a JSON-RPC request", givenArgs: []string{"sign", "--key", fixtures + "hok.key.pem", "--token", fixtures + "samlToken.xml", "-"}, givenStdin: `[1]`, expectCode: 1, expectStderr: "invalid JSON-RPC request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.givenArgs, strings.NewReader(tt.givenStdin), &stdout, &stderr)
			if code != tt.expectCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.expectCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.expectStderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.expectStderr)
			}
			if code != 0 {
				return
			}
			got, want := signatureOf(t, stdout.Bytes()), signatureOf(t, wantFixture)
			if got != want {
				t.Errorf("signature %s, want the fixture's %s", got, want)
			}
			tbs, err := canonical.Canonicalize(stdout.Bytes(), canonical.WithoutMember("params", "ctx", "securityCtx", "signature"))
			if err != nil || !bytes.Equal(tbs, wantTBS) {
				t.Errorf("to-be-signed bytes %s (%v)", tbs, err)
			}
		})
	}
}

func TestSignCmdBearer(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run([]string{"sign", "--bearer", "--token", fixtures + "samlToken.xml", "-"}, strings.NewReader(`{"params":{}}`), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), `"schemeId":"com.vmware.vapi.std.security.saml_bearer_token"`) {
		t.Errorf("output %s", stdout.String())
	}
}

func TestSignHeaderCmd(t *testing.T) {
	const vectorSig = "ezCCAuz4+FQhVI90WVfjeaNxigDA+ZoObQ0wizAgam/6MKXFScxjV1Qol7rVqytKM7rckUbp2B9St+tobs8tO/ztayO5AaspmE5xjn03v7LXX4ocoMNNUWypQPeXBWvyBo61wESg+9mdmTKOu1Mk1r2eHd1Om0XRGSvYWeXJTRxDPmq0zXq/nRgkSJKFiUK3rl/W2WnGoX7/0JKrekhfSfAmeZMhLfyIOW0m0k4DBjvAlfVaGmn8HD9KEDGZ8gzNLMaGna91gRIiuHPadsbJ2+uII5x4abZRMQHxsy2fpVWh93+uru2G0ba0Gx3Evj8H/0+SIg7Gso+Y2KGK70x7iw=="
	tests := []struct {
		name         string
		givenArgs    []string
		expectCode   int
		expectStdout []string
		expectStderr string
	}{
		{name: "ok, spec 11.4 vector", givenArgs: []string{"sign-header", "--key", fixtures + "hok.key.pem", "--token", fixtures + "samlToken.xml", "--method", "POST", "--url", "https://vc.example.com/rest/com/vmware/cis/session", "--nonce", "1700000000000:1234567890"},
			expectStdout: []string{`SIGN token="H4sI`, `signature_alg="RSA-SHA256", signature="` + vectorSig + `", nonce="1700000000000:1234567890", bodyhash="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="` + "\n"}},
		{name: "ok, bearer", givenArgs: []string{"sign-header", "--bearer", "--token", fixtures + "samlToken.xml", "--url", "https://vc/rest/com/vmware/cis/session"}, expectStdout: []string{`SIGN token="H4sI`}},
		{name: "nok, relative URL", givenArgs: []string{"sign-header", "--key", fixtures + "hok.key.pem", "--token", fixtures + "samlToken.xml", "--url", "/x"}, expectCode: 2, expectStderr: "--url"},
		{name: "nok, nonce with a quote", givenArgs: []string{"sign-header", "--key", fixtures + "hok.key.pem", "--token", fixtures + "samlToken.xml", "--url", "https://vc/x", "--nonce", `1"`}, expectCode: 1, expectStderr: "invalid nonce"},
		{name: "nok, --bearer with --key", givenArgs: []string{"sign-header", "--bearer", "--key", fixtures + "hok.key.pem", "--token", fixtures + "samlToken.xml", "--url", "https://vc/x"}, expectCode: 2, expectStderr: "exclude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.givenArgs, strings.NewReader(""), &stdout, &stderr)
			if code != tt.expectCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.expectCode, stderr.String())
			}
			for _, s := range tt.expectStdout {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout %q does not contain %q", stdout.String(), s)
				}
			}
			if !strings.Contains(stderr.String(), tt.expectStderr) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.expectStderr)
			}
		})
	}
}

func signatureOf(t *testing.T, req []byte) string {
	t.Helper()
	var env struct {
		Params struct {
			Ctx struct {
				SecurityCtx struct {
					Signature struct {
						Value string `json:"value"`
					} `json:"signature"`
				} `json:"securityCtx"`
			} `json:"ctx"`
		} `json:"params"`
	}
	if err := json.Unmarshal(req, &env); err != nil {
		t.Fatal(err)
	}
	return env.Params.Ctx.SecurityCtx.Signature.Value
}

func readSignFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
