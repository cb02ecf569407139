package main

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/canonical"
)

// TestServeDevSAML is the newcomer's path: serve --dev writes signing
// material; a SIGN login and a signed JSON-RPC call made with it succeed.
func TestServeDevSAML(t *testing.T) {
	dir := t.TempDir()
	ts := newDevServer(t, serveOptions{dev: true, devDir: dir, users: []string{"a:b"}})
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	key, err := vapisec.ParsePrivateKeyPEM(read(devHoKKey))
	if err != nil {
		t.Fatal(err)
	}
	token := read(devTokenXML)
	read(devSTSCert)
	read(devHoKCert)

	// SIGN login on /api/session.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/session", nil)
	nonce := strconv.FormatInt(time.Now().UnixMilli(), 10) + ":1"
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(token)
	zw.Close()
	host := strings.ToLower(req.URL.Hostname())
	port := req.URL.Port()
	bs := sha256.Sum256(nil)
	h := sha256.Sum256([]byte(nonce + "\nPOST\n/api/session\n" + host + "\n" + port + "\n" + string(bs[:]) + "\n"))
	sig, err := key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", `SIGN token="`+base64.StdEncoding.EncodeToString(z.Bytes())+`", signature_alg="RSA-SHA256", signature="`+
		base64.StdEncoding.EncodeToString(sig)+`", nonce="`+nonce+`", bodyhash="`+base64.StdEncoding.EncodeToString(bs[:])+`"`)
	req.Header.Set("vmware-use-header-authn", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("SIGN login: %d", resp.StatusCode)
	}

	// Signed JSON-RPC call on /api: the SecurityContext comes back.
	now := time.Now().UTC()
	sc := map[string]any{"schemeId": "com.vmware.vapi.std.security.saml_hok_token", "signatureAlgorithm": "RS256",
		"timestamp": map[string]any{"created": now.Format("2006-01-02T15:04:05.000Z"), "expires": now.Add(10 * time.Minute).Format("2006-01-02T15:04:05.000Z")}}
	rpc := map[string]any{"jsonrpc": "2.0", "method": "invoke", "id": 1, "params": map[string]any{
		"serviceId": "com.example.demo", "operationId": "whoami", "input": map[string]any{}, "ctx": map[string]any{"securityCtx": sc}}}
	unsigned, _ := json.Marshal(rpc)
	msg, err := canonical.Canonicalize(unsigned)
	if err != nil {
		t.Fatal(err)
	}
	mh := sha256.Sum256(msg)
	msig, err := key.Sign(rand.Reader, mh[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	sc["signature"] = map[string]any{"samlToken": string(token), "value": base64.StdEncoding.EncodeToString(msig)}
	body, _ := json.Marshal(rpc)
	resp, err = http.Post(ts.URL+"/api", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The output is a vAPI structure, as VMware's SDK clients decode.
	var out struct {
		Result struct {
			Output struct {
				STRUCTURE map[string]struct {
					Scheme    string `json:"scheme"`
					Principal string `json:"principal"`
				}
			} `json:"output"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("JSON-RPC: %d %v", resp.StatusCode, err)
	}
	got := out.Result.Output.STRUCTURE["com.vmware.vapisec.security_context"]
	if got.Scheme != "com.vmware.vapi.std.security.saml_hok_token" || got.Principal != "dev@vsphere.local" {
		t.Fatalf("result %+v", out.Result.Output)
	}
}
