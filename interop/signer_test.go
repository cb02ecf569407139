package interop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/sts"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/signer"
	vsts "github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

const fixtures = "../testdata/vcf-sdk-java/"

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtures + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hokKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := vapisec.ParsePrivateKeyPEM(readFixture(t, "hok.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// govmomiSign returns govmomi's Authorization value for the request.
func govmomiSign(t *testing.T, key crypto.Signer, token []byte, method, u string, body []byte) (*http.Request, string) {
	t.Helper()
	s := &sts.Signer{Certificate: &tls.Certificate{PrivateKey: key}, Token: string(token)}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SignRequest(req); err != nil {
		t.Fatal(err)
	}
	return req, req.Header.Get("Authorization")
}

// TestGovmomiSIGNHeaderIdentical: for the nonce govmomi picked, our SIGN
// signer produces govmomi's header byte for byte (govmomi's nonce cannot be
// injected, so it is read back from its header).
func TestGovmomiSIGNHeaderIdentical(t *testing.T) {
	key, token := hokKey(t), readFixture(t, "samlToken.xml")
	ours, err := signer.NewHeaderSigner(key, token)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ url, body string }{
		{"https://VC.Example.com/rest/com/vmware/cis/session", ""},
		{"https://vc.example.com:443/api/session?x=1", `{"a":1}`},
		{"https://[::1]:8443/api/session", ""},
	} {
		req, theirs := govmomiSign(t, key, token, http.MethodPost, tc.url, []byte(tc.body))
		h, err := parser.ParseSignValue(theirs)
		if err != nil {
			t.Fatalf("%s: our parser rejects govmomi's header: %v", tc.url, err)
		}
		got, err := ours.AuthorizationWithNonce(http.MethodPost, req.URL, []byte(tc.body), h.Nonce)
		if err != nil {
			t.Fatal(err)
		}
		if got != theirs {
			t.Errorf("%s:\n ours    %s\n govmomi %s", tc.url, got, theirs)
		}
	}
	bearer, err := signer.NewBearerHeaderSigner(token)
	if err != nil {
		t.Fatal(err)
	}
	s := &sts.Signer{Token: string(token)}
	req, _ := http.NewRequest(http.MethodPost, "https://vc/rest/com/vmware/cis/session", nil)
	if err := s.SignRequest(req); err != nil {
		t.Fatal(err)
	}
	if got, _ := bearer.Authorization(http.MethodPost, req.URL, nil); got != req.Header.Get("Authorization") {
		t.Errorf("bearer headers differ:\n ours    %s\n govmomi %s", got, req.Header.Get("Authorization"))
	}
}

// TestGovmomiSIGNVerifies: govmomi's HoK SIGN header verifies with our
// verifier (the fixture token is dated; the clocks are injected, and the
// nonce time of govmomi's header is now, so the request verifier runs at
// the real time while the token verifier runs in the token's lifetime).
func TestGovmomiSIGNVerifies(t *testing.T) {
	key, token := hokKey(t), readFixture(t, "samlToken.xml")
	anchors, err := verifier.LoadCertificatesPEM(readFixture(t, "sts.crt.pem"))
	if err != nil {
		t.Fatal(err)
	}
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(anchors...),
		verifier.WithClock(func() time.Time { return time.Date(2029, 12, 31, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, verifier.WithRequestClock(time.Now), verifier.WithAllowedHosts("vc.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"spec":{"name":"vm-1"}}`)
	req, _ := govmomiSign(t, key, token, http.MethodPost, "https://vc.example.com/api/vcenter/vm", body)
	h, err := parser.ParseSign(req.Header)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rv.VerifySign(context.Background(), req, body, h)
	if err != nil {
		t.Fatalf("govmomi's SIGN header does not verify: %v", err)
	}
	if res.Token.Subject.String() != "root@localos" {
		t.Errorf("subject %q", res.Token.Subject)
	}
	// One byte of body changed: rejected.
	if _, err := rv.VerifySign(context.Background(), req, []byte(`{"spec":{"name":"vm-2"}}`), h); err == nil {
		t.Error("a changed body verifies")
	}
}

// serveHasTrust reports whether "vapisec serve" can verify SAML tokens
// (its --trust flag).
func serveHasTrust(t *testing.T) bool {
	out, _ := exec.Command(vapisecBin, "serve", "--help").CombinedOutput()
	return strings.Contains(string(out), "--trust")
}

// TestGovmomiLoginByTokenHoK: govmomi's rest.Client.LoginByToken with a HoK
// signer (govmomi's own, then ours) logs in to "vapisec serve" with a token
// from our STS, gets its session and logs out.
func TestGovmomiLoginByTokenHoK(t *testing.T) {
	if !serveHasTrust(t) {
		t.Skip("vapisec serve has no --trust flag yet: SAML (SIGN) login is not available in the server")
	}
	stsCert, hokCert, hokKeyPEM, token := issueToken(t)
	base := startServer(t, "--dev", "--trust", stsCert)
	for name, mk := range map[string]func() interface{ SignRequest(*http.Request) error }{
		"govmomi signer": func() interface{ SignRequest(*http.Request) error } {
			k, err := vapisec.ParsePrivateKeyPEM(hokKeyPEM)
			if err != nil {
				t.Fatal(err)
			}
			return &sts.Signer{Certificate: &tls.Certificate{PrivateKey: k, Certificate: [][]byte{hokCert.Raw}}, Token: string(token)}
		},
		"vapisec signer": func() interface{ SignRequest(*http.Request) error } {
			k, err := vapisec.ParsePrivateKeyPEM(hokKeyPEM)
			if err != nil {
				t.Fatal(err)
			}
			s, err := signer.NewHeaderSigner(k, token)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := newRESTClient(t, base)
			ctx := c.WithSigner(context.Background(), mk())
			if err := c.LoginByToken(ctx); err != nil {
				t.Fatalf("LoginByToken: %v", err)
			}
			s, err := c.Session(context.Background())
			if err != nil || s == nil {
				t.Fatalf("session: %v %v", s, err)
			}
			if !strings.Contains(strings.ToLower(s.User), "alice") {
				t.Errorf("user %q", s.User)
			}
			if err := c.Logout(context.Background()); err != nil {
				t.Fatalf("logout: %v", err)
			}
			if s, err := c.Session(context.Background()); err != nil || s != nil {
				t.Errorf("session after logout: %v, %v", s, err)
			}
		})
	}
}

// issueToken makes an STS and a holder-of-key key pair with our sts
// package, writes the STS certificate to a file and issues a HoK token for
// alice@vsphere.local.
func issueToken(t *testing.T) (stsCertFile string, hokCert *x509.Certificate, hokKeyPEM, token []byte) {
	t.Helper()
	now := time.Now()
	sk, sc, err := vsts.GenerateKeyPair("Test STS", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	hk, hc, err := vsts.GenerateKeyPair("alice", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := vsts.New(sk, sc)
	if err != nil {
		t.Fatal(err)
	}
	token, err = issuer.Issue(vsts.IssueRequest{Subject: "alice@vsphere.local", HoKCertificate: hc})
	if err != nil {
		t.Fatal(err)
	}
	stsCertFile = filepath.Join(t.TempDir(), "sts.crt.pem")
	if err := os.WriteFile(stsCertFile, vsts.EncodeCertificatePEM(sc), 0o600); err != nil {
		t.Fatal(err)
	}
	if hokKeyPEM, err = vsts.EncodePrivateKeyPEM(hk); err != nil {
		t.Fatal(err)
	}
	return stsCertFile, hc, hokKeyPEM, token
}
