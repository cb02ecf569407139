package parser_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/canonical"
	"github.com/vapisec/vapisec/parser"
)

func TestParseJSONRPC(t *testing.T) {
	tests := []struct {
		name         string
		givenBody    string
		expectID     string
		expectScheme string
		expectSecCtx bool
		expectErr    []error
	}{
		{name: "ok, no params", givenBody: `{"jsonrpc":"2.0","method":"invoke","id":1}`, expectID: `1`},
		{name: "ok, securityCtx", givenBody: `{"jsonrpc":"2.0","method":"invoke","id":"a","params":{"ctx":{"securityCtx":{"schemeId":"x","signature":{"value":"v"}}}}}`, expectID: `"a"`, expectScheme: "x", expectSecCtx: true},
		{name: "ok, escaped member names", givenBody: `{"jsonrpc":"2.0","method":"invoke","\u0069d":null,"\u0070arams":{"ctx":{"securityCtx":{"schemeI\u0064":"y"}}}}`, expectID: `null`, expectScheme: "y", expectSecCtx: true},
		{name: "ok, securityCtx inside input is not the securityCtx", givenBody: `{"jsonrpc":"2.0","method":"invoke","params":{"input":{"securityCtx":{"schemeId":"x"}},"ctx":{}}}`},
		{name: "nok, trailing data", givenBody: `{"jsonrpc":"2.0","method":"invoke"} {}`, expectErr: []error{parser.ErrJSONRPCParse, parser.ErrMalformed, canonical.ErrTrailingData}},
		{name: "nok, not JSON", givenBody: `{"jsonrpc":`, expectErr: []error{parser.ErrJSONRPCParse}},
		{name: "nok, invalid UTF-8", givenBody: "{\"jsonrpc\":\"2.0\xff\"}", expectErr: []error{parser.ErrJSONRPCParse}},
		{name: "nok, duplicate member", givenBody: `{"jsonrpc":"2.0","method":"invoke","method":"x"}`, expectErr: []error{parser.ErrJSONRPCInvalid, canonical.ErrDuplicateMember}},
		{name: "nok, duplicate escaped member", givenBody: `{"jsonrpc":"2.0","method":"invoke","params":{},"p\u0061rams":{}}`, expectErr: []error{parser.ErrJSONRPCInvalid}},
		{name: "nok, array", givenBody: `[1]`, expectErr: []error{parser.ErrJSONRPCInvalid}},
		{name: "nok, wrong version", givenBody: `{"jsonrpc":"1.0","method":"invoke"}`, expectErr: []error{parser.ErrJSONRPCInvalid}},
		{name: "nok, method not a string", givenBody: `{"jsonrpc":"2.0","method":1,"id":7}`, expectID: `7`, expectErr: []error{parser.ErrJSONRPCInvalid}},
		{name: "nok, id an object", givenBody: `{"jsonrpc":"2.0","method":"invoke","id":{}}`, expectID: `{}`, expectErr: []error{parser.ErrJSONRPCInvalid}},
		{name: "nok, params an array", givenBody: `{"jsonrpc":"2.0","method":"invoke","params":[]}`, expectErr: []error{parser.ErrJSONRPCInvalid}},
		{name: "nok, securityCtx a string", givenBody: `{"jsonrpc":"2.0","method":"invoke","params":{"ctx":{"securityCtx":"x"}}}`, expectErr: []error{parser.ErrSecurityCtxInvalid, parser.ErrJSONRPCInvalid}},
	}
	p, err := parser.NewJSONRPCParser()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := p.Parse(nil, []byte(tt.givenBody))
			for _, want := range tt.expectErr {
				if !errors.Is(err, want) {
					t.Fatalf("error %v does not match %v", err, want)
				}
			}
			if len(tt.expectErr) == 0 && err != nil {
				t.Fatal(err)
			}
			if string(req.ID) != tt.expectID {
				t.Fatalf("id %q, want %q", req.ID, tt.expectID)
			}
			if req.HasSecurityCtx != tt.expectSecCtx {
				t.Fatalf("HasSecurityCtx %v", req.HasSecurityCtx)
			}
			if tt.expectScheme != "" && !req.SecurityCtx.SchemeID.Equal(tt.expectScheme) {
				t.Fatalf("schemeId %s", req.SecurityCtx.SchemeID.Value)
			}
		})
	}
}

// TestParseJSONRPC_fixtures checks the signed bytes of the vcf-sdk-java
// requests (spec §11.3) and that the token is read back exactly.
func TestParseJSONRPC_fixtures(t *testing.T) {
	p, _ := parser.NewJSONRPCParser()
	token, err := os.ReadFile("../testdata/vcf-sdk-java/samlToken.xml")
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"RS256", "RS384", "RS512"} {
		body, err := os.ReadFile("../testdata/vcf-sdk-java/signed-request-" + alg + ".json")
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile("../testdata/vcf-sdk-java/signed-request-" + alg + ".canonical.txt")
		if err != nil {
			t.Fatal(err)
		}
		req, err := p.Parse(nil, body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(req.Canonical, bytes.TrimRight(want, "\n")) {
			t.Fatalf("%s: canonical\n%s\nwant\n%s", alg, req.Canonical, want)
		}
		got, ok := req.SecurityCtx.Signature.SAMLToken.Unescaped(), req.SecurityCtx.Signature.SAMLToken.IsString()
		if !ok || !bytes.Equal(got, token) {
			t.Fatalf("%s: samlToken not read back exactly", alg)
		}
		if !req.SecurityCtx.SignatureAlgorithm.Equal(alg) {
			t.Fatalf("%s: signatureAlgorithm %s", alg, req.SecurityCtx.SignatureAlgorithm.Value)
		}
	}
}

// FuzzParseJSONRPC: no panic; whatever is accepted is valid JSON for
// encoding/json; the id and the strings read agree with encoding/json.
func FuzzParseJSONRPC(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","method":"invoke","id":"a\"b","params":{"ctx":{"securityCtx":{"schemeId":"x\u00e9","timestamp":{"created":"c"},"signature":{"value":"v","samlToken":"<a b=\"c\"/>"}}}}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","method":"invoke","id":[1],"params":{"ctx":{"securityCtx":1}}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","method":"invoke","params":{"ctx":{"securityCtx":{"schemeId":"com.vmware.vapi.std.security.user_pass","userName":"a\u0040b","password":"p\"w","sessionId":1,"accessToken":"t","timestamp":{"created":"2026-02-30T00:00:00.000Z","expires":"2026-12-01T10:00:00.123Z"},"signature":{"value":"AQID\r\nBA=="}}}}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","method":"invoke","id":-1.5e3,"params":{"input":{"securityCtx":{}},"ctx":{"securityCtx":{"schemeId":"\ud83d\ude00"}}}}`))
	p, _ := parser.NewJSONRPCParser()
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := p.Parse(nil, body)
		if err != nil {
			if !errors.Is(err, parser.ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		// encoding/json matches struct fields case-insensitively; the vAPI
		// runtimes (and this parser) match member names exactly, so the
		// oracle walks exact-key maps instead of a struct.
		var top map[string]json.RawMessage
		if err := json.Unmarshal(body, &top); err != nil {
			t.Fatalf("accepted, but encoding/json fails: %v", err)
		}
		if string(top["id"]) != string(req.ID) {
			t.Fatalf("id %q, encoding/json %q", req.ID, top["id"])
		}
		checkSecurityCtx(t, top, &req)
	})
}

// checkSecurityCtx is FuzzParseJSONRPC's oracle for the decoded
// securityCtx: every member agrees with encoding/json at its exact path.
func checkSecurityCtx(t *testing.T, top map[string]json.RawMessage, req *parser.JSONRPCRequest) {
	t.Helper()
	if !bytes.HasPrefix(req.Buf, req.Canonical) {
		t.Fatal("Buf does not start with Canonical")
	}
	sc := &req.SecurityCtx
	var secRaw json.RawMessage
	if got := exactPath(top, &secRaw, "params", "ctx", "securityCtx"); got != req.HasSecurityCtx {
		t.Fatalf("HasSecurityCtx %v, encoding/json %v", req.HasSecurityCtx, got)
	}
	if !req.HasSecurityCtx {
		return
	}
	strs := []struct {
		member *parser.CtxString
		path   []string
	}{
		{&sc.SchemeID, []string{"schemeId"}},
		{&sc.UserName, []string{"userName"}},
		{&sc.Password, []string{"password"}},
		{&sc.SessionID, []string{"sessionId"}},
		{&sc.AccessToken, []string{"accessToken"}},
		{&sc.SAMLToken, []string{"samlToken"}},
		{&sc.SignatureAlgorithm, []string{"signatureAlgorithm"}},
		{&sc.Timestamp.Created.CtxString, []string{"timestamp", "created"}},
		{&sc.Timestamp.Expires.CtxString, []string{"timestamp", "expires"}},
		{&sc.Signature.Value, []string{"signature", "value"}},
		{&sc.Signature.SAMLToken, []string{"signature", "samlToken"}},
	}
	for _, m := range strs {
		path := append([]string{"params", "ctx", "securityCtx"}, m.path...)
		var raw json.RawMessage
		present := exactPath(top, &raw, path...)
		if present != (m.member.Kind != parser.KindAbsent) {
			t.Fatalf("%v: kind %s, encoding/json present %v", m.path, m.member.Kind, present)
		}
		if !present {
			continue
		}
		var js string
		isString := json.Unmarshal(raw, &js) == nil && len(raw) > 0 && raw[0] == '"'
		if isString != m.member.IsString() {
			t.Fatalf("%v: kind %s, encoding/json string %v", m.path, m.member.Kind, isString)
		}
		if isString && js != string(m.member.Unescaped()) {
			t.Fatalf("%v: value %q, encoding/json %q", m.path, m.member.Unescaped(), js)
		}
		if isString && m.member.Value != nil && js != string(m.member.Value) {
			t.Fatalf("%v: value %q, encoding/json %q", m.path, m.member.Value, js)
		}
		if isString && string(raw[1:len(raw)-1]) != string(m.member.Raw) {
			t.Fatalf("%v: raw %q, encoding/json %q", m.path, m.member.Raw, raw)
		}
	}
	for _, ts := range []*parser.CtxTime{&sc.Timestamp.Created, &sc.Timestamp.Expires} {
		if ts.Err == nil && ts.Time.Format("2006-01-02T15:04:05.000Z") != string(ts.Raw) {
			t.Fatalf("timestamp %q read as %v", ts.Raw, ts.Time)
		}
		if ts.Err != nil && !errors.Is(ts.Err, parser.ErrSecurityCtxInvalid) {
			t.Fatalf("timestamp error %v", ts.Err)
		}
	}
	if sig := &sc.Signature; sig.BytesErr == nil {
		text := strings.NewReplacer("\r", "", "\n", "", " ", "").Replace(string(sig.Value.Value))
		if len(text)%4 != 0 {
			text += strings.Repeat("=", 4-len(text)%4)
		}
		want, err := base64.StdEncoding.Strict().DecodeString(text)
		if err != nil || !bytes.Equal(want, sig.Bytes) {
			t.Fatalf("signature.value %q decoded %x, encoding/base64 %x (%v)", sig.Value.Value, sig.Bytes, want, err)
		}
	} else if !errors.Is(sig.BytesErr, parser.ErrSecurityCtxInvalid) {
		t.Fatalf("signature error %v", sig.BytesErr)
	}
}

// exactPath follows member names exactly (no case folding) from top and
// decodes the value found at the end of path into dst.
func exactPath(top map[string]json.RawMessage, dst any, path ...string) bool {
	m := top
	for i, name := range path {
		raw, ok := m[name]
		if !ok {
			return false
		}
		if i == len(path)-1 {
			return json.Unmarshal(raw, dst) == nil
		}
		m = nil
		if json.Unmarshal(raw, &m) != nil || m == nil {
			return false
		}
	}
	return false
}
