package soap_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/soap"
)

// TestCrossSiteFormPostCannotLogInOverSOAP: a page on another site can make
// the browser POST a form (enctype text/plain carries an XML-looking body)
// to /sdk without a preflight. Such bodies are refused for their
// Content-Type (415), and any request the browser marks as cross-site is
// refused before credentials are read (403), as the Basic login does.
func TestCrossSiteFormPostCannotLogInOverSOAP(t *testing.T) {
	body := loginBody("alice@vsphere.local", "s3cret")
	tests := []struct {
		name         string
		givenHeaders []string
		expectStatus int
	}{
		{name: "nok, text/plain form post", givenHeaders: []string{"Content-Type", "text/plain"}, expectStatus: http.StatusUnsupportedMediaType},
		{name: "nok, Sec-Fetch-Site cross-site", givenHeaders: []string{"Sec-Fetch-Site", "cross-site"}, expectStatus: http.StatusForbidden},
		{name: "nok, Sec-Fetch-Site same-site", givenHeaders: []string{"Sec-Fetch-Site", "same-site"}, expectStatus: http.StatusForbidden},
		{name: "nok, foreign Origin", givenHeaders: []string{"Origin", "https://evil.example"}, expectStatus: http.StatusForbidden},
		{name: "nok, null Origin", givenHeaders: []string{"Origin", "null"}, expectStatus: http.StatusForbidden},
		{name: "ok, same-origin", givenHeaders: []string{"Sec-Fetch-Site", "same-origin"}, expectStatus: http.StatusOK},
		{name: "ok, own Origin", givenHeaders: []string{"Origin", "http://vc.example.com"}, expectStatus: http.StatusOK},
		{name: "ok, trusted Origin", givenHeaders: []string{"Origin", "https://ui.example.com"}, expectStatus: http.StatusOK},
		{name: "ok, no browser headers (govmomi)", expectStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, nil, soap.WithTrustedOrigins("https://ui.example.com"))
			r := s.post("", body, tt.givenHeaders...)
			if r.status != tt.expectStatus {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.expectStatus)
			}
			want := 0
			if tt.expectStatus == http.StatusOK {
				want = 1
			}
			if n := s.sessionsOf("alice@vsphere.local"); n != want || (r.cookie != nil) != (want == 1) {
				t.Fatalf("%d sessions, cookie %v; want %d", n, r.cookie, want)
			}
		})
	}
}

// TestEntityExpansionEnvelopeDoesNotLogIn: a billion-laughs DOCTYPE in a
// Login envelope is refused (400) before any XML parser expands it, and no
// session exists afterwards.
func TestEntityExpansionEnvelopeDoesNotLogIn(t *testing.T) {
	s := newTestServer(t, nil)
	bomb := `<?xml version="1.0"?><!DOCTYPE Envelope [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>` +
		strings.TrimPrefix(loginBody("alice@vsphere.local", "s3cret&c;"), `<?xml version="1.0" encoding="UTF-8"?>`)
	// The same DOCTYPE with the entity unused: encoding/xml alone would
	// skip the directive and log in; the pre-check refuses any DOCTYPE.
	declared := `<?xml version="1.0"?><!DOCTYPE Envelope [<!ENTITY a "aaaaaaaaaa">]>` +
		strings.TrimPrefix(loginBody("alice@vsphere.local", "s3cret"), `<?xml version="1.0" encoding="UTF-8"?>`)
	for _, body := range []string{bomb, declared} {
		r := s.post("", body)
		if r.status != http.StatusBadRequest || r.cookie != nil || s.sessionsOf("alice@vsphere.local") != 0 {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	}
}

// TestWrongPasswordLeavesNoState: InvalidLogin, no cookie, no session, and
// the fault does not echo the password.
func TestWrongPasswordLeavesNoState(t *testing.T) {
	s := newTestServer(t, nil)
	r := s.post("", loginBody("alice@vsphere.local", "guess-123"))
	expectFault(t, r, soap.FaultInvalidLogin)
	if r.cookie != nil || s.sessionsOf("alice@vsphere.local") != 0 || strings.Contains(r.body, "guess-123") {
		t.Fatalf("state after a wrong password: cookie %v, body %s", r.cookie, r.body)
	}
}

// TestTerminateSessionOfAnotherUserRefused: with one ordinary account, the
// attacker cannot end another user's session (NoPermission, as vCenter
// answers without Sessions.TerminateSession); an administrator can.
func TestTerminateSessionOfAnotherUserRefused(t *testing.T) {
	s := newTestServer(t, nil)
	attacker := s.login("alice@vsphere.local", "s3cret")
	victim := s.login("bob@vsphere.local", "b0b")
	victimKey, _ := session.KeyOf(victim)
	r := s.post(attacker, call("TerminateSession", "SessionManager", "<sessionId>"+victimKey.String()+"</sessionId>"))
	expectFault(t, r, soap.FaultNoPermission)
	if s.sessionsOf("bob@vsphere.local") != 1 {
		t.Fatal("the victim's session ended")
	}
	admin := s.login("root@vsphere.local", "r00t")
	adminKey, _ := session.KeyOf(admin)
	expectFault(t, s.post(admin, call("TerminateSession", "SessionManager", "<sessionId>"+victimKey.String()+"</sessionId><sessionId>"+adminKey.String()+"</sessionId>")), soap.FaultInvalidArgument)
	if s.sessionsOf("bob@vsphere.local") != 1 {
		t.Fatal("a refused TerminateSession ended a session")
	}
	if r := s.post(admin, call("TerminateSession", "SessionManager", "<sessionId>"+victimKey.String()+"</sessionId>")); r.status != http.StatusOK {
		t.Fatalf("admin: %d %s", r.status, r.body)
	}
	if s.sessionsOf("bob@vsphere.local") != 0 {
		t.Fatal("the admin's TerminateSession did not end the session")
	}
}

// TestTerminateSessionWithARepeatedKeyEndsNothing: a TerminateSession
// naming one session twice ended it and then answered NotFound for the
// repeat, so a client saw a fault for a call that had changed state. A key
// given twice is InvalidArgument before any session ends.
func TestTerminateSessionWithARepeatedKeyEndsNothing(t *testing.T) {
	s := newTestServer(t, nil)
	victim := s.login("bob@vsphere.local", "b0b")
	victimKey, _ := session.KeyOf(victim)
	admin := s.login("root@vsphere.local", "r00t")
	arg := "<sessionId>" + victimKey.String() + "</sessionId>"
	expectFault(t, s.post(admin, call("TerminateSession", "SessionManager", arg+arg)), soap.FaultInvalidArgument)
	if n := s.sessionsOf("bob@vsphere.local"); n != 1 {
		t.Fatalf("a refused TerminateSession left bob %d sessions, want 1", n)
	}
}

// TestSessionIsActiveCannotProbeOtherUsers: a user may ask about their own
// sessions only (NoPermission for another user's); an administrator may
// ask about anyone's.
func TestSessionIsActiveCannotProbeOtherUsers(t *testing.T) {
	s := newTestServer(t, nil)
	alice := s.login("alice@vsphere.local", "s3cret")
	bob := s.login("bob@vsphere.local", "b0b")
	aliceKey, _ := session.KeyOf(alice)
	bobKey, _ := session.KeyOf(bob)
	active := func(caller string, key session.Key, user string) response {
		return s.post(caller, call("SessionIsActive", "SessionManager", "<sessionID>"+key.String()+"</sessionID><userName>"+user+"</userName>"))
	}
	if r := active(alice, aliceKey, `VSPHERE.LOCAL\alice`); returnval(r.body) != "true" {
		t.Fatalf("own session: %d %s", r.status, r.body)
	}
	expectFault(t, active(alice, bobKey, `VSPHERE.LOCAL\bob`), soap.FaultNoPermission)
	root := s.login("root@vsphere.local", "r00t")
	if r := active(root, bobKey, "bob@vsphere.local"); returnval(r.body) != "true" {
		t.Fatalf("admin: %d %s", r.status, r.body)
	}
	if r := active(root, aliceKey, "bob@vsphere.local"); returnval(r.body) != "false" {
		t.Fatalf("alice's key under bob's name: %d %s", r.status, r.body)
	}
}

// TestCloneTicketReuseRefused: a clone ticket is redeemed once; the second
// CloneSession is InvalidLogin and creates nothing.
func TestCloneTicketReuseRefused(t *testing.T) {
	s := newTestServer(t, nil)
	parent := s.login("alice@vsphere.local", "s3cret")
	r := s.post(parent, call("AcquireCloneTicket", "SessionManager", ""))
	ticket := returnval(r.body)
	if !session.ValidTicket(ticket) {
		t.Fatalf("ticket: %d %s", r.status, r.body)
	}
	first := s.post("", call("CloneSession", "SessionManager", "<cloneTicket>"+ticket+"</cloneTicket>"))
	if first.status != http.StatusOK || first.cookie == nil {
		t.Fatalf("clone: %d %s", first.status, first.body)
	}
	second := s.post("", call("CloneSession", "SessionManager", "<cloneTicket>"+ticket+"</cloneTicket>"))
	expectFault(t, second, soap.FaultInvalidLogin)
	if second.cookie != nil || s.sessionsOf("alice@vsphere.local") != 2 {
		t.Fatalf("after the refused reuse: cookie %v, %d sessions", second.cookie, s.sessionsOf("alice@vsphere.local"))
	}
	// The clone dies with its parent.
	if r := s.post(parent, call("Logout", "SessionManager", "")); r.status != http.StatusOK {
		t.Fatalf("logout: %d", r.status)
	}
	expectFault(t, s.post(first.cookie.Value, call("AcquireCloneTicket", "SessionManager", "")), soap.FaultNotAuthenticated)
}

// TestLogoutEndsOnlyCallersSession: Logout ends the session of the cookie
// it came with, not the user's other sessions nor anyone else's.
func TestLogoutEndsOnlyCallersSession(t *testing.T) {
	s := newTestServer(t, nil)
	a1 := s.login("alice@vsphere.local", "s3cret")
	s.login("alice@vsphere.local", "s3cret")
	s.login("bob@vsphere.local", "b0b")
	r := s.post(a1, call("Logout", "SessionManager", ""))
	if r.status != http.StatusOK || r.cookie == nil || r.cookie.MaxAge >= 0 {
		t.Fatalf("logout: %d %+v", r.status, r.cookie)
	}
	if s.sessionsOf("alice@vsphere.local") != 1 || s.sessionsOf("bob@vsphere.local") != 1 {
		t.Fatal("Logout ended another session")
	}
	expectFault(t, s.post(a1, call("Logout", "SessionManager", "")), soap.FaultNotAuthenticated)
}

// TestSOAPLoginsCannotFillTheStore: the Manager's caps apply to SOAP logins
// and tickets: one user's logins beyond the per-user cap are refused (503)
// while another user still logs in, and tickets beyond the per-session
// quota are refused (429).
func TestSOAPLoginsCannotFillTheStore(t *testing.T) {
	s := newTestServer(t, []session.ManagerOption{session.WithMaxSessionsPerUser(2), session.WithMaxCloneTicketsPerSession(2)})
	id := s.login("alice@vsphere.local", "s3cret")
	s.login("alice@vsphere.local", "s3cret")
	r := s.post("", loginBody("alice@vsphere.local", "s3cret"))
	if r.status != http.StatusServiceUnavailable || r.cookie != nil || s.sessionsOf("alice@vsphere.local") != 2 {
		t.Fatalf("third login: %d %s", r.status, r.body)
	}
	s.login("bob@vsphere.local", "b0b")
	for i := range 2 {
		if r := s.post(id, call("AcquireCloneTicket", "SessionManager", "")); r.status != http.StatusOK {
			t.Fatalf("ticket %d: %d", i, r.status)
		}
	}
	if r := s.post(id, call("AcquireCloneTicket", "SessionManager", "")); r.status != http.StatusTooManyRequests || !strings.Contains(r.body, `xsi:type="SystemError"`) {
		t.Fatalf("third ticket: %d %s", r.status, r.body)
	}
}

// TestSessionKeyIsNotASessionID: the keys UserSession and sessionList show
// cannot be replayed as the session cookie, nor can a clone ticket.
func TestSessionKeyIsNotASessionID(t *testing.T) {
	s := newTestServer(t, nil)
	id := s.login("alice@vsphere.local", "s3cret")
	key, _ := session.KeyOf(id)
	expectFault(t, s.post(key.String(), call("AcquireCloneTicket", "SessionManager", "")), soap.FaultNotAuthenticated)
	ticket := returnval(s.post(id, call("AcquireCloneTicket", "SessionManager", "")).body)
	expectFault(t, s.post(ticket, call("AcquireCloneTicket", "SessionManager", "")), soap.FaultNotAuthenticated)
}

// TestDuplicateSessionCookiesRefused: two vmware_soap_session cookies (one
// planted by a sibling subdomain, say) are a 400, never "the first wins".
func TestDuplicateSessionCookiesRefused(t *testing.T) {
	s := newTestServer(t, nil)
	id := s.login("alice@vsphere.local", "s3cret")
	r := s.post(id, call("AcquireCloneTicket", "SessionManager", ""), "Cookie", soap.CookieName+"=planted; "+soap.CookieName+"="+id)
	if r.status != http.StatusBadRequest {
		t.Fatalf("got %d %s", r.status, r.body)
	}
}

// TestAttributeFloodEnvelopeIsRefusedBeforeTheQuadraticCheck: no account is
// needed to send /sdk a 250 KiB envelope whose one start tag carries ~28,000
// attributes; the pre-scan's repeated-attribute check compared every pair,
// seconds of CPU a request before the envelope was even parsed. More than
// 64 attributes on one element (internal/xmlscan.MaxAttributes) is
// ErrXMLLimit, a 400, and 64 (namespace declarations included) still parse.
func TestAttributeFloodEnvelopeIsRefusedBeforeTheQuadraticCheck(t *testing.T) {
	flood := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, ` a%x=""`, i)
		}
		return b.String()
	}
	envelope := func(attrs string) string {
		return `<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><RetrieveServiceContent xmlns="urn:vim25"` + attrs +
			`><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent></Body></Envelope>`
	}
	if _, err := soap.ParseEnvelope([]byte(envelope(flood(63)))); err != nil { // and xmlns: 64
		t.Fatalf("64 attributes: %v", err)
	}
	if _, err := soap.ParseEnvelope([]byte(envelope(flood(64)))); !errors.Is(err, soap.ErrXMLLimit) {
		t.Fatalf("65 attributes: %v, want ErrXMLLimit", err)
	}
	huge := envelope(flood(28000))
	if _, err := soap.ParseEnvelope([]byte(huge)); !errors.Is(err, soap.ErrXMLLimit) {
		t.Fatalf("%d-byte attribute flood: %v, want ErrXMLLimit", len(huge), err)
	}
	s := newTestServer(t, nil)
	if r := s.post("", huge); r.status != http.StatusBadRequest || !strings.Contains(r.body, "soapenv:Client") {
		t.Fatalf("handler: %d %.200s, want 400 Client fault", r.status, r.body)
	}
}
