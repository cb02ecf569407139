package middleware_test

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// samlNow lies inside the window of the vcf-sdk-java signed requests.
var samlNow = time.Date(2024, 1, 1, 0, 5, 0, 0, time.UTC)

func readVCF(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../testdata/vcf-sdk-java/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newSAMLServer is the test server with the SAML scheme (trusting the
// vcf-sdk-java STS) and the JSON-RPC endpoint on POST /api.
func newSAMLServer(t testing.TB, opts ...verifier.RequestOption) *testServer {
	t.Helper()
	cert, err := sts.ParseCertificatePEM(readVCF(t, "sts.crt.pem"))
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return samlNow }
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(cert), verifier.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, append([]verifier.RequestOption{verifier.WithRequestClock(now), verifier.WithAllowedHosts("vc.example.com")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	var cfg middleware.Config
	s := newTestServer(t, func(c *middleware.Config) { c.RequestVerifier = rv; cfg = *c })
	chain, err := middleware.Chain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := middleware.JSONRPCSessionService(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.e.POST("/api", h, append(chain, middleware.AllowAnonymous())...)
	s.e.POST("/api/echo", echoBody, append(chain, middleware.Require())...)
	return s
}

// signHeader signs a request like govmomi's sts.Signer.SignRequest with the
// vcf-sdk-java holder-of-key key and token.
func signHeader(t testing.TB, method, path, host string, body []byte, nonce string) string {
	t.Helper()
	key, err := vapisec.ParsePrivateKeyPEM(readVCF(t, "hok.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(readVCF(t, "samlToken.xml"))
	zw.Close()
	bs := sha256.Sum256(body)
	msg := nonce + "\n" + method + "\n" + path + "\n" + host + "\n80\n" + string(bs[:]) + "\n"
	h := sha256.Sum256([]byte(msg))
	sig, err := key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return `SIGN token="` + base64.StdEncoding.EncodeToString(z.Bytes()) + `", signature_alg="RSA-SHA256", signature="` +
		base64.StdEncoding.EncodeToString(sig) + `", nonce="` + nonce + `", bodyhash="` + base64.StdEncoding.EncodeToString(bs[:]) + `"`
}

func (s *testServer) post(t testing.TB, target string, header http.Header, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	req.Host = "vc.example.com"
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	return rec
}

func TestSAMLJSONRPC(t *testing.T) {
	s := newSAMLServer(t)
	body := readVCF(t, "signed-request-RS256.json")
	rec := s.post(t, "/api", nil, body)
	if rec.Code != http.StatusOK {
		t.Fatalf("signed session.create: %d %s", rec.Code, rec.Body)
	}
	var resp struct {
		ID     string `json:"id"`
		Result struct {
			Output string `json:"output"`
		} `json:"result"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || resp.ID != "42" || resp.Result.Output == "" {
		t.Fatalf("response %s", rec.Body)
	}
	// The session works on REST.
	who := s.do(t, http.MethodGet, "/api/whoami", sessionHeader(resp.Result.Output))
	if who.Code != http.StatusOK || !strings.Contains(who.Body.String(), "root") {
		t.Fatalf("whoami with the new session: %d %s", who.Code, who.Body)
	}

	// Failures are vAPI errors in result.error (HTTP 200, spec §13.3); only a
	// body that is no request gets a JSON-RPC error member.
	tests := []struct {
		name         string
		givenBody    []byte
		expectCode   int    // JSON-RPC error code, or 0 for result.error
		expectKind   string // std error of result.error
		expectReason vapisec.Reason
	}{
		{name: "nok, replayed", givenBody: body, expectKind: "unauthenticated", expectReason: vapisec.ReasonReplayed},
		{name: "nok, one byte changed", givenBody: bytes.Replace(readVCF(t, "signed-request-RS384.json"), []byte("op-1"), []byte("op-2"), 1), expectKind: "unauthenticated", expectReason: vapisec.ReasonBadSignature},
		{name: "nok, not JSON", givenBody: []byte(`{"jsonrpc":`), expectCode: -32700},
		{name: "nok, trailing data", givenBody: append(bytes.Clone(readVCF(t, "signed-request-RS512.json")), "[]"...), expectCode: -32700},
		{name: "nok, duplicate keys", givenBody: []byte(`{"jsonrpc":"2.0","method":"invoke","id":5,"id":6}`), expectCode: -32600},
		{name: "nok, unsigned other operation", givenBody: []byte(`{"jsonrpc":"2.0","method":"invoke","id":5,"params":{"serviceId":"x","operationId":"y"}}`), expectKind: "unauthenticated", expectReason: vapisec.ReasonMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := s.post(t, "/api", nil, tt.givenBody)
			if tt.expectCode != 0 {
				if rec.Code != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
				}
				expectRPCCode(t, rec, tt.expectCode)
				return
			}
			expectRPCError(t, rec, tt.expectKind, tt.expectReason.MessageID())
		})
	}
}

func TestSAMLSignLogin(t *testing.T) {
	s := newSAMLServer(t)
	nonce := strconv.FormatInt(samlNow.UnixMilli(), 10) + ":1"
	hdr := http.Header{"Authorization": {signHeader(t, "POST", "/api/session", "vc.example.com", nil, nonce)}, "Vmware-Use-Header-Authn": {"true"}}
	rec := s.post(t, "/api/session", hdr, nil)
	if rec.Code != http.StatusCreated {
		t.Fatalf("SIGN login: %d %s", rec.Code, rec.Body)
	}
	id := strings.Trim(strings.TrimSpace(rec.Body.String()), `"`)
	who := s.do(t, http.MethodGet, "/api/whoami", sessionHeader(id))
	if who.Code != http.StatusOK || !strings.Contains(who.Body.String(), `"name":"root"`) {
		t.Fatalf("whoami: %d %s", who.Code, who.Body)
	}
	// The same header again: the nonce was used.
	rec = s.post(t, "/api/session", hdr, nil)
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), vapisec.ReasonReplayed.MessageID()) {
		t.Fatalf("replayed SIGN login: %d %s", rec.Code, rec.Body)
	}
	// Legacy path, signed for another path.
	nonce2 := strconv.FormatInt(samlNow.UnixMilli(), 10) + ":2"
	hdr2 := http.Header{"Authorization": {signHeader(t, "POST", "/api/session", "vc.example.com", nil, nonce2)}}
	rec = s.post(t, "/rest/com/vmware/cis/session", hdr2, nil)
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), vapisec.ReasonBadSignature.MessageID()) {
		t.Fatalf("SIGN for another path: %d %s", rec.Code, rec.Body)
	}
	// A handler behind SIGN reads exactly the verified body.
	body := []byte(`{"spec":{"name":"vm-1"}}`)
	nonce3 := strconv.FormatInt(samlNow.UnixMilli(), 10) + ":3"
	rec = s.post(t, "/api/echo", http.Header{"Authorization": {signHeader(t, "POST", "/api/echo", "vc.example.com", body, nonce3)}}, body)
	if rec.Code != http.StatusOK || rec.Body.String() != string(body) {
		t.Fatalf("echo: %d %s", rec.Code, rec.Body)
	}
	// Bearer is off by default.
	rec = s.post(t, "/api/session", http.Header{"Authorization": {`SIGN token="` + strings.Split(hdr.Get("Authorization"), `"`)[1] + `"`}}, nil)
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), vapisec.ReasonSchemeNotAllowed.MessageID()) {
		t.Fatalf("bearer SIGN: %d %s", rec.Code, rec.Body)
	}
	// Malformed SIGN header.
	rec = s.post(t, "/api/session", http.Header{"Authorization": {`SIGN token=abc`}}, nil)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("malformed SIGN: %d %s", rec.Code, rec.Body)
	}
}

func TestSAMLConfigErrors(t *testing.T) {
	if _, err := (middleware.SAMLConfig{}).ToMiddleware(); err != middleware.ErrNoVerifier {
		t.Fatalf("error %v", err)
	}
}
