package middleware_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/session"
)

// soapCall is a govmomi-shaped SOAP request for a SessionManager method.
func soapCall(method, args string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><` + method +
		` xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>` + args + `</` + method + `></Body></Envelope>`
}

// TestMountSOAP: MountSOAP serves /sdk over the Config's Manager and
// Authenticator, so a SOAP login uses the Basic users and a REST clone
// ticket is redeemed over SOAP.
func TestMountSOAP(t *testing.T) {
	store, _ := session.NewMemoryStore()
	m, _ := session.NewManager(store)
	users, _ := middleware.NewStaticUsers(map[string]string{"alice@vsphere.local": "s3cret"})
	cfg := middleware.Config{Manager: m, Authenticator: users, Cookie: middleware.CookieConfig{InsecureNoSecureFlag: true}}
	e := echo.New()
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		t.Fatal(err)
	}
	if err := middleware.MountSOAP(e, cfg); err != nil {
		t.Fatal(err)
	}
	do := func(method, path, body string, hdr ...string) *http.Response {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Result()
	}
	xml := []string{"Content-Type", "text/xml; charset=utf-8"}

	res := do(http.MethodPost, middleware.SOAPPath, soapCall("Login", "<userName>alice@vsphere.local</userName><password>nope</password>"), xml...)
	if b, _ := io.ReadAll(res.Body); res.StatusCode != http.StatusInternalServerError || !strings.Contains(string(b), `xsi:type="InvalidLogin"`) {
		t.Fatalf("wrong password: %d %s", res.StatusCode, b)
	}
	res = do(http.MethodPost, middleware.SOAPPath, soapCall("Login", "<userName>alice@vsphere.local</userName><password>s3cret</password>"), xml...)
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "vmware_soap_session" {
			cookie = c
		}
	}
	if res.StatusCode != http.StatusOK || cookie == nil || cookie.Secure || !cookie.HttpOnly {
		t.Fatalf("login: %d %+v", res.StatusCode, cookie)
	}

	// A REST ticket, redeemed over SOAP.
	res = do(http.MethodPost, "/api/session", "", "Authorization", "Basic YWxpY2VAdnNwaGVyZS5sb2NhbDpzM2NyZXQ=", "vmware-use-header-authn", "1")
	var restID string
	if err := json.NewDecoder(res.Body).Decode(&restID); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("REST login: %d %v", res.StatusCode, err)
	}
	res = do(http.MethodPost, middleware.DefaultCloneTicketPath, "", "vmware-api-session-id", restID)
	var ticket string
	if err := json.NewDecoder(res.Body).Decode(&ticket); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("REST ticket: %d %v", res.StatusCode, err)
	}
	res = do(http.MethodPost, middleware.SOAPPath, soapCall("CloneSession", "<cloneTicket>"+ticket+"</cloneTicket>"), xml...)
	if b, _ := io.ReadAll(res.Body); res.StatusCode != http.StatusOK || !strings.Contains(string(b), `<userName>VSPHERE.LOCAL\alice</userName>`) {
		t.Fatalf("SOAP CloneSession of a REST ticket: %d %s", res.StatusCode, b)
	}
	if res := do(http.MethodGet, middleware.SOAPPath+"/vimServiceVersions.xml", ""); res.StatusCode != http.StatusOK {
		t.Fatalf("vimServiceVersions.xml: %d", res.StatusCode)
	}
}

func TestMountSOAPConfigErrors(t *testing.T) {
	if err := middleware.MountSOAP(echo.New(), middleware.Config{}); !errors.Is(err, middleware.ErrNoManager) {
		t.Fatalf("no manager: %v", err)
	}
	store, _ := session.NewMemoryStore()
	m, _ := session.NewManager(store)
	if err := middleware.MountSOAP(nil, middleware.Config{Manager: m}); !errors.Is(err, middleware.ErrInvalidConfig) {
		t.Fatalf("nil router: %v", err)
	}
}
