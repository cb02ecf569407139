package vapisec_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/vapisec/vapisec"
)

func TestParsePrincipal(t *testing.T) {
	tests := []struct {
		name        string
		given       string
		expect      vapisec.Principal
		expectUPN   string
		expectLevel string
	}{
		{name: "ok, upn", given: "root@localos", expect: vapisec.Principal{Name: "root", Domain: "localos"}, expectUPN: "root@localos", expectLevel: `LOCALOS\root`},
		{name: "ok, down-level", given: `VSPHERE.LOCAL\Administrator`, expect: vapisec.Principal{Name: "Administrator", Domain: "VSPHERE.LOCAL"}, expectUPN: "Administrator@VSPHERE.LOCAL", expectLevel: `VSPHERE.LOCAL\Administrator`},
		{name: "ok, upn splits at the last at-sign", given: "a@b@corp", expect: vapisec.Principal{Name: "a@b", Domain: "corp"}, expectUPN: "a@b@corp", expectLevel: `CORP\a@b`},
		{name: "ok, bare name", given: "alice", expect: vapisec.Principal{Name: "alice"}, expectUPN: "alice", expectLevel: "alice"},
		{name: "ok, trailing at-sign is part of the name", given: "alice@", expect: vapisec.Principal{Name: "alice@"}, expectUPN: "alice@", expectLevel: "alice@"},
		{name: "ok, leading backslash is part of the name", given: `\alice`, expect: vapisec.Principal{Name: `\alice`}, expectUPN: `\alice`, expectLevel: `\alice`},
		{name: "ok, empty", given: "", expect: vapisec.Principal{}, expectUPN: "", expectLevel: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := vapisec.ParsePrincipal(tc.given)
			if got != tc.expect {
				t.Fatalf("ParsePrincipal(%q) = %#v, want %#v", tc.given, got, tc.expect)
			}
			if s := got.String(); s != tc.expectUPN {
				t.Errorf("String() = %q, want %q", s, tc.expectUPN)
			}
			if s := got.DownLevel(); s != tc.expectLevel {
				t.Errorf("DownLevel() = %q, want %q", s, tc.expectLevel)
			}
		})
	}
}

func TestSchemeIDWireStrings(t *testing.T) {
	// The strings are the wire protocol (spec §2); a typo here breaks every client.
	want := map[vapisec.SchemeID]string{
		vapisec.SchemeNoAuthentication: "com.vmware.vapi.std.security.no_authentication",
		vapisec.SchemeSession:          "com.vmware.vapi.std.security.session_id",
		vapisec.SchemeUserPass:         "com.vmware.vapi.std.security.user_pass",
		vapisec.SchemeSAMLBearer:       "com.vmware.vapi.std.security.saml_bearer_token",
		vapisec.SchemeSAMLHoK:          "com.vmware.vapi.std.security.saml_hok_token",
		vapisec.SchemeOAuth:            "com.vmware.vapi.std.security.oauth",
	}
	for _, s := range vapisec.Schemes() {
		if want[s] != string(s) {
			t.Errorf("scheme %q: want %q", s, want[s])
		}
		if !s.Known() {
			t.Errorf("%q not Known", s)
		}
	}
	if len(vapisec.Schemes()) != len(want) {
		t.Errorf("Schemes() has %d entries, want %d", len(vapisec.Schemes()), len(want))
	}
	if vapisec.SchemeID("COM.VMWARE.VAPI.STD.SECURITY.SESSION_ID").Known() {
		t.Error("scheme ids are case-sensitive on the wire")
	}
}

func TestReason(t *testing.T) {
	if got := vapisec.ReasonUnknownSession.MessageID(); got != "vapisec.reason.unknown_session" {
		t.Errorf("MessageID = %q", got)
	}
	for _, r := range []vapisec.Reason{vapisec.ReasonUnknownSession, vapisec.ReasonExpired} {
		if !r.ReauthenticationHelps() {
			t.Errorf("%s: re-authentication should help", r)
		}
	}
	for _, r := range []vapisec.Reason{vapisec.ReasonBadSignature, vapisec.ReasonReplayed, vapisec.ReasonStoreUnavailable, vapisec.ReasonInvalidCredentials} {
		if r.ReauthenticationHelps() {
			t.Errorf("%s: re-authentication should not help", r)
		}
		if r.Description() == vapisec.Reason("x").Description() {
			t.Errorf("%s has no description of its own", r)
		}
	}
}

func TestSecurityContextJSONHidesSecrets(t *testing.T) {
	sc := vapisec.SecurityContext{Scheme: vapisec.SchemeSession, Authenticated: true, SessionID: "secret-id", VerifiedBody: []byte("body")}
	b, err := json.Marshal(sc)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"secret-id", "Ym9keQ", "body"} {
		if strings.Contains(string(b), s) {
			t.Errorf("JSON %s leaks %q", b, s)
		}
	}
}

func ExampleParsePrincipal() {
	p := vapisec.ParsePrincipal(`VSPHERE.LOCAL\Administrator`)
	fmt.Println(p.Name, p.Domain, p.String())
	// Output: Administrator VSPHERE.LOCAL Administrator@VSPHERE.LOCAL
}

func TestFoldCase(t *testing.T) {
	tests := []struct{ given, expect string }{
		{"administrator", "administrator"},
		{"Administrator", "administrator"},
		{"VSPHERE.LOCAL", "vsphere.local"},
		{"\u212Aelvin", "kelvin"}, // Kelvin sign, as strings.EqualFold equates it with K
		{"\u017Fam", "sam"},       // long s
	}
	for _, tt := range tests {
		if got := vapisec.FoldCase(tt.given); got != tt.expect {
			t.Errorf("FoldCase(%q) = %q, want %q", tt.given, got, tt.expect)
		}
		if !strings.EqualFold(tt.given, tt.expect) {
			t.Errorf("%q and %q are not EqualFold", tt.given, tt.expect)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = vapisec.FoldCase("administrator") }); n != 0 {
		t.Errorf("FoldCase of a folded name allocates %v times", n)
	}
}
