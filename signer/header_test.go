package signer_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/signer"
)

// Spec §11.4: POST https://vc.example.com/rest/com/vmware/cis/session, empty
// body, nonce 1700000000000:1234567890, key hok.
const (
	vectorNonce      = "1700000000000:1234567890"
	vectorNormalized = "313730303030303030303030303a313233343536373839300a504f53540a2f726573742f636f6d2f766d776172652f6369732f73657373696f6e0a76632e6578616d706c652e636f6d0a38300ae3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550a"
	vectorSignature  = "ezCCAuz4+FQhVI90WVfjeaNxigDA+ZoObQ0wizAgam/6MKXFScxjV1Qol7rVqytKM7rckUbp2B9St+tobs8tO/ztayO5AaspmE5xjn03v7LXX4ocoMNNUWypQPeXBWvyBo61wESg+9mdmTKOu1Mk1r2eHd1Om0XRGSvYWeXJTRxDPmq0zXq/nRgkSJKFiUK3rl/W2WnGoX7/0JKrekhfSfAmeZMhLfyIOW0m0k4DBjvAlfVaGmn8HD9KEDGZ8gzNLMaGna91gRIiuHPadsbJ2+uII5x4abZRMQHxsy2fpVWh93+uru2G0ba0Gx3Evj8H/0+SIg7Gso+Y2KGK70x7iw=="
	vectorBodyHash   = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
)

func TestHeaderSignerVector(t *testing.T) {
	token := readFixture(t, "samlToken.xml")
	s, err := signer.NewHeaderSigner(hokKey(t), token, signer.WithNonceSource(func() (string, error) { return vectorNonce, nil }))
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "https://vc.example.com/rest/com/vmware/cis/session", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SignRequest(req); err != nil {
		t.Fatal(err)
	}
	v := req.Header.Get("Authorization")
	enc, err := signer.EncodeSignToken(token)
	if err != nil {
		t.Fatal(err)
	}
	want := `SIGN token="` + enc + `", signature_alg="RSA-SHA256", signature="` + vectorSignature + `", nonce="` + vectorNonce + `", bodyhash="` + vectorBodyHash + `"`
	if v != want {
		t.Fatalf("Authorization\n got %s\nwant %s", v, want)
	}
	h, err := parser.ParseSignValue(v)
	if err != nil {
		t.Fatalf("our parser rejects our header: %v", err)
	}
	xml, err := parser.DecodeSignToken(h.Token, 0)
	if err != nil || !bytes.Equal(xml, token) {
		t.Fatalf("token does not decode to the file (%d bytes, %v)", len(xml), err)
	}
	u, _ := url.Parse("https://vc.example.com/rest/com/vmware/cis/session")
	if got := hex.EncodeToString(signer.NormalizedRequest(vectorNonce, "POST", u, sha256.Sum256(nil))); got != vectorNormalized {
		t.Errorf("normalized request %s", got)
	}
}

// TestNormalizedRequest: the three URLs cross-checked against govmomi in
// spec §11.4.
func TestNormalizedRequest(t *testing.T) {
	tests := []struct {
		name      string
		givenURL  string
		givenBody string
		expect    string
	}{
		{name: "ok, host lower-cased, no port gives 80 even for https", givenURL: "https://VC.Example.com/rest/com/vmware/cis/session", expect: "n\nPOST\n/rest/com/vmware/cis/session\nvc.example.com\n80\n"},
		{name: "ok, query ignored, explicit port", givenURL: "https://vc.example.com:443/api/session?x=1", givenBody: `{"a":1}`, expect: "n\nPOST\n/api/session\nvc.example.com\n443\n"},
		{name: "ok, IPv6 literal in brackets", givenURL: "https://[::1]:8443/api/session", expect: "n\nPOST\n/api/session\n[::1]\n8443\n"},
		{name: "ok, decoded path", givenURL: "http://h/a%20b", expect: "n\nPOST\n/a b\nh\n80\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(tc.givenURL)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(tc.givenBody))
			want := append([]byte(tc.expect), sum[:]...)
			want = append(want, '\n')
			if got := signer.NormalizedRequest("n", "POST", u, sum); !bytes.Equal(got, want) {
				t.Errorf("got %q\nwant %q", got, want)
			}
		})
	}
}

func TestHeaderSignerBearer(t *testing.T) {
	token := readFixture(t, "samlToken.xml")
	s, err := signer.NewBearerHeaderSigner(token)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, "https://vc/rest/com/vmware/cis/session", strings.NewReader("x"))
	if err := s.SignRequest(req); err != nil {
		t.Fatal(err)
	}
	h, err := parser.ParseSign(req.Header)
	if err != nil {
		t.Fatal(err)
	}
	if h.IsHoK() || !s.Bearer() {
		t.Errorf("bearer header has HoK parameters: %+v", h)
	}
	if xml, err := parser.DecodeSignToken(h.Token, 0); err != nil || !bytes.Equal(xml, token) {
		t.Errorf("token does not round-trip: %v", err)
	}
}

// TestHeaderSignerBody: a body without GetBody is read, hashed and put
// back so that it can still be sent; the signature verifies for every RSA
// algorithm.
func TestHeaderSignerBody(t *testing.T) {
	key := keyFor(t, signer.RS256)
	token, cert := hokToken(t, key)
	for alg, name := range map[signer.Algorithm]string{signer.RS256: "RSA-SHA256", signer.RS384: "RSA-SHA384", signer.RS512: "RSA-SHA512"} {
		t.Run("ok, "+string(alg), func(t *testing.T) {
			s, err := signer.NewHeaderSigner(key, token, signer.WithAlgorithm(alg))
			if err != nil {
				t.Fatal(err)
			}
			body := `{"spec":{"name":"vm-1"}}`
			req, _ := http.NewRequest(http.MethodPost, "https://vc.example.com:8443/api/vcenter/vm?x=1", nopReader{strings.NewReader(body)})
			if err := s.SignRequest(req); err != nil {
				t.Fatal(err)
			}
			h, err := parser.ParseSign(req.Header)
			if err != nil {
				t.Fatal(err)
			}
			if h.SignatureAlg != name {
				t.Errorf("signature_alg %q", h.SignatureAlg)
			}
			sent := new(bytes.Buffer)
			sent.ReadFrom(req.Body)
			if sent.String() != body || req.GetBody == nil || req.ContentLength != int64(len(body)) {
				t.Errorf("body not restored: %q", sent)
			}
			verifySIGN(t, h, req, []byte(body), cert.PublicKey)
		})
	}
}

type nopReader struct{ r *strings.Reader }

func (n nopReader) Read(p []byte) (int, error) { return n.r.Read(p) }

func TestHeaderSignerRejects(t *testing.T) {
	token := readFixture(t, "samlToken.xml")
	tests := []struct {
		name      string
		givenOpts []signer.Option
		givenKey  bool
		givenBody string
		expectErr []error
	}{
		{name: "nok, ES256 in a SIGN header", givenKey: true, givenOpts: []signer.Option{signer.WithAlgorithm(signer.ES256)}, expectErr: []error{signer.ErrUnsupportedAlgorithm}},
		{name: "nok, nonce with a quote (header injection)", givenKey: true, givenOpts: []signer.Option{signer.WithNonceSource(func() (string, error) { return `1", x="y`, nil })}, expectErr: []error{signer.ErrInvalidNonce}},
		{name: "nok, empty nonce", givenKey: true, givenOpts: []signer.Option{signer.WithNonceSource(func() (string, error) { return "", nil })}, expectErr: []error{signer.ErrInvalidNonce}},
		{name: "nok, nonce source fails", givenKey: true, givenOpts: []signer.Option{signer.WithNonceSource(func() (string, error) { return "", errors.New("no entropy") })}, expectErr: []error{signer.ErrInvalidNonce}},
		{name: "nok, body too large", givenKey: true, givenOpts: []signer.Option{signer.WithMaxRequestSize(4)}, givenBody: "12345", expectErr: []error{signer.ErrBodyTooLarge}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := signer.NewHeaderSigner(hokKey(t), token, tc.givenOpts...)
			if err == nil {
				req, _ := http.NewRequest(http.MethodPost, "https://vc/api", strings.NewReader(tc.givenBody))
				err = s.SignRequest(req)
				if req.Header.Get("Authorization") != "" {
					t.Error("Authorization set on error")
				}
			}
			for _, want := range tc.expectErr {
				if !errors.Is(err, want) {
					t.Errorf("error %v does not match %v", err, want)
				}
			}
		})
	}
}
