package middleware_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/soap"
	"github.com/vapisec/vapisec/verifier"
)

// failingReplay is a replay cache that cannot decide (a store that is down).
type failingReplay struct{}

func (failingReplay) Record(context.Context, verifier.ReplayEntry) error {
	return errors.New("store down: " + verifier.ErrStoreUnavailable.Error())
}

// soapTokenServer mounts /sdk over a fresh memory store with a request
// verifier trusting the Java SDK's STS fixture, clocks inside the validity
// of testdata/wssecurity/govmomi-loginbytoken-hok.xml.
func soapTokenServer(t *testing.T, opts ...verifier.RequestOption) (*echo.Echo, *session.Manager) {
	t.Helper()
	pem, err := os.ReadFile("../testdata/vcf-sdk-java/sts.crt.pem")
	if err != nil {
		t.Fatal(err)
	}
	certs, err := verifier.LoadCertificatesPEM(pem)
	if err != nil {
		t.Fatal(err)
	}
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(certs...),
		verifier.WithClock(func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, append([]verifier.RequestOption{
		verifier.WithRequestClock(func() time.Time { return time.Date(2026, 12, 1, 12, 1, 0, 0, time.UTC) }),
		verifier.WithAllowedHosts("vc.example.com")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	store, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(store)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	if err := middleware.MountSOAP(e, middleware.Config{Manager: m, RequestVerifier: rv}); err != nil {
		t.Fatal(err)
	}
	return e, m
}

func postSOAP(t *testing.T, e *echo.Echo, body []byte) (int, string, *http.Cookie) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://vc.example.com/sdk", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", `text/xml; charset="utf-8"`)
	req.Header.Set("SOAPAction", "urn:vim25/8.0.3.0")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	for _, c := range res.Cookies() {
		if c.Name == soap.CookieName {
			return res.StatusCode, string(b), c
		}
	}
	return res.StatusCode, string(b), nil
}

func sessionCount(t *testing.T, m *session.Manager) int {
	t.Helper()
	infos, err := m.Sessions(context.Background(), vapisec.ParsePrincipal("root@localos"))
	if err != nil {
		t.Fatal(err)
	}
	return len(infos)
}

// TestMountSOAPLoginByToken: the govmomi-signed envelope makes one HoK
// session; the same envelope again, or edited, is InvalidLogin and makes
// none; a replay store that cannot decide is a 503 and makes none.
func TestMountSOAPLoginByToken(t *testing.T) {
	env, err := os.ReadFile("../testdata/wssecurity/govmomi-loginbytoken-hok.xml")
	if err != nil {
		t.Fatal(err)
	}
	e, m := soapTokenServer(t)
	status, body, cookie := postSOAP(t, e, env)
	if status != http.StatusOK || cookie == nil || !strings.Contains(body, `LOCALOS\root`) {
		t.Fatalf("LoginByToken: %d %s (cookie %v)", status, body, cookie)
	}
	s, err := m.Lookup(context.Background(), cookie.Value)
	if err != nil || s.Scheme != vapisec.SchemeSAMLHoK {
		t.Fatalf("session %+v, %v", s, err)
	}

	for name, bad := range map[string][]byte{
		"replayed": env,
		"edited":   []byte(strings.Replace(string(env), "en_US", "de_DE", 1)),
	} {
		status, body, cookie := postSOAP(t, e, bad)
		if status != http.StatusInternalServerError || !strings.Contains(body, `xsi:type="InvalidLogin"`) || cookie != nil {
			t.Fatalf("%s: %d %s (cookie %v), want the InvalidLogin fault", name, status, body, cookie)
		}
	}
	if n := sessionCount(t, m); n != 1 {
		t.Fatalf("%d sessions after the refused logins, want 1", n)
	}

	e, m = soapTokenServer(t, verifier.WithReplayCache(failingReplay{}))
	if status, body, cookie := postSOAP(t, e, env); status != http.StatusServiceUnavailable || cookie != nil {
		t.Fatalf("replay store down: %d %s, want 503", status, body)
	}
	if n := sessionCount(t, m); n != 0 {
		t.Fatalf("%d sessions with the replay store down, want 0", n)
	}
}
