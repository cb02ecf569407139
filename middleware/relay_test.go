package middleware_test

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/vapisec/vapisec"
)

// signHeaderFor signs an empty-body SIGN request for host:port like
// govmomi's sts.Signer.SignRequest, with the vcf-sdk-java HoK key and token.
func signHeaderFor(t testing.TB, method, path, host, port, nonce string) string {
	t.Helper()
	key, err := vapisec.ParsePrivateKeyPEM(readVCF(t, "hok.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(readVCF(t, "samlToken.xml"))
	zw.Close()
	bs := sha256.Sum256(nil)
	h := sha256.Sum256([]byte(nonce + "\n" + method + "\n" + path + "\n" + host + "\n" + port + "\n" + string(bs[:]) + "\n"))
	sig, err := key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return `SIGN token="` + base64.StdEncoding.EncodeToString(z.Bytes()) + `", signature_alg="RSA-SHA256", signature="` +
		base64.StdEncoding.EncodeToString(sig) + `", nonce="` + nonce + `", bodyhash="` + base64.StdEncoding.EncodeToString(bs[:]) + `"`
}

// TestSignLoginRelayedFromAnotherHostIsRefused (HTTP): a client that logs in
// to http://evil.example:8080 gives that server a valid SIGN header; relayed
// to us with "Host: evil.example:8080" it must not create a session (issue
// 14 item 2, DESIGN Q21). The server allows only vc.example.com; a login
// signed for it still answers 201.
func TestSignLoginRelayedFromAnotherHostIsRefused(t *testing.T) {
	s := newSAMLServer(t) // WithAllowedHosts("vc.example.com")
	login := func(host, hdr string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/session", nil)
		req.Host = host
		req.Header.Set("Authorization", hdr)
		req.Header.Set("vmware-use-header-authn", "true")
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		return rec
	}
	nonce := strconv.FormatInt(samlNow.UnixMilli(), 10)
	rec := login("evil.example:8080", signHeaderFor(t, "POST", "/api/session", "evil.example", "8080", nonce+":relayed"))
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), vapisec.ReasonBadSignature.MessageID()) {
		t.Fatalf("relayed SIGN login: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("vmware-api-session-id") != "" {
		t.Fatal("relayed SIGN login got a session id")
	}
	rec = login("vc.example.com", signHeaderFor(t, "POST", "/api/session", "vc.example.com", "80", nonce+":legit"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("SIGN login for our host: %d %s", rec.Code, rec.Body)
	}
}
