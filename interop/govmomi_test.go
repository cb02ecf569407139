package interop

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/vmware/govmomi/session/keepalive"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
)

// newRESTClient returns govmomi's vapi/rest client for the server at base,
// built the way govc builds it (a vim25 client on /sdk, the REST client on
// its /rest path).
func newRESTClient(t *testing.T, base string) *rest.Client {
	t.Helper()
	u, err := url.Parse(base + "/sdk")
	if err != nil {
		t.Fatal(err)
	}
	vc := &vim25.Client{Client: soap.NewClient(u, true)}
	return rest.NewClient(vc)
}

// TestGovmomiBasicLoginSessionLogout: govmomi logs in with Basic, reads its
// session, and logs out; afterwards the server answers 401 for the old id.
func TestGovmomiBasicLoginSessionLogout(t *testing.T) {
	base := startServer(t, "--dev", "--user", "alice@vsphere.local:s3cret")
	ctx := context.Background()
	c := newRESTClient(t, base)

	if err := c.Login(ctx, url.UserPassword("alice@vsphere.local", "wrong")); err == nil {
		t.Fatal("login with a wrong password succeeded")
	}
	if err := c.Login(ctx, url.UserPassword("alice@vsphere.local", "s3cret")); err != nil {
		t.Fatalf("login: %v", err)
	}
	id := c.SessionID()
	if len(id) != 43 {
		t.Fatalf("session id %q", id)
	}
	s, err := c.Session(ctx)
	if err != nil || s == nil {
		t.Fatalf("session: %v %v", s, err)
	}
	if s.User != `VSPHERE.LOCAL\alice` {
		t.Errorf("user %q", s.User)
	}
	if s.Created.IsZero() || s.LastAccessed.Before(s.Created) {
		t.Errorf("times: created %v, last accessed %v", s.Created, s.LastAccessed)
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatalf("logout: %v", err)
	}
	// govmomi's Session() reports a 401 as "no session".
	if s, err := c.Session(ctx); err != nil || s != nil {
		t.Errorf("session after logout: %v, %v", s, err)
	}
	if code := statusWithSession(t, base+"/api/vapisec/whoami", id); code != http.StatusUnauthorized {
		t.Errorf("whoami with the old id: %d, want 401", code)
	}
}

// TestGovmomiKeepAlive: govmomi's keep-alive handler keeps a session alive
// across the server's idle timeout; a client without it loses its session.
func TestGovmomiKeepAlive(t *testing.T) {
	const idle = 2 * time.Second
	base := startServer(t, "--dev", "--user", "alice:pw", "--idle-timeout", idle.String())
	ctx := context.Background()

	kept := newRESTClient(t, base)
	ka := keepalive.NewHandlerREST(kept, idle/4, nil)
	kept.Transport = ka
	if err := kept.Login(ctx, url.UserPassword("alice", "pw")); err != nil {
		t.Fatalf("login: %v", err)
	}
	idleClient := newRESTClient(t, base)
	if err := idleClient.Login(ctx, url.UserPassword("alice", "pw")); err != nil {
		t.Fatalf("login: %v", err)
	}

	time.Sleep(idle + idle/2)

	if s, err := kept.Session(ctx); err != nil || s == nil {
		t.Errorf("kept-alive session lost: %v, %v", s, err)
	}
	if s, err := idleClient.Session(ctx); err != nil || s != nil {
		t.Errorf("idle session should have expired: %v, %v", s, err)
	}
	if err := kept.Logout(ctx); err != nil {
		t.Fatalf("logout: %v", err)
	}
	if s, err := kept.Session(ctx); err != nil || s != nil {
		t.Errorf("session after logout: %v, %v", s, err)
	}
}

func statusWithSession(t *testing.T, u, id string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("vmware-api-session-id", id)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
