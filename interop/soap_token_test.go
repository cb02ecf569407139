package interop

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/sts"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	vapisec "github.com/vapisec/vapisec"
	vsts "github.com/vapisec/vapisec/sts"
)

// TestGovmomiSOAPLoginByTokenHoK: govmomi v0.52.0's
// session.Manager.LoginByToken with its sts.Signer and a holder-of-key
// token from our STS logs in on /sdk (the way "govc session.login -token"
// does), UserSession names the token's subject, and Logout ends the
// session. The same envelope signed with a key that is not the token's is
// refused with InvalidLogin and leaves the client unauthenticated.
func TestGovmomiSOAPLoginByTokenHoK(t *testing.T) {
	stsCert, hokCert, hokKeyPEM, token := issueToken(t)
	base := startServer(t, "--dev", "--trust", stsCert)
	ctx := context.Background()
	key, err := vapisec.ParsePrivateKeyPEM(hokKeyPEM)
	if err != nil {
		t.Fatal(err)
	}

	vc, m := newSOAPClient(t, base)
	signer := &sts.Signer{Certificate: &tls.Certificate{PrivateKey: key, Certificate: [][]byte{hokCert.Raw}}, Token: string(token)}
	if err := m.LoginByToken(vc.WithHeader(ctx, soap.Header{Security: signer})); err != nil {
		t.Fatalf("LoginByToken: %v", err)
	}
	s := userSession(t, m)
	if s == nil || !strings.EqualFold(s.UserName, `VSPHERE.LOCAL\alice`) || s.Key == "" {
		t.Fatalf("UserSession after LoginByToken: %+v", s)
	}
	if active, err := m.SessionIsActive(ctx); err != nil || !active {
		t.Fatalf("SessionIsActive: %v, %v", active, err)
	}
	if err := m.Logout(ctx); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if s := userSession(t, m); s != nil {
		t.Fatalf("session after Logout: %+v", s)
	}

	// Signed with a key of its own by someone who holds only the token.
	otherKey, otherCert, err := vsts.GenerateKeyPair("mallory", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	vc2, m2 := newSOAPClient(t, base)
	forged := &sts.Signer{Certificate: &tls.Certificate{PrivateKey: otherKey, Certificate: [][]byte{otherCert.Raw}}, Token: string(token)}
	err = m2.LoginByToken(vc2.WithHeader(ctx, soap.Header{Security: forged}))
	if !fault.Is(err, &types.InvalidLogin{}) || !soap.IsSoapFault(err) {
		t.Fatalf("LoginByToken signed with another key: %v, want an InvalidLogin SOAP fault", err)
	}
	if s := userSession(t, m2); s != nil {
		t.Fatalf("session after a refused LoginByToken: %+v", s)
	}

	// A HoK token sent without its signature (govmomi's bearer form) is
	// refused: the server does not accept bearer tokens by default.
	vc3, m3 := newSOAPClient(t, base)
	err = m3.LoginByToken(vc3.WithHeader(ctx, soap.Header{Security: &sts.Signer{Token: string(token)}}))
	if !fault.Is(err, &types.InvalidLogin{}) {
		t.Fatalf("HoK token without signature: %v, want InvalidLogin", err)
	}
}

// TestGovmomiSOAPLoginByTokenBearer: a bearer token from our STS through
// govmomi's sts.Signer without a key logs in only on a server started with
// --allow-bearer.
func TestGovmomiSOAPLoginByTokenBearer(t *testing.T) {
	stsCert, bearer := issueBearerToken(t)
	ctx := context.Background()
	for _, allow := range []bool{false, true} {
		args := []string{"--dev", "--trust", stsCert}
		if allow {
			args = append(args, "--allow-bearer")
		}
		base := startServer(t, args...)
		vc, m := newSOAPClient(t, base)
		err := m.LoginByToken(vc.WithHeader(ctx, soap.Header{Security: &sts.Signer{Token: string(bearer)}}))
		if !allow {
			if !fault.Is(err, &types.InvalidLogin{}) {
				t.Fatalf("bearer without --allow-bearer: %v, want InvalidLogin", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("bearer with --allow-bearer: %v", err)
		}
		if s := userSession(t, m); s == nil || !strings.EqualFold(s.UserName, `VSPHERE.LOCAL\bob`) {
			t.Fatalf("UserSession after bearer LoginByToken: %+v", s)
		}
	}
}

// issueBearerToken makes an STS with our sts package, writes its
// certificate to a file and issues a bearer token for bob@vsphere.local.
func issueBearerToken(t *testing.T) (stsCertFile string, token []byte) {
	t.Helper()
	now := time.Now()
	sk, sc, err := vsts.GenerateKeyPair("Test STS", now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := vsts.New(sk, sc)
	if err != nil {
		t.Fatal(err)
	}
	if token, err = issuer.Issue(vsts.IssueRequest{Subject: "bob@vsphere.local"}); err != nil {
		t.Fatal(err)
	}
	stsCertFile = filepath.Join(t.TempDir(), "sts.crt.pem")
	if err := os.WriteFile(stsCertFile, vsts.EncodeCertificatePEM(sc), 0o600); err != nil {
		t.Fatal(err)
	}
	return stsCertFile, token
}

// TestGovmomiSOAPLoginByTokenDevSTS: "vapisec serve --dev" alone trusts its
// development STS, so the HoK key and token it writes to --dev-dir log in
// with govmomi's LoginByToken as dev@vsphere.local.
func TestGovmomiSOAPLoginByTokenDevSTS(t *testing.T) {
	dir := t.TempDir()
	base := startServer(t, "--dev", "--dev-dir", dir)
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	key, err := vapisec.ParsePrivateKeyPEM(read("hok.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := vsts.ParseCertificatePEM(read("hok.crt.pem"))
	if err != nil {
		t.Fatal(err)
	}
	vc, m := newSOAPClient(t, base)
	signer := &sts.Signer{Certificate: &tls.Certificate{PrivateKey: key, Certificate: [][]byte{cert.Raw}}, Token: string(read("token.xml"))}
	if err := m.LoginByToken(vc.WithHeader(context.Background(), soap.Header{Security: signer})); err != nil {
		t.Fatalf("LoginByToken with the dev token: %v", err)
	}
	if s := userSession(t, m); s == nil || !strings.EqualFold(s.UserName, `VSPHERE.LOCAL\dev`) {
		t.Fatalf("UserSession: %+v", s)
	}
}
