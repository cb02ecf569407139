package interop

import (
	"testing"

	"github.com/vmware/vsphere-automation-sdk-go/lib/cis"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/data"
	"github.com/vmware/vsphere-automation-sdk-go/runtime/security"
)

// canonicalVariants are inputs on which the SDK's canonical form
// (canonicaljson-go) differs from the Java runtime's: a double ≥ 1e21, and
// member names mixing U+E000–U+FFFF with astral characters (sorted by code
// point in one, by UTF-16 unit in the other).
func canonicalVariants() map[string]data.DataValue {
	return map[string]data.DataValue{
		"double 1e21": data.NewStructValue("operation-input", map[string]data.DataValue{
			"size": data.NewDoubleValue(1e21),
		}),
		"names U+E000 and astral": data.NewStructValue("operation-input", map[string]data.DataValue{
			"\ue000private":    data.NewStringValue("a"),
			"\U0001F600emoji":  data.NewStringValue("b"),
			"\uffefhigh":       data.NewStringValue("c"),
			"\U00010000linear": data.NewStringValue("d"),
		}),
	}
}

// TestSDKHoKCanonicalVariantsNeedGoSDKProfile: session.create signed by the
// SDK itself over an input with each canonical variant is accepted by a
// server with --profile gosdk, and refused (errors.Unauthenticated once the
// JSON-RPC errors are results) by one without it: the variants really are
// what the profile is for.
func TestSDKHoKCanonicalVariantsNeedGoSDKProfile(t *testing.T) {
	if !serveHasFlag(t, "--profile") {
		t.Skip("vapisec serve has no --profile flag yet")
	}
	tokens := issueSAML(t)
	withProfile := startServer(t, "--dev", "--trust", tokens.stsCertFile, "--profile", "gosdk")
	without := startServer(t, "--dev", "--trust", tokens.stsCertFile)
	for name, input := range canonicalVariants() {
		t.Run(name, func(t *testing.T) {
			for _, alg := range []string{security.RS256, security.RS512} {
				login := security.NewSAMLPrivateKeySecurityContext(string(tokens.hok), tokens.hokKey, alg)

				conn := sdkJSONRPC(withProfile, nil)
				conn.SetSecurityContext(login)
				r := conn.GetApiProvider().Invoke("com.vmware.cis.session", "create", input, conn.NewExecutionContext())
				if !r.IsSuccess() {
					t.Fatalf("%s, gosdk profile on: %v", alg, r.Error())
				}
				id, ok := r.Output().(*data.StringValue)
				if !ok || len(id.Value()) != 43 {
					t.Fatalf("%s: output %#v", alg, r.Output())
				}
				// The session it got works.
				conn.SetSecurityContext(security.NewSessionSecurityContext(id.Value()))
				if _, err := cis.NewSessionClient(conn).Get(); err != nil {
					t.Errorf("%s: get with the session: %s", alg, describe(err))
				}

				conn = sdkJSONRPC(without, nil)
				conn.SetSecurityContext(login)
				r = conn.GetApiProvider().Invoke("com.vmware.cis.session", "create", input, conn.NewExecutionContext())
				if r.IsSuccess() {
					t.Fatalf("%s: accepted without the gosdk profile (the variant is not one)", alg)
				}
				if r.Error().Name() != "com.vmware.vapi.std.errors.unauthenticated" {
					t.Errorf("%s: without the profile: %s, want com.vmware.vapi.std.errors.unauthenticated", alg, r.Error().Name())
				}
			}
		})
	}
}
