package interop

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// postJSON POSTs body with header h and decodes a bare JSON string answer.
func postJSON(t *testing.T, u string, h http.Header, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var s string
	if res.StatusCode < 300 {
		if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
			t.Fatalf("decode: %v", err)
		}
	}
	return res.StatusCode, s
}

// TestGovmomiCloneTicketCascade: govmomi logs in, our endpoint issues a
// clone ticket, a second client redeems it for a child session, the first
// logs out, and the second gets 401 on its next call.
func TestGovmomiCloneTicketCascade(t *testing.T) {
	base := startServer(t, "--dev", "--user", "alice@vsphere.local:s3cret")
	ctx := context.Background()
	first := newRESTClient(t, base)
	if err := first.Login(ctx, url.UserPassword("alice@vsphere.local", "s3cret")); err != nil {
		t.Fatalf("login: %v", err)
	}

	code, ticket := postJSON(t, base+"/api/vapisec/session/clone-ticket",
		http.Header{"Vmware-Api-Session-Id": {first.SessionID()}}, "")
	if code != http.StatusCreated || !strings.HasPrefix(ticket, "cst-") {
		t.Fatalf("clone-ticket: %d %q", code, ticket)
	}
	// A ticket is no session id.
	if got := statusWithSession(t, base+"/api/vapisec/whoami", ticket); got != http.StatusUnauthorized {
		t.Fatalf("ticket as session id: %d, want 401", got)
	}

	code, childID := postJSON(t, base+"/api/session", http.Header{"Vmware-Api-Clone-Ticket": {ticket}}, "")
	if code != http.StatusCreated || childID == first.SessionID() {
		t.Fatalf("clone: %d", code)
	}
	// Single use.
	if code, _ := postJSON(t, base+"/api/session", http.Header{"Vmware-Api-Clone-Ticket": {ticket}}, ""); code != http.StatusUnauthorized {
		t.Fatalf("second redemption: %d, want 401", code)
	}

	second := newRESTClient(t, base)
	second.SessionID(childID)
	s, err := second.Session(ctx)
	if err != nil || s == nil || s.User != `VSPHERE.LOCAL\alice` {
		t.Fatalf("child session: %+v, %v", s, err)
	}

	if err := first.Logout(ctx); err != nil {
		t.Fatalf("logout: %v", err)
	}
	if got := statusWithSession(t, base+"/api/vapisec/whoami", childID); got != http.StatusUnauthorized {
		t.Fatalf("child after the parent's logout: %d, want 401", got)
	}
	if s, err := second.Session(ctx); err != nil || s != nil {
		t.Fatalf("child session after the parent's logout: %+v, %v", s, err)
	}
}
