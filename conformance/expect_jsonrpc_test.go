package conformance

import (
	"encoding/json"
	"strings"
	"testing"
)

// The replies of spec §13.2 and §13.3, as VMware's Go SDK's own encoder
// writes them (the forms its client decodes).
const (
	sdkCreate   = `{"id":"1","jsonrpc":"2.0","result":{"output":"sid-1"}}`
	sdkCreateGo = `{"id":"1","jsonrpc":"2.0","result":{"output":{"SECRET":"sid-1"}}}`
	sdkGet      = `{"id":"1","jsonrpc":"2.0","result":{"output":{"STRUCTURE":{"com.vmware.cis.session.info":{"created_time":"2024-01-01T00:00:00.000Z","last_accessed_time":"2024-01-01T00:00:01.000Z","user":"VSPHERE.LOCAL\\alice"}}}}}`
	sdkDelete   = `{"id":"1","jsonrpc":"2.0","result":{"output":null}}`
	sdkUnauth   = `{"id":"1","jsonrpc":"2.0","result":{"error":{"ERROR":{"com.vmware.vapi.std.errors.unauthenticated":{"data":{"OPTIONAL":null},"error_type":{"OPTIONAL":"UNAUTHENTICATED"},"messages":[{"STRUCTURE":{"com.vmware.vapi.std.localizable_message":{"args":[],"default_message":"Unable to authenticate user","id":"vapi.security.authentication.invalid","localized":{"OPTIONAL":null},"params":{"OPTIONAL":null}}}},{"STRUCTURE":{"com.vmware.vapi.std.localizable_message":{"args":[],"default_message":"x","id":"vapisec.reason.invalid_credentials","localized":{"OPTIONAL":null},"params":{"OPTIONAL":null}}}}]}}}}}`
	// What vapisec answered before (spec §13.4): undecodable for the SDK.
	oldGet    = `{"jsonrpc":"2.0","id":"1","result":{"output":{"user":"VSPHERE.LOCAL\\alice","created_time":"2024-01-01T00:00:00.000Z","last_accessed_time":"2024-01-01T00:00:01.000Z"}}}`
	oldDelete = `{"jsonrpc":"2.0","id":"1","result":{}}`
	oldError  = `{"jsonrpc":"2.0","id":"1","error":{"code":-32000,"message":"Unauthenticated","data":{"error_type":"UNAUTHENTICATED","messages":[{"args":[],"default_message":"Unable to authenticate user","id":"vapi.security.authentication.invalid"}]}}}`
	restError = `{"error_type":"UNAUTHENTICATED","messages":[{"args":[],"default_message":"Unable to authenticate user","id":"vapi.security.authentication.invalid"}]}`
)

// TestJSONRPCBodyKinds: the JSON-RPC body kinds accept the forms VMware's
// clients decode and refuse the ones they cannot (vapisec's earlier
// replies among them).
func TestJSONRPCBodyKinds(t *testing.T) {
	tests := []struct {
		name        string
		givenBody   string
		givenExpect Expect
		expectOK    bool
	}{
		{name: "create, string", givenBody: sdkCreate, givenExpect: Expect{Body: "jsonrpc-output-string"}, expectOK: true},
		{name: "create, SECRET", givenBody: sdkCreateGo, givenExpect: Expect{Body: "jsonrpc-output-string"}, expectOK: true},
		{name: "create, empty string", givenBody: `{"id":"1","jsonrpc":"2.0","result":{"output":""}}`, givenExpect: Expect{Body: "jsonrpc-output-string"}},
		{name: "create, no output", givenBody: oldDelete, givenExpect: Expect{Body: "jsonrpc-output-string"}},
		{name: "get, structure", givenBody: sdkGet, givenExpect: Expect{Body: "jsonrpc-output-session-info"}, expectOK: true},
		{name: "get, bare object", givenBody: oldGet, givenExpect: Expect{Body: "jsonrpc-output-session-info"}},
		{name: "get, another structure", givenBody: strings.Replace(sdkGet, "cis.session.info", "cis.session.other", 1), givenExpect: Expect{Body: "jsonrpc-output-session-info"}},
		{name: "get, time without milliseconds", givenBody: strings.Replace(sdkGet, "00:00:00.000Z", "00:00:00Z", 1), givenExpect: Expect{Body: "jsonrpc-output-session-info"}},
		{name: "delete, null", givenBody: sdkDelete, givenExpect: Expect{Body: "jsonrpc-output-void"}, expectOK: true},
		{name: "delete, empty result", givenBody: oldDelete, givenExpect: Expect{Body: "jsonrpc-output-void"}},
		{name: "delete, with an error member too", givenBody: `{"id":"1","jsonrpc":"2.0","result":{"output":null},"error":{"code":1}}`, givenExpect: Expect{Body: "jsonrpc-output-void"}},
		{name: "unauthenticated result", givenBody: sdkUnauth, givenExpect: Expect{Body: "jsonrpc-vapi-error", ErrorType: "UNAUTHENTICATED", MessageID: "vapi.security.authentication.invalid", Reason: "invalid_credentials"}, expectOK: true},
		{name: "unauthenticated result, other reason", givenBody: sdkUnauth, givenExpect: Expect{Body: "jsonrpc-vapi-error", Reason: "expired"}},
		{name: "unauthenticated result, other type", givenBody: sdkUnauth, givenExpect: Expect{Body: "jsonrpc-vapi-error", ErrorType: "INVALID_REQUEST"}},
		{name: "error_type contradicting the name", givenBody: strings.Replace(sdkUnauth, `"OPTIONAL":"UNAUTHENTICATED"`, `"OPTIONAL":"NOT_FOUND"`, 1), givenExpect: Expect{Body: "jsonrpc-vapi-error"}},
		{name: "JSON-RPC error member", givenBody: oldError, givenExpect: Expect{Body: "jsonrpc-vapi-error", ErrorType: "UNAUTHENTICATED"}},
		{name: "REST error body", givenBody: restError, givenExpect: Expect{Body: "jsonrpc-vapi-error"}},
		{name: "messages not structures", givenBody: `{"id":"1","jsonrpc":"2.0","result":{"error":{"ERROR":{"com.vmware.vapi.std.errors.unauthenticated":{"messages":[{"args":[],"default_message":"x","id":"y"}]}}}}}`, givenExpect: Expect{Body: "jsonrpc-vapi-error"}},
		{name: "not a std error", givenBody: `{"id":"1","jsonrpc":"2.0","result":{"error":{"ERROR":{"com.example.error":{"messages":[]}}}}}`, givenExpect: Expect{Body: "jsonrpc-vapi-error"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var doc any
			isJSON := json.Unmarshal([]byte(tc.givenBody), &doc) == nil
			err := checkBody(&tc.givenExpect, []byte(tc.givenBody), doc, isJSON)
			if (err == nil) != tc.expectOK {
				t.Fatalf("checkBody = %v, want ok=%v", err, tc.expectOK)
			}
		})
	}
}

// TestJSONTemplate: {{json:NAME}} escapes a value for the inside of a JSON
// string, and needs Basic when NAME does.
func TestJSONTemplate(t *testing.T) {
	cr := &caseRun{r: &Runner{config: config{user: `al"ice\`, password: "p\u2028w<>"}}, vars: map[string]string{}}
	got, err := cr.expand(`{"userName":"{{json:user}}","password":"{{json:password}}"}`)
	if err != nil {
		t.Fatal(err)
	}
	var back struct{ UserName, Password string }
	if err := json.Unmarshal([]byte(got), &back); err != nil || back.UserName != `al"ice\` || back.Password != "p\u2028w<>" {
		t.Fatalf("%s → %+v, %v", got, back, err)
	}
	if !usesBasic("{{json:password}}") || usesBasic("{{json:unknown-user}}") {
		t.Error("usesBasic does not follow json:")
	}
	if err := checkTemplates("{{json:nope}}", map[string]bool{}); err == nil {
		t.Error("json: of an unknown template accepted")
	}
	if _, err := cr.expand("{{json:json:user}}"); err == nil {
		t.Error("nested json: accepted")
	}
}
