package main

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/canonical"
)

// TestServeProfileAcceptsGoSDKSignedBodies: bodies whose canonical forms
// differ between the Java runtime and VMware's Go SDK (a double ≥ 1e21;
// member names mixing U+E000–U+FFFF with astral characters), signed in the
// GoSDK form, are refused (unauthenticated, bad_signature, in result.error)
// by "serve" without --profile and accepted with --profile gosdk.
func TestServeProfileAcceptsGoSDKSignedBodies(t *testing.T) {
	inputs := map[string]string{
		"double-1e21":  `{"STRUCTURE":{"operation-input":{"size":1e21,"small":2.5}}}`,
		"mixed-planes": `{"STRUCTURE":{"operation-input":{"\uE000":1,"\ud83d\ude00":2,"\uFFFD":3,"a":4}}}`,
	}
	for _, profiles := range [][]string{nil, {"gosdk"}} {
		dir := t.TempDir()
		ts := newDevServer(t, serveOptions{dev: true, devDir: dir, users: []string{"a:b"}, profiles: profiles})
		key, err := vapisec.ParsePrivateKeyPEM(readFile(t, filepath.Join(dir, devHoKKey)))
		if err != nil {
			t.Fatal(err)
		}
		token := readFile(t, filepath.Join(dir, devTokenXML))
		for name, input := range inputs {
			t.Run(strings.Join(append([]string{"profiles"}, profiles...), "-")+"/"+name, func(t *testing.T) {
				body := signGoSDK(t, key, token, input)
				resp, err := http.Post(ts.URL+"/api", "application/json", bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				reply, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d: %s", resp.StatusCode, reply)
				}
				refused := bytes.Contains(reply, []byte(`"result":{"error":{"ERROR":{"com.vmware.vapi.std.errors.unauthenticated"`))
				if len(profiles) == 0 {
					if !refused || !bytes.Contains(reply, []byte("vapisec.reason.bad_signature")) {
						t.Fatalf("without --profile: %s, want unauthenticated (bad_signature)", reply)
					}
					return
				}
				if refused || !bytes.Contains(reply, []byte(`"result":{"output":`)) || !bytes.Contains(reply, []byte("saml_hok_token")) {
					t.Fatalf("with --profile gosdk: %s, want the output", reply)
				}
			})
		}
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signGoSDK returns a HoK-signed JSON-RPC call of com.example.demo whoami
// with input, signed over the GoSDK canonical form (checked to differ from
// the Java form, so that the test cannot pass by accident).
func signGoSDK(t *testing.T, key crypto.Signer, token []byte, input string) []byte {
	t.Helper()
	now := time.Now().UTC()
	sc := map[string]any{"schemeId": "com.vmware.vapi.std.security.saml_hok_token", "signatureAlgorithm": "RS256",
		"timestamp": map[string]any{"created": now.Format(vapisec.TimestampLayout), "expires": now.Add(10 * time.Minute).Format(vapisec.TimestampLayout)}}
	scJSON, _ := json.Marshal(sc)
	unsigned := []byte(`{"jsonrpc":"2.0","method":"invoke","id":1,"params":{"serviceId":"com.example.demo","operationId":"whoami","input":` + input +
		`,"ctx":{"securityCtx":` + string(scJSON) + `}}}`)
	gosdk, err := canonical.Canonicalize(unsigned, canonical.WithProfile(canonical.GoSDK))
	if err != nil {
		t.Fatal(err)
	}
	java, err := canonical.Canonicalize(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(gosdk, java) {
		t.Fatalf("the GoSDK and Java forms of %s are the same", input)
	}
	h := sha256.Sum256(gosdk)
	sig, err := key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	sc["signature"] = map[string]any{"samlToken": string(token), "value": base64.StdEncoding.EncodeToString(sig)}
	scJSON, _ = json.Marshal(sc)
	return []byte(`{"jsonrpc":"2.0","method":"invoke","id":1,"params":{"serviceId":"com.example.demo","operationId":"whoami","input":` + input +
		`,"ctx":{"securityCtx":` + string(scJSON) + `}}}`)
}

func TestServeProfileUsage(t *testing.T) {
	base := serveOptions{addr: "127.0.0.1:8080", bodyLimit: "1M", idleTimeout: time.Minute, maxLifetime: time.Hour, users: []string{"a:b"}}
	for _, tt := range []struct {
		name  string
		given func(*serveOptions)
	}{
		{"nok, unknown profile", func(o *serveOptions) { o.dev = true; o.devDir = t.TempDir(); o.profiles = []string{"ruby"} }},
		{"nok, profile without SAML", func(o *serveOptions) { o.profiles = []string{"gosdk"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			tt.given(&o)
			srv, err := buildServer(o, io.Discard)
			if err == nil {
				srv.close()
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "--profile") {
				t.Fatalf("error %v", err)
			}
		})
	}
}
