package soap_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/soap"
)

// TestLoginOverALiveSessionLeavesNoOrphanSession: Login and LoginByToken
// on a request whose vmware_soap_session cookie names a live session are
// InvalidLogin, as govmomi's simulator answers (ctx.Session != nil →
// InvalidLogin). Without the rule every such call makes one more session
// behind the caller's back (the old one stays live, no longer reachable
// through the client's cookie jar, and counts against the user's cap), and
// a session's cookie is silently swapped for another user's. A cookie that
// names no live session is ignored, as in the simulator.
func TestLoginOverALiveSessionLeavesNoOrphanSession(t *testing.T) {
	tl := &headerToken{}
	s := newTestServer(t, nil, soap.WithTokenLogin(tl))
	alice := s.login("alice@vsphere.local", "s3cret")
	gone := s.login("alice@vsphere.local", "s3cret")
	if r := s.post(gone, call("Logout", "SessionManager", "")); r.status != http.StatusOK {
		t.Fatalf("Logout: %d %s", r.status, r.body)
	}
	tests := []struct {
		name          string
		givenCookie   string
		givenBody     string
		expectOK      bool
		expectAlice   int // alice's live sessions afterwards
		expectBob     int
		expectTokenOK bool // the TokenLogin was asked
	}{
		{name: "nok, Login again on alice's session", givenCookie: alice, givenBody: loginBody("alice@vsphere.local", "s3cret"), expectAlice: 1},
		{name: "nok, Login as bob on alice's session", givenCookie: alice, givenBody: loginBody("bob@vsphere.local", "b0b"), expectAlice: 1},
		{name: "nok, LoginByToken on alice's session", givenCookie: alice, givenBody: loginByToken("alice"), expectAlice: 1},
		{name: "ok, Login with a logged-out session's cookie", givenCookie: gone, givenBody: loginBody("bob@vsphere.local", "b0b"), expectOK: true, expectAlice: 1, expectBob: 1},
		{name: "ok, Login with a made-up cookie", givenCookie: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", givenBody: loginBody("bob@vsphere.local", "b0b"), expectOK: true, expectAlice: 1, expectBob: 2},
		{name: "ok, LoginByToken with a logged-out session's cookie", givenCookie: gone, givenBody: loginByToken("alice"), expectOK: true, expectAlice: 2, expectBob: 2, expectTokenOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl.got = nil
			r := s.post(tt.givenCookie, tt.givenBody)
			if tt.expectOK {
				if r.status != http.StatusOK || r.cookie == nil || r.cookie.Value == "" {
					t.Fatalf("got %d %s, want a new session", r.status, r.body)
				}
			} else {
				expectFault(t, r, soap.FaultInvalidLogin)
				if r.cookie != nil {
					t.Fatalf("refused login set cookie %v", r.cookie)
				}
			}
			if a, b := s.sessionsOf("alice@vsphere.local"), s.sessionsOf("bob@vsphere.local"); a != tt.expectAlice || b != tt.expectBob {
				t.Fatalf("alice has %d sessions, bob %d; want %d and %d", a, b, tt.expectAlice, tt.expectBob)
			}
			if tt.givenBody == loginByToken("alice") && (tl.got != nil) != tt.expectTokenOK {
				t.Fatalf("TokenLogin asked: %v, want %v (a refused call must not spend the signed envelope)", tl.got != nil, tt.expectTokenOK)
			}
			sess, err := s.m.Lookup(context.Background(), alice)
			if err != nil || sess.Principal != vapisec.ParsePrincipal("alice@vsphere.local") {
				t.Fatalf("alice's first session after the call: %+v %v", sess, err)
			}
		})
	}
}
