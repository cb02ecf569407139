package soap_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/soap"
)

// headerToken is a TokenLogin for the seam's contract only: it accepts the
// text of a <token> element of the SOAP Header (as the WS-Security
// implementation reads its header), refusing anything else.
type headerToken struct {
	got *soap.TokenRequest
	err error
}

func (h *headerToken) LoginByToken(_ context.Context, req *soap.TokenRequest) (session.Identity, error) {
	h.got = req
	if h.err != nil {
		return session.Identity{}, h.err
	}
	if req.Envelope.Header == nil {
		return session.Identity{}, soap.ErrInvalidLogin
	}
	el := req.Envelope.Header.FindElement("token")
	if el == nil || el.Text() != "alice" {
		return session.Identity{}, soap.ErrInvalidLogin
	}
	return session.Identity{Principal: vapisec.ParsePrincipal("alice@vsphere.local"), Scheme: vapisec.SchemeSAMLHoK}, nil
}

func loginByToken(token string) string {
	return `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Header><token xmlns="urn:test">` + token +
		`</token></Header><Body><LoginByToken xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this><locale>en_US</locale></LoginByToken></Body></Envelope>`
}

// TestTokenLoginSeam: LoginByToken hands the TokenLogin the parsed
// envelope, the exact body and the host; ErrInvalidLogin is the
// InvalidLogin fault, another error 503, an identity a session with the
// scheme the TokenLogin verified.
func TestTokenLoginSeam(t *testing.T) {
	tl := &headerToken{}
	s := newTestServer(t, nil, soap.WithTokenLogin(tl))
	expectFault(t, s.post("", loginByToken("mallory")), soap.FaultInvalidLogin)
	if s.sessionsOf("alice@vsphere.local") != 0 {
		t.Fatal("a refused LoginByToken created a session")
	}
	body := loginByToken("alice")
	r := s.post("", body)
	if r.status != http.StatusOK || r.cookie == nil || !strings.Contains(r.body, "<LoginByTokenResponse") {
		t.Fatalf("LoginByToken: %d %s", r.status, r.body)
	}
	if string(tl.got.Body) != body || tl.got.Host != "vc.example.com" || tl.got.Envelope.Method != "LoginByToken" || tl.got.HTTP == nil {
		t.Fatalf("TokenRequest: %+v", tl.got)
	}
	sess, err := s.m.Lookup(context.Background(), r.cookie.Value)
	if err != nil || sess.Scheme != vapisec.SchemeSAMLHoK {
		t.Fatalf("session: %+v %v", sess, err)
	}
	tl.err = errors.New("trust store unreachable")
	if r := s.post("", body); r.status != http.StatusServiceUnavailable || r.cookie != nil {
		t.Fatalf("undecided TokenLogin: %d %s", r.status, r.body)
	}
}

// TestStoreDownFailsClosed: with the session store unreachable (a real
// Redis store on a port nobody listens on) a login and a session lookup are
// 503, never a session and never a 500 that is not a vim25 fault.
func TestStoreDownFailsClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	client := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = client.Close() })
	store, err := redisstore.New(client)
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.NewManager(store)
	if err != nil {
		t.Fatal(err)
	}
	h, err := soap.NewHandler(m, soap.WithAuthenticator(users{"alice@vsphere.local": "s3cret"}))
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{t: t, m: m, h: h}
	for name, r := range map[string]response{
		"login":  s.post("", loginBody("alice@vsphere.local", "s3cret")),
		"lookup": s.post("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", call("AcquireCloneTicket", "SessionManager", "")),
		"clone":  s.post("", call("CloneSession", "SessionManager", "<cloneTicket>cst-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA</cloneTicket>")),
	} {
		if r.status != http.StatusServiceUnavailable || r.cookie != nil || !strings.Contains(r.body, `xsi:type="SystemError"`) {
			t.Errorf("%s with the store down: %d %s", name, r.status, r.body)
		}
	}
}
