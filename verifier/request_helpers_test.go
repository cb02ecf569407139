package verifier_test

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vapisec/vapisec/canonical"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// reqEnv holds the keys of the request verification tests: the trusted STS,
// an RSA and an ECDSA holder-of-key key pair with tokens issued for them,
// and a bearer token.
type reqEnv struct {
	stsCert  *x509.Certificate
	sts      *sts.STS
	rsaKey   crypto.Signer
	rsaCert  *x509.Certificate
	ecKey    *ecdsa.PrivateKey
	ecCert   *x509.Certificate
	hokToken []byte // RSA holder-of-key
	ecToken  []byte // ECDSA holder-of-key
	bearer   []byte
}

var (
	reqEnvOnce sync.Once
	reqEnvVal  *reqEnv
	reqEnvErr  error
)

func getReqEnv(tb testing.TB) *reqEnv {
	tb.Helper()
	reqEnvOnce.Do(func() {
		e := &reqEnv{}
		from, to := testNow.Add(-365*24*time.Hour), testNow.Add(365*24*time.Hour)
		var stsKey crypto.Signer
		if stsKey, e.stsCert, reqEnvErr = sts.GenerateKeyPair("Security Token Service", from, to); reqEnvErr != nil {
			return
		}
		if e.sts, reqEnvErr = sts.New(stsKey, e.stsCert, sts.WithClock(fixedClock(testNow))); reqEnvErr != nil {
			return
		}
		if e.rsaKey, e.rsaCert, reqEnvErr = sts.GenerateKeyPair("User1", from, to); reqEnvErr != nil {
			return
		}
		if e.ecKey, reqEnvErr = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); reqEnvErr != nil {
			return
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "EC User"}, NotBefore: from, NotAfter: to, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, e.ecKey.Public(), e.ecKey)
		if err != nil {
			reqEnvErr = err
			return
		}
		if e.ecCert, reqEnvErr = x509.ParseCertificate(der); reqEnvErr != nil {
			return
		}
		req := sts.IssueRequest{Subject: "Administrator@vsphere.local", Groups: []string{`vsphere.local\Administrators`}, HoKCertificate: e.rsaCert}
		if e.hokToken, reqEnvErr = e.sts.Issue(req); reqEnvErr != nil {
			return
		}
		req.HoKCertificate = e.ecCert
		if e.ecToken, reqEnvErr = e.sts.Issue(req); reqEnvErr != nil {
			return
		}
		req.HoKCertificate = nil
		e.bearer, reqEnvErr = e.sts.Issue(req)
		reqEnvVal = e
	})
	if reqEnvErr != nil {
		tb.Fatal(reqEnvErr)
	}
	return reqEnvVal
}

// testHosts are the hosts the test verifiers allow for SIGN (signReq's
// default host and the IPv6 loopback).
var testHosts = []string{"vc.example.com", "[::1]"}

// newRequestVerifier returns a request verifier trusting the test STS, both
// clocks at testNow, SIGN allowed for testHosts; opts come after the
// defaults.
func newRequestVerifier(tb testing.TB, e *reqEnv, opts ...verifier.RequestOption) *verifier.RequestVerifier {
	tb.Helper()
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(e.stsCert), verifier.WithClock(fixedClock(testNow)))
	if err != nil {
		tb.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, append([]verifier.RequestOption{verifier.WithRequestClock(fixedClock(testNow)), verifier.WithAllowedHosts(testHosts...)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return rv
}

// jsonReq describes a JSON-RPC request for signJSON.
type jsonReq struct {
	alg      string        // signatureAlgorithm; default RS256
	created  time.Time     // default testNow
	window   time.Duration // default 10 min
	token    []byte        // samlToken; default the RSA HoK token
	key      crypto.Signer // signing key; default the RSA HoK key
	profile  canonical.Profile
	input    any                      // params.input; default an empty structure
	scheme   string                   // default HoK
	signWith func(msg []byte) []byte  // overrides key/alg
	edit     func(sc map[string]any)  // edits the securityCtx before signing
	after    func(sc map[string]any)  // edits the securityCtx after signing
	raw      func(body []byte) []byte // edits the final body bytes
	envelope func(req map[string]any) // edits the request before signing
}

const tsLayout = "2006-01-02T15:04:05.000Z"

// signJSON builds and signs a JSON-RPC request the way vAPI clients do
// (spec §7.2).
func signJSON(tb testing.TB, e *reqEnv, r jsonReq) []byte {
	tb.Helper()
	if r.alg == "" {
		r.alg = "RS256"
	}
	if r.created.IsZero() {
		r.created = testNow
	}
	if r.window == 0 {
		r.window = 10 * time.Minute
	}
	if r.token == nil {
		r.token = e.hokToken
	}
	if r.key == nil {
		r.key = e.rsaKey
	}
	if r.input == nil {
		r.input = map[string]any{"STRUCTURE": map[string]any{"operation-input": map[string]any{}}}
	}
	if r.scheme == "" {
		r.scheme = "com.vmware.vapi.std.security.saml_hok_token"
	}
	sc := map[string]any{
		"schemeId":           r.scheme,
		"signatureAlgorithm": r.alg,
		"timestamp": map[string]any{
			"created": r.created.UTC().Format(tsLayout),
			"expires": r.created.Add(r.window).UTC().Format(tsLayout),
		},
	}
	if r.edit != nil {
		r.edit(sc)
	}
	req := map[string]any{
		"jsonrpc": "2.0", "method": "invoke", "id": "42",
		"params": map[string]any{
			"serviceId": "com.vmware.cis.session", "operationId": "create", "input": r.input,
			"ctx": map[string]any{"appCtx": map[string]any{"opId": "op-1"}, "securityCtx": sc},
		},
	}
	if r.envelope != nil {
		r.envelope(req)
	}
	unsigned, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	msg, err := canonical.Canonicalize(unsigned, canonical.WithProfile(r.profile))
	if err != nil {
		tb.Fatal(err)
	}
	var sig []byte
	if r.signWith != nil {
		sig = r.signWith(msg)
	} else {
		sig = signBytes(tb, r.key, r.alg, msg)
	}
	sc["signature"] = map[string]any{"samlToken": string(r.token), "value": base64.StdEncoding.EncodeToString(sig)}
	if r.after != nil {
		r.after(sc)
	}
	body, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	if r.raw != nil {
		body = r.raw(body)
	}
	return body
}

// signBytes signs msg with key: RSA PKCS#1 v1.5 or ECDSA ASN.1 DER, with
// the hash the algorithm name ends in.
func signBytes(tb testing.TB, key crypto.Signer, alg string, msg []byte) []byte {
	tb.Helper()
	h := crypto.SHA256
	switch {
	case strings.HasSuffix(alg, "384"):
		h = crypto.SHA384
	case strings.HasSuffix(alg, "512"):
		h = crypto.SHA512
	}
	hh := h.New()
	hh.Write(msg)
	sig, err := key.Sign(rand.Reader, hh.Sum(nil), h)
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// signReq describes a SIGN request for signSign.
type signReq struct {
	method, target, host string // defaults POST, /api/session, vc.example.com
	body                 []byte
	nonce                string        // default testNow in ms + ":12345"
	token                []byte        // default the RSA HoK token
	alg                  string        // default RSA-SHA256
	key                  crypto.Signer // default RSA HoK key
	bodyHash             *string       // default base64(SHA-256(body))
	signed               func(n *normalized)
	bearer               bool
}

// normalized are the parts of the normalized request that are signed.
type normalized struct {
	nonce, method, path, host, port string
	body                            []byte
}

func encodeSignToken(tb testing.TB, xml []byte) string {
	tb.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(xml)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// signSign returns an httptest request with an "Authorization: SIGN"
// header computed like govmomi's sts.Signer.SignRequest (spec §8.2), and
// its body.
func signSign(tb testing.TB, e *reqEnv, r signReq) (*http.Request, []byte) {
	tb.Helper()
	if r.method == "" {
		r.method = "POST"
	}
	if r.target == "" {
		r.target = "/api/session"
	}
	if r.host == "" {
		r.host = "vc.example.com"
	}
	if r.nonce == "" {
		r.nonce = itoa(testNow.UnixMilli()) + ":12345"
	}
	if r.token == nil {
		r.token = e.hokToken
	}
	if r.alg == "" {
		r.alg = "RSA-SHA256"
	}
	if r.key == nil {
		r.key = e.rsaKey
	}
	req := httptest.NewRequest(r.method, r.target, bytes.NewReader(r.body))
	req.Host = r.host
	hdr := `SIGN token="` + encodeSignToken(tb, r.token) + `"`
	if !r.bearer {
		sum := sha256.Sum256(r.body)
		bh := base64.StdEncoding.EncodeToString(sum[:])
		if r.bodyHash != nil {
			bh = *r.bodyHash
		}
		n := normalized{nonce: r.nonce, method: r.method, path: req.URL.Path, host: strings.ToLower(r.host), port: "80", body: r.body}
		if i := strings.LastIndexByte(r.host, ':'); i > 0 && !strings.HasSuffix(r.host, "]") {
			n.host, n.port = strings.ToLower(r.host[:i]), r.host[i+1:]
		}
		if r.signed != nil {
			r.signed(&n)
		}
		bs := sha256.Sum256(n.body)
		msg := n.nonce + "\n" + n.method + "\n" + n.path + "\n" + n.host + "\n" + n.port + "\n" + string(bs[:]) + "\n"
		sig := signBytes(tb, r.key, r.alg, []byte(msg))
		hdr += `, signature_alg="` + r.alg + `", signature="` + base64.StdEncoding.EncodeToString(sig) + `", nonce="` + r.nonce + `"`
		if bh != "" {
			hdr += `, bodyhash="` + bh + `"`
		}
	}
	req.Header.Set("Authorization", hdr)
	return req, r.body
}

func itoa(n int64) string { return big.NewInt(n).String() }
