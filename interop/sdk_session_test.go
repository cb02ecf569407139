package interop

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vmware/vsphere-automation-sdk-go/lib/cis"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/core"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/protocol/client"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/security"
)

// sdkSessionLifecycle runs what a vAPI application does with the SDK's
// generated com.vmware.cis.session binding: create a session with the login
// security context, get its info and delete it with the session security
// context (on JSON-RPC the SDK sends the id both in the body and in the
// vmware-api-session-id header), then checks that get after delete is the
// SDK's errors.Unauthenticated.
func sdkSessionLifecycle(t *testing.T, conn client.Connector, login core.SecurityContext) {
	t.Helper()
	sessions := cis.NewSessionClient(conn)
	conn.SetSecurityContext(login)
	id, err := sessions.Create()
	if err != nil {
		t.Fatalf("session create: %s", describe(err))
	}
	if len(id) != 43 {
		t.Fatalf("session id %q", id)
	}
	conn.SetSecurityContext(security.NewSessionSecurityContext(id))
	info, err := sessions.Get()
	if err != nil {
		t.Fatalf("session get: %s", describe(err))
	}
	if info.User != `VSPHERE.LOCAL\alice` {
		t.Errorf("user %q, want VSPHERE.LOCAL\\alice", info.User)
	}
	if info.CreatedTime.IsZero() || info.LastAccessedTime.Before(info.CreatedTime) ||
		time.Since(info.CreatedTime) > time.Hour || time.Until(info.CreatedTime) > time.Minute {
		t.Errorf("times: created %v, last accessed %v", info.CreatedTime, info.LastAccessedTime)
	}
	if err := sessions.Delete(); err != nil {
		t.Fatalf("session delete: %s", describe(err))
	}
	if _, err := sessions.Get(); !isUnauthenticated(err) {
		t.Errorf("session get after delete: %s, want errors.Unauthenticated", describe(err))
	}
	if err := sessions.Delete(); !isUnauthenticated(err) {
		t.Errorf("session delete after delete: %s, want errors.Unauthenticated", describe(err))
	}
}

// sdkWrongLogin checks that a session create with a refused credential is
// the SDK's errors.Unauthenticated (not InternalServerError, which is what
// the SDK makes of a JSON-RPC error member or an undecodable body).
func sdkWrongLogin(t *testing.T, conn client.Connector, login core.SecurityContext) {
	t.Helper()
	conn.SetSecurityContext(login)
	id, err := cis.NewSessionClient(conn).Create()
	if !isUnauthenticated(err) {
		t.Errorf("session create with a refused credential: id %q, %s; want errors.Unauthenticated", id, describe(err))
	}
}

// TestSDKRESTSession: the SDK's REST connector (Basic login on POST
// /api/session, then the vmware-api-session-id header) creates, reads and
// deletes a session; a wrong password and a dead session are the SDK's
// errors.Unauthenticated.
func TestSDKRESTSession(t *testing.T) {
	base := startServer(t, "--dev", "--user", "alice@vsphere.local:s3cret")
	sdkSessionLifecycle(t, sdkREST(base, nil), security.NewUserPasswordSecurityContext("alice@vsphere.local", "s3cret"))
	sdkWrongLogin(t, sdkREST(base, nil), security.NewUserPasswordSecurityContext("alice@vsphere.local", "wrong"))
	sdkWrongLogin(t, sdkREST(base, nil), security.NewSessionSecurityContext(strings.Repeat("A", 43)))
}

// TestSDKJSONRPCUserPass: the SDK's default connector (JSON-RPC on POST
// /api) logs in with user_pass in params.ctx.securityCtx, over HTTP and
// over HTTPS with a self-signed certificate the client trusts; a wrong
// password, an unknown user and a dead session id are errors.Unauthenticated.
func TestSDKJSONRPCUserPass(t *testing.T) {
	certFile, keyFile, tlsClient := selfSignedTLS(t)
	for _, tc := range []struct {
		name string
		args []string
		hc   *http.Client
	}{
		{"http", nil, nil},
		{"https", []string{"--tls-cert", certFile, "--tls-key", keyFile}, tlsClient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := startServer(t, append([]string{"--dev", "--user", "alice@vsphere.local:s3cret"}, tc.args...)...)
			if !strings.HasPrefix(base, tc.name+"://") {
				t.Fatalf("server at %s, want %s", base, tc.name)
			}
			sdkSessionLifecycle(t, sdkJSONRPC(base, tc.hc), security.NewUserPasswordSecurityContext("alice@vsphere.local", "s3cret"))
			sdkWrongLogin(t, sdkJSONRPC(base, tc.hc), security.NewUserPasswordSecurityContext("alice@vsphere.local", "wrong"))
			sdkWrongLogin(t, sdkJSONRPC(base, tc.hc), security.NewUserPasswordSecurityContext("mallory@vsphere.local", "s3cret"))
			sdkWrongLogin(t, sdkJSONRPC(base, tc.hc), security.NewSessionSecurityContext(strings.Repeat("A", 43)))
		})
	}
}

// TestSDKJSONRPCSAMLHoK: the SDK signs session.create with its own HoK
// signer (JSONSsoSigner) in RS256, RS384 and RS512 with a token from our
// dev STS, over HTTP and HTTPS, then uses the session it got. A token from
// an STS the server does not trust is errors.Unauthenticated.
func TestSDKJSONRPCSAMLHoK(t *testing.T) {
	tokens := issueSAML(t)
	certFile, keyFile, tlsClient := selfSignedTLS(t)
	for _, tr := range []struct {
		name string
		args []string
		hc   *http.Client
	}{
		{"http", nil, nil},
		{"https", []string{"--tls-cert", certFile, "--tls-key", keyFile}, tlsClient},
	} {
		t.Run(tr.name, func(t *testing.T) {
			base := startServer(t, append([]string{"--dev", "--trust", tokens.stsCertFile}, tr.args...)...)
			for _, alg := range []string{security.RS256, security.RS384, security.RS512} {
				t.Run(alg, func(t *testing.T) {
					sdkSessionLifecycle(t, sdkJSONRPC(base, tr.hc), security.NewSAMLPrivateKeySecurityContext(string(tokens.hok), tokens.hokKey, alg))
				})
			}
		})
	}
	t.Run("untrusted STS", func(t *testing.T) {
		other := issueSAML(t)
		base := startServer(t, "--dev", "--trust", tokens.stsCertFile)
		sdkWrongLogin(t, sdkJSONRPC(base, nil), security.NewSAMLPrivateKeySecurityContext(string(other.hok), other.hokKey, security.RS256))
	})
}

// TestSDKJSONRPCSAMLBearer: with --allow-bearer the SDK logs in with a SAML
// bearer token (samlToken in the body); without it the same login is
// errors.Unauthenticated.
func TestSDKJSONRPCSAMLBearer(t *testing.T) {
	tokens := issueSAML(t)
	t.Run("allowed", func(t *testing.T) {
		base := startServer(t, "--dev", "--trust", tokens.stsCertFile, "--allow-bearer")
		sdkSessionLifecycle(t, sdkJSONRPC(base, nil), security.NewSAMLBearerSecurityContext(string(tokens.bearer)))
	})
	t.Run("not allowed", func(t *testing.T) {
		base := startServer(t, "--dev", "--trust", tokens.stsCertFile)
		sdkWrongLogin(t, sdkJSONRPC(base, nil), security.NewSAMLBearerSecurityContext(string(tokens.bearer)))
	})
}
