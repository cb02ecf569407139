package interop

import (
	"errors"
	"log"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vmware/vsphere-automation-sdk-go/lib/cis"
	vapiErrors "github.com/vmware/vsphere-automation-sdk-go/lib/vapi/std/errors"
	vapiLog "github.com/vmware/vsphere-automation-sdk-go/runtime/log"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/protocol/client"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/security"
)

// VMware's vSphere Automation SDK for Go (runtime, lib v0.8.0) with its
// OAuth security context (security.NewOauthSecurityContext) against
// "vapisec serve" configured by discovery only for the real provider: the
// REST connector sends the token as csp-auth-token, the JSON-RPC
// connector as params.ctx.securityCtx.accessToken (spec §3.3, §13.1).

// oauthSDKQuiet drops the SDK's info and debug lines (several per call)
// and keeps its errors.
type oauthSDKQuiet struct{}

func (oauthSDKQuiet) Error(args ...any)            { log.Print(append([]any{"vapi sdk: "}, args...)...) }
func (oauthSDKQuiet) Errorf(f string, args ...any) { log.Printf("vapi sdk: "+f, args...) }
func (oauthSDKQuiet) Info(...any)                  {}
func (oauthSDKQuiet) Infof(string, ...any)         {}
func (oauthSDKQuiet) Debug(...any)                 {}
func (oauthSDKQuiet) Debugf(string, ...any)        {}

func init() { vapiLog.SetLogger(oauthSDKQuiet{}) }

func oauthSDKConnector(base string, rest bool) client.Connector {
	opts := []client.ConnectorOption{client.WithHttpClient(&http.Client{Timeout: 20 * time.Second})}
	if rest {
		opts = append(opts, client.UsingRest(nil))
	}
	return client.NewConnector(base+"/api", opts...)
}

func oauthSDKUnauthenticated(err error) bool {
	var v vapiErrors.Unauthenticated
	var p *vapiErrors.Unauthenticated
	return errors.As(err, &v) || errors.As(err, &p)
}

// TestOAuthSDKSessionCreate: the SDK's generated com.vmware.cis.session
// binding creates a session with the provider's access token over REST and
// JSON-RPC, reads it with the session id and deletes it; a token of a
// provider the server does not trust is the SDK's errors.Unauthenticated.
func TestOAuthSDKSessionCreate(t *testing.T) {
	o := startOP(t, "svc", "svc-secret", "svc-account@example.com", "Administrators")
	other := startOP(t, "svc", "svc-secret", "svc-account@example.com")
	base := startOAuthServe(t, o, o.Issuer)
	for _, rest := range []bool{true, false} {
		name := map[bool]string{true: "REST", false: "JSON-RPC"}[rest]
		t.Run(name, func(t *testing.T) {
			conn := oauthSDKConnector(base, rest)
			sessions := cis.NewSessionClient(conn)
			conn.SetSecurityContext(security.NewOauthSecurityContext(o.Token(t, "svc", "svc-secret")))
			id, err := sessions.Create()
			if err != nil {
				t.Fatalf("session create with the access token: %T: %v", err, err)
			}
			conn.SetSecurityContext(security.NewSessionSecurityContext(id))
			info, err := sessions.Get()
			if err != nil {
				t.Fatalf("session get: %T: %v", err, err)
			}
			if !strings.Contains(strings.ToLower(info.User), "svc-account") {
				t.Errorf("session user %q", info.User)
			}
			if err := sessions.Delete(); err != nil {
				t.Fatalf("session delete: %T: %v", err, err)
			}
			conn.SetSecurityContext(security.NewOauthSecurityContext(other.Token(t, "svc", "svc-secret")))
			if id, err := sessions.Create(); !oauthSDKUnauthenticated(err) {
				t.Errorf("session create with an untrusted provider's token: %q, %T: %v; want errors.Unauthenticated", id, err, err)
			}
		})
	}
}
