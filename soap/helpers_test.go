package soap_test

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/soap"
)

// users is a tiny Authenticator: name → password.
type users map[string]string

func (u users) Authenticate(_ context.Context, name, pass string) (session.Identity, error) {
	want, ok := u[name]
	if !ok || subtle.ConstantTimeCompare([]byte(want), []byte(pass)) != 1 {
		return session.Identity{}, soap.ErrInvalidLogin
	}
	return session.Identity{Principal: vapisec.ParsePrincipal(name)}, nil
}

// testServer is a Handler over a fresh memory store.
type testServer struct {
	t *testing.T
	m *session.Manager
	h *soap.Handler
}

func newTestServer(t *testing.T, mopts []session.ManagerOption, opts ...soap.Option) *testServer {
	t.Helper()
	store, err := session.NewMemoryStore()
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(store, mopts...)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]soap.Option{soap.WithAuthenticator(users{"alice@vsphere.local": "s3cret", "bob@vsphere.local": "b0b", "root@vsphere.local": "r00t"}),
		soap.WithAdmins(vapisec.ParsePrincipal("root@vsphere.local"))}, opts...)
	h, err := soap.NewHandler(m, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{t: t, m: m, h: h}
}

// response is what the handler answered.
type response struct {
	status int
	body   string
	cookie *http.Cookie // the vmware_soap_session cookie set, if any
}

// post sends body as govmomi does (text/xml, SOAPAction), with the session
// cookie sid when not empty and the extra headers hdr.
func (s *testServer) post(sid, body string, hdr ...string) response {
	s.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://vc.example.com/sdk", strings.NewReader(body))
	req.Header.Set("Content-Type", `text/xml; charset="utf-8"`)
	req.Header.Set("SOAPAction", "urn:vim25/8.0.3.0")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if sid != "" {
		req.AddCookie(&http.Cookie{Name: soap.CookieName, Value: sid})
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, body: string(b)}
	for _, c := range res.Cookies() {
		if c.Name == soap.CookieName {
			out.cookie = c
		}
	}
	return out
}

// call builds a govmomi-shaped request envelope for method on this with
// the argument XML args.
func call(method, thisType, args string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><%s xmlns="urn:vim25"><_this type="%s">%s</_this>%s</%s></Body></Envelope>`,
		method, thisType, thisValue(thisType), args, method)
}

func thisValue(typ string) string {
	switch typ {
	case "PropertyCollector":
		return "propertyCollector"
	}
	return typ
}

func loginBody(user, pass string) string {
	return call("Login", "SessionManager", "<userName>"+user+"</userName><password>"+pass+"</password><locale>en_US</locale>")
}

// login logs user in and returns the session id from the cookie.
func (s *testServer) login(user, pass string) string {
	s.t.Helper()
	r := s.post("", loginBody(user, pass))
	if r.status != http.StatusOK || r.cookie == nil {
		s.t.Fatalf("login %s: %d %s", user, r.status, r.body)
	}
	return r.cookie.Value
}

// sessionsOf counts the live sessions (and children) of user.
func (s *testServer) sessionsOf(user string) int {
	s.t.Helper()
	infos, err := s.m.Sessions(context.Background(), vapisec.ParsePrincipal(user))
	if err != nil {
		s.t.Fatal(err)
	}
	n := 0
	for _, i := range infos {
		if i.Kind == session.KindSession || i.Kind == session.KindChild {
			n++
		}
	}
	return n
}

// expectFault fails unless r is the vim25 fault typ with HTTP 500.
func expectFault(t *testing.T, r response, typ string) {
	t.Helper()
	if r.status != http.StatusInternalServerError || !strings.Contains(r.body, `xsi:type="`+typ+`"`) {
		t.Fatalf("got %d %s, want HTTP 500 with fault %s", r.status, r.body, typ)
	}
}

// returnval extracts the text of the first <returnval> of a response.
func returnval(body string) string {
	_, rest, ok := strings.Cut(body, "<returnval>")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "</returnval>")
	return v
}

// loginQuiet logs alice in and returns the session id ("" on failure), for
// fuzz targets that must not call Fatal on a helper's T.
func (s *testServer) loginQuiet() string {
	r := s.post("", loginBody("alice@vsphere.local", "s3cret"))
	if r.cookie == nil {
		return ""
	}
	return r.cookie.Value
}
