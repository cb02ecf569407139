package interop

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/sts"
	"github.com/vmware/govmomi/vim25/methods"
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

// TestGovcSessionLoginToken: "govc session.login -cert -key -token" (the
// README's line) logs in on /sdk with LoginByToken, the dev token and HoK
// key of "vapisec serve --dev"; session.ls shows the token's user; with a
// key that is not the token's govc reports the login failure.
func TestGovcSessionLoginToken(t *testing.T) {
	bin := buildGovc(t)
	dir := t.TempDir()
	base := startServer(t, "--dev", "--dev-dir", dir)
	token, err := os.ReadFile(filepath.Join(dir, "token.xml"))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cert, key := filepath.Join(dir, "hok.crt.pem"), filepath.Join(dir, "hok.key.pem")
	if out, err := govc(t, bin, home, base, "", "", "session.login", "-cert", cert, "-key", key, "-token", string(token)); err != nil {
		t.Fatalf("govc session.login -token: %v\n%s", err, out)
	}
	ls, err := govc(t, bin, home, base, "", "", "session.ls", "-cert", cert, "-key", key)
	if err != nil || !strings.Contains(ls, `VSPHERE.LOCAL\dev`) {
		t.Fatalf("govc session.ls after -token: %v\n%s", err, ls)
	}

	otherKey, otherCert, err := vsts.GenerateKeyPair("mallory", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := vsts.EncodePrivateKeyPEM(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	mdir := t.TempDir()
	mcert, mkey := filepath.Join(mdir, "m.crt.pem"), filepath.Join(mdir, "m.key.pem")
	if err := os.WriteFile(mcert, vsts.EncodeCertificatePEM(otherCert), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mkey, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := govc(t, bin, t.TempDir(), base, "", "", "session.login", "-cert", mcert, "-key", mkey, "-token", string(token))
	if err == nil || !strings.Contains(err.Error(), "incorrect user name or password") {
		t.Fatalf("govc session.login -token with another key: %v\n%s", err, out)
	}
}

// TestGovmomiSOAPLoginByTokenReplayedOnAnotherInstance: an envelope signed
// by govmomi's sts.Signer and accepted by instance A is refused when it is
// replayed to instance B, because both record accepted signatures in one
// real Redis; it is refused on A too.
func TestGovmomiSOAPLoginByTokenReplayedOnAnotherInstance(t *testing.T) {
	redisURL := startRedis(t)
	stsCert, hokCert, hokKeyPEM, token := issueToken(t)
	a := startServer(t, "--dev", "--trust", stsCert, "--redis", redisURL)
	b := startServer(t, "--dev", "--trust", stsCert, "--redis", redisURL)
	key, err := vapisec.ParsePrivateKeyPEM(hokKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	signer := &sts.Signer{Certificate: &tls.Certificate{PrivateKey: key, Certificate: [][]byte{hokCert.Raw}}, Token: string(token)}
	env, err := signer.Sign(soap.Envelope{Header: &soap.Header{}, Body: &methods.LoginByTokenBody{Req: &types.LoginByToken{
		This: types.ManagedObjectReference{Type: "SessionManager", Value: "SessionManager"}, Locale: "en_US"}}})
	if err != nil {
		t.Fatal(err)
	}
	post := func(base string) (int, string, bool) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+"/sdk", bytes.NewReader(env))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", `text/xml; charset="utf-8"`)
		req.Header.Set("SOAPAction", "urn:vim25/8.0.3.0")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body), len(res.Cookies()) > 0
	}
	if status, body, cookie := post(a); status != http.StatusOK || !cookie {
		t.Fatalf("LoginByToken on A: %d %s", status, body)
	}
	for name, base := range map[string]string{"B": b, "A again": a} {
		if status, body, cookie := post(base); status != http.StatusInternalServerError || cookie || !strings.Contains(body, "InvalidLogin") {
			t.Fatalf("the same envelope on %s: %d %s, want the InvalidLogin fault", name, status, body)
		}
	}
}
