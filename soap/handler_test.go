package soap_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/soap"
)

// TestRequestStatuses: what cannot be read as a SOAP 1.1 call is answered
// 400/405/413/415 with a Client (or VersionMismatch) fault; a method fault
// is HTTP 500, as vim25 answers.
func TestRequestStatuses(t *testing.T) {
	tests := []struct {
		name         string
		givenMethod  string
		givenType    string
		givenBody    string
		expectStatus int
		expectInBody string
	}{
		{name: "ok, RetrieveServiceContent", givenBody: call("RetrieveServiceContent", "ServiceInstance", ""), expectStatus: 200, expectInBody: "<apiType>VirtualCenter</apiType>"},
		{name: "ok, CurrentTime", givenBody: call("CurrentTime", "ServiceInstance", ""), expectStatus: 200, expectInBody: "<CurrentTimeResponse"},
		{name: "nok, GET", givenMethod: http.MethodGet, expectStatus: 405},
		{name: "nok, text/plain (a cross-site form can send it)", givenType: "text/plain", givenBody: call("RetrieveServiceContent", "ServiceInstance", ""), expectStatus: 415},
		{name: "nok, form", givenType: "application/x-www-form-urlencoded", givenBody: "a=b", expectStatus: 415},
		{name: "nok, no Content-Type", givenType: "-", givenBody: call("RetrieveServiceContent", "ServiceInstance", ""), expectStatus: 415},
		{name: "nok, UTF-16 charset", givenType: "text/xml; charset=utf-16", givenBody: call("RetrieveServiceContent", "ServiceInstance", ""), expectStatus: 415},
		{name: "nok, SOAP 1.2 content type", givenType: "application/soap+xml", givenBody: call("RetrieveServiceContent", "ServiceInstance", ""), expectStatus: 400, expectInBody: "soapenv:VersionMismatch"},
		{name: "nok, SOAP 1.2 envelope", givenBody: `<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body><RetrieveServiceContent xmlns="urn:vim25"/></Body></Envelope>`, expectStatus: 400, expectInBody: "soapenv:VersionMismatch"},
		{name: "nok, malformed", givenBody: `<Envelope`, expectStatus: 400, expectInBody: "soapenv:Client"},
		{name: "nok, huge body", givenBody: call("Login", "SessionManager", "<userName>"+strings.Repeat("a", soap.DefaultMaxBodySize)+"</userName>"), expectStatus: 413},
		{name: "nok, unknown method", givenBody: call("PowerOnVM_Task", "VirtualMachine", ""), expectStatus: 500, expectInBody: `xsi:type="NotImplemented"`},
		{name: "nok, known method on another object", givenBody: call("Login", "Folder", ""), expectStatus: 500, expectInBody: `xsi:type="NotImplemented"`},
		{name: "nok, unknown argument", givenBody: call("Login", "SessionManager", "<userName>a</userName><password>b</password><evil/>"), expectStatus: 500, expectInBody: `xsi:type="InvalidArgument"`},
		{name: "nok, Login without a password", givenBody: call("Login", "SessionManager", "<userName>a</userName>"), expectStatus: 500, expectInBody: `xsi:type="InvalidArgument"`},
		{name: "nok, no session", givenBody: call("AcquireCloneTicket", "SessionManager", ""), expectStatus: 500, expectInBody: `xsi:type="NotAuthenticated"`},
		{name: "nok, LoginByToken without a TokenLogin", givenBody: call("LoginByToken", "SessionManager", ""), expectStatus: 500, expectInBody: `xsi:type="NotImplemented"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil)
			method := tt.givenMethod
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "http://vc.example.com/sdk", strings.NewReader(tt.givenBody))
			switch tt.givenType {
			case "":
				req.Header.Set("Content-Type", `text/xml; charset="utf-8"`)
			case "-":
			default:
				req.Header.Set("Content-Type", tt.givenType)
			}
			rec := httptest.NewRecorder()
			s.h.ServeHTTP(rec, req)
			if rec.Code != tt.expectStatus || !strings.Contains(rec.Body.String(), tt.expectInBody) {
				t.Fatalf("got %d %s, want %d with %q", rec.Code, rec.Body.String(), tt.expectStatus, tt.expectInBody)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// TestLoginCookieAndCurrentSession: Login sets an HttpOnly, Secure,
// SameSite=Strict vmware_soap_session cookie; currentSession names the
// user with the session's key, never its id.
func TestLoginCookieAndCurrentSession(t *testing.T) {
	s := newTestServer(t, nil)
	r := s.post("", loginBody("alice@vsphere.local", "s3cret"))
	if r.status != 200 || r.cookie == nil {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	if !r.cookie.HttpOnly || !r.cookie.Secure || r.cookie.SameSite != http.SameSiteStrictMode || r.cookie.Path != "/" {
		t.Errorf("cookie %+v", r.cookie)
	}
	id := r.cookie.Value
	key, _ := session.KeyOf(id)
	if strings.Contains(r.body, id) || !strings.Contains(r.body, "<key>"+key.String()+"</key>") || !strings.Contains(r.body, `<userName>VSPHERE.LOCAL\alice</userName>`) {
		t.Fatalf("login result: %s", r.body)
	}
	props := s.post(id, call("RetrievePropertiesEx", "PropertyCollector", `<specSet><propSet><type>SessionManager</type><pathSet>currentSession</pathSet></propSet><objectSet><obj type="SessionManager">SessionManager</obj></objectSet></specSet><options></options>`))
	if props.status != 200 || !strings.Contains(props.body, `<val xsi:type="UserSession"><key>`+key.String()) || strings.Contains(props.body, id) {
		t.Fatalf("currentSession: %d %s", props.status, props.body)
	}
	list := s.post(id, call("RetrieveProperties", "PropertyCollector", `<specSet><propSet><type>SessionManager</type><all>true</all></propSet><objectSet><obj type="SessionManager">SessionManager</obj></objectSet></specSet>`))
	if list.status != 200 || !strings.Contains(list.body, `xsi:type="ArrayOfUserSession"`) || !strings.Contains(list.body, "<name>sessionList</name>") {
		t.Fatalf("sessionList: %d %s", list.status, list.body)
	}
	bad := s.post(id, call("RetrievePropertiesEx", "PropertyCollector", `<specSet><propSet><type>SessionManager</type><pathSet>message</pathSet></propSet><objectSet><obj type="SessionManager">SessionManager</obj></objectSet></specSet>`))
	expectFault(t, bad, "InvalidProperty")
	other := s.post(id, call("RetrievePropertiesEx", "PropertyCollector", `<specSet><propSet><type>Folder</type><pathSet>name</pathSet></propSet><objectSet><obj type="Folder">group-d1</obj></objectSet></specSet>`))
	expectFault(t, other, "NotImplemented")
}

// TestInsecureCookie: WithInsecureCookie leaves Secure off (plain-HTTP
// development; Go's cookie jar would not send a Secure cookie to http://).
func TestInsecureCookie(t *testing.T) {
	s := newTestServer(t, nil, soap.WithInsecureCookie(), soap.WithCookiePath("/sdk"))
	r := s.post("", loginBody("alice@vsphere.local", "s3cret"))
	if r.cookie == nil || r.cookie.Secure || r.cookie.Path != "/sdk" || !r.cookie.HttpOnly {
		t.Fatalf("cookie %+v", r.cookie)
	}
}

func TestNewHandlerConfig(t *testing.T) {
	store, _ := session.NewMemoryStore()
	m, _ := session.NewManager(store)
	for name, opts := range map[string][]soap.Option{
		"nil option":    {nil},
		"nil auth":      {soap.WithAuthenticator(nil)},
		"zero body":     {soap.WithMaxBodySize(0)},
		"relative path": {soap.WithCookiePath("sdk")},
		"nil token":     {soap.WithTokenLogin(nil)},
		"nil error log": {soap.WithErrorLog(nil)},
	} {
		if _, err := soap.NewHandler(m, opts...); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := soap.NewHandler(nil); err == nil {
		t.Error("nil manager: no error")
	}
}

func TestServiceVersions(t *testing.T) {
	s := newTestServer(t, nil)
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sdk/vimServiceVersions.xml", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<version>"+soap.APIVersion+"</version>") {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
}
