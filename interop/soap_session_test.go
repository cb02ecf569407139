package interop

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// newSOAPClient returns govmomi's vim25 client on base's /sdk (the way
// govc and every govmomi program starts: vim25.NewClient reads the
// ServiceContent) and a session.Manager over it.
func newSOAPClient(t *testing.T, base string) (*vim25.Client, *session.Manager) {
	t.Helper()
	u, err := url.Parse(base + "/sdk")
	if err != nil {
		t.Fatal(err)
	}
	vc, err := vim25.NewClient(context.Background(), soap.NewClient(u, true))
	if err != nil {
		t.Fatalf("vim25.NewClient on /sdk: %v", err)
	}
	return vc, session.NewManager(vc)
}

// userSession returns the manager's current session, failing the test on
// an error (nil means "not authenticated").
func userSession(t *testing.T, m *session.Manager) *types.UserSession {
	t.Helper()
	s, err := m.UserSession(context.Background())
	if err != nil {
		t.Fatalf("UserSession: %v", err)
	}
	return s
}

// TestGovmomiSOAPSessionLifecycle is seed 000 with govmomi v0.52.0's own
// session.Manager: Login (and a wrong password → InvalidLogin),
// UserSession, SessionIsActive, AcquireCloneTicket, CloneSession on a
// second client, the same ticket refused, Logout, and the clone dead after
// its parent's logout.
func TestGovmomiSOAPSessionLifecycle(t *testing.T) {
	base := startServer(t, "--dev", "--user", "alice@vsphere.local:s3cret")
	ctx := context.Background()
	vc, first := newSOAPClient(t, base)
	if !vc.IsVC() || vc.ServiceContent.About.ApiVersion == "" {
		t.Fatalf("about: %+v", vc.ServiceContent.About)
	}

	err := first.Login(ctx, url.UserPassword("alice@vsphere.local", "wrong"))
	if !fault.Is(err, &types.InvalidLogin{}) || !soap.IsSoapFault(err) {
		t.Fatalf("wrong password: %v, want an InvalidLogin SOAP fault", err)
	}
	if f := soap.ToSoapFault(err); f.Code != "ServerFaultCode" || f.String == "" {
		t.Fatalf("wrong password: fault %+v", f)
	} else if _, ok := f.VimFault().(types.InvalidLogin); !ok {
		t.Fatalf("wrong password: detail %T, want types.InvalidLogin", f.VimFault())
	}
	if s := userSession(t, first); s != nil {
		t.Fatalf("session before login: %+v", s)
	}
	if err := first.Login(ctx, url.UserPassword("alice@vsphere.local", "s3cret")); err != nil {
		t.Fatalf("Login: %v", err)
	}
	s := userSession(t, first)
	if s == nil || s.UserName != `VSPHERE.LOCAL\alice` || s.Key == "" {
		t.Fatalf("UserSession: %+v", s)
	}
	if active, err := first.SessionIsActive(ctx); err != nil || !active {
		t.Fatalf("SessionIsActive: %v, %v", active, err)
	}

	ticket, err := first.AcquireCloneTicket(ctx)
	if err != nil || ticket == "" {
		t.Fatalf("AcquireCloneTicket: %q, %v", ticket, err)
	}
	_, second := newSOAPClient(t, base)
	if err := second.CloneSession(ctx, ticket); err != nil {
		t.Fatalf("CloneSession: %v", err)
	}
	clone := userSession(t, second)
	if clone == nil || clone.UserName != s.UserName || clone.Key == s.Key {
		t.Fatalf("clone: %+v (parent %+v)", clone, s)
	}
	_, third := newSOAPClient(t, base)
	if err := third.CloneSession(ctx, ticket); !fault.Is(err, &types.InvalidLogin{}) {
		t.Fatalf("the same ticket again: %v, want InvalidLogin", err)
	}
	if s := userSession(t, third); s != nil {
		t.Fatalf("a refused clone left a session: %+v", s)
	}

	if err := first.Logout(ctx); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	if s := userSession(t, first); s != nil {
		t.Fatalf("session after Logout: %+v", s)
	}
	if s := userSession(t, second); s != nil {
		t.Fatalf("the clone outlived its parent's Logout: %+v", s)
	}
	// A method outside the subset is the NotImplemented fault.
	_, err = methods.CreateContainerView(ctx, vc, &types.CreateContainerView{This: vc.ServiceContent.RootFolder})
	if !fault.Is(err, &types.NotImplemented{}) {
		t.Fatalf("CreateContainerView: %v, want NotImplemented", err)
	}
}

// TestGovmomiCloneTicketAcrossProtocols: a ticket acquired with a REST
// session is redeemed over SOAP (CloneSession), and a ticket acquired over
// SOAP is redeemed on /api/session (vmware-api-clone-ticket), each once.
func TestGovmomiCloneTicketAcrossProtocols(t *testing.T) {
	base := startServer(t, "--dev", "--user", "alice@vsphere.local:s3cret")
	ctx := context.Background()

	rc := newRESTClient(t, base)
	if err := rc.Login(ctx, url.UserPassword("alice@vsphere.local", "s3cret")); err != nil {
		t.Fatalf("REST login: %v", err)
	}
	code, restTicket := postJSON(t, base+"/api/vapisec/session/clone-ticket", http.Header{"Vmware-Api-Session-Id": {rc.SessionID()}}, "")
	if code != http.StatusCreated {
		t.Fatalf("REST clone-ticket: %d", code)
	}
	_, backend := newSOAPClient(t, base)
	if err := backend.CloneSession(ctx, restTicket); err != nil {
		t.Fatalf("SOAP CloneSession of a REST ticket: %v", err)
	}
	if s := userSession(t, backend); s == nil || s.UserName != `VSPHERE.LOCAL\alice` {
		t.Fatalf("SOAP clone of a REST ticket: %+v", s)
	}
	if code, _ := postJSON(t, base+"/api/session", http.Header{"Vmware-Api-Clone-Ticket": {restTicket}}, ""); code != http.StatusUnauthorized {
		t.Fatalf("the REST ticket redeemed a second time over REST: %d, want 401", code)
	}

	_, soapUser := newSOAPClient(t, base)
	if err := soapUser.Login(ctx, url.UserPassword("alice@vsphere.local", "s3cret")); err != nil {
		t.Fatalf("SOAP Login: %v", err)
	}
	soapTicket, err := soapUser.AcquireCloneTicket(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code, childID := postJSON(t, base+"/api/session", http.Header{"Vmware-Api-Clone-Ticket": {soapTicket}}, "")
	if code != http.StatusCreated || childID == "" {
		t.Fatalf("REST redemption of a SOAP ticket: %d", code)
	}
	if got := statusWithSession(t, base+"/api/vapisec/whoami", childID); got != http.StatusOK {
		t.Fatalf("REST child of a SOAP session: %d", got)
	}
	_, again := newSOAPClient(t, base)
	if err := again.CloneSession(ctx, soapTicket); !fault.Is(err, &types.InvalidLogin{}) {
		t.Fatalf("the SOAP ticket redeemed a second time over SOAP: %v, want InvalidLogin", err)
	}
	// The SOAP user's logout ends the REST child.
	if err := soapUser.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if got := statusWithSession(t, base+"/api/vapisec/whoami", childID); got != http.StatusUnauthorized {
		t.Fatalf("REST child after the SOAP parent's Logout: %d, want 401", got)
	}
}

// TestGovmomiTerminateSessionAdminsOnly: an ordinary user's
// TerminateSession of another user's session is NoPermission (vCenter's
// answer without Sessions.TerminateSession); an administrator's ends it.
func TestGovmomiTerminateSessionAdminsOnly(t *testing.T) {
	base := startServer(t, "--dev", "--user", "alice@vsphere.local:s3cret", "--user", "root@vsphere.local:r00t", "--admin", "root@vsphere.local")
	ctx := context.Background()
	_, alice := newSOAPClient(t, base)
	_, root := newSOAPClient(t, base)
	if err := alice.Login(ctx, url.UserPassword("alice@vsphere.local", "s3cret")); err != nil {
		t.Fatal(err)
	}
	if err := root.Login(ctx, url.UserPassword("root@vsphere.local", "r00t")); err != nil {
		t.Fatal(err)
	}
	rootKey, aliceKey := userSession(t, root).Key, userSession(t, alice).Key
	if err := alice.TerminateSession(ctx, []string{rootKey}); !fault.Is(err, &types.NoPermission{}) {
		t.Fatalf("alice terminates root's session: %v, want NoPermission", err)
	}
	if s := userSession(t, root); s == nil {
		t.Fatal("root's session ended by alice")
	}
	if err := root.TerminateSession(ctx, []string{rootKey}); !fault.Is(err, &types.InvalidArgument{}) {
		t.Fatalf("root terminates its own session: %v, want InvalidArgument", err)
	}
	if err := root.TerminateSession(ctx, []string{aliceKey}); err != nil {
		t.Fatalf("root terminates alice's session: %v", err)
	}
	if s := userSession(t, alice); s != nil {
		t.Fatalf("alice's session after TerminateSession: %+v", s)
	}
	if err := root.TerminateSession(ctx, []string{aliceKey}); !fault.Is(err, &types.NotFound{}) {
		t.Fatalf("terminating an ended session: %v, want NotFound", err)
	}
}
