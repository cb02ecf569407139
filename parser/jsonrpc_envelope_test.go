package parser

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// readEnvelopeNested is readEnvelope as it was before the one-pass walk:
// each level picked from the raw value of the level above (params, then
// ctx, then securityCtx scanned again). It is the reference of the
// differential tests below.
func readEnvelopeNested(req *JSONRPCRequest, b []byte) error {
	s := scanner{b: b}
	s.ws()
	if s.peek() != '{' {
		return fmt.Errorf("%w: the request is not a JSON object", ErrJSONRPCInvalid)
	}
	var version, params JSONValue
	s.pick(field{"jsonrpc", &version}, field{"method", &req.Method}, field{"id", &req.ID}, field{"params", &params})
	switch k := req.ID.Kind(); {
	case req.ID == nil, k == KindString, k == KindNumber, k == KindNull:
	default:
		return fmt.Errorf("%w: \"id\" is a %s", ErrJSONRPCInvalid, k)
	}
	if !version.EqualString(jsonrpcVersion) {
		return fmt.Errorf("%w: \"jsonrpc\" is not \"2.0\"", ErrJSONRPCInvalid)
	}
	if req.Method.Kind() != KindString {
		return fmt.Errorf("%w: \"method\" is not a string", ErrJSONRPCInvalid)
	}
	if params == nil {
		return nil
	}
	if params.Kind() != KindObject {
		return fmt.Errorf("%w: \"params\" is not an object", ErrJSONRPCInvalid)
	}
	var ctx JSONValue
	pickMembers(params, field{"serviceId", &req.ServiceID}, field{"operationId", &req.OperationID}, field{"ctx", &ctx})
	if ctx == nil {
		return nil
	}
	if ctx.Kind() != KindObject {
		return fmt.Errorf("%w: \"params.ctx\" is not an object", ErrJSONRPCInvalid)
	}
	var sec JSONValue
	pickMembers(ctx, field{"securityCtx", &sec})
	if sec == nil {
		return nil
	}
	if sec.Kind() != KindObject {
		return fmt.Errorf("%w: %w: \"params.ctx.securityCtx\" is not an object", ErrSecurityCtxInvalid, ErrJSONRPCInvalid)
	}
	req.HasSecurityCtx = true
	req.Buf = readSecurityCtxNested(&req.SecurityCtx, sec, req.Buf)
	return nil
}

// readSecurityCtxNested and readSignatureNested are readSecurityCtx and
// readSignature as they were before the one-pass walk (the signature
// object scanned again after the securityCtx): the reference.
func readSecurityCtxNested(sc *SecurityCtx, sec JSONValue, buf []byte) []byte {
	sc.Raw = sec
	var timestamp, signature JSONValue
	objectMembers(sec, func(name []byte, v JSONValue) {
		switch {
		case nameIs(name, "schemeId"):
			buf = readString(&sc.SchemeID, v, buf)
		case nameIs(name, "userName"):
			buf = readString(&sc.UserName, v, buf)
		case nameIs(name, "password"):
			buf = readString(&sc.Password, v, buf)
		case nameIs(name, "sessionId"):
			buf = readString(&sc.SessionID, v, buf)
		case nameIs(name, "accessToken"):
			buf = readString(&sc.AccessToken, v, buf)
		case nameIs(name, "samlToken"):
			readRawString(&sc.SAMLToken, v)
		case nameIs(name, "signatureAlgorithm"):
			buf = readString(&sc.SignatureAlgorithm, v, buf)
		case nameIs(name, "timestamp"):
			timestamp = v
		case nameIs(name, "signature"):
			signature = v
		}
	})
	buf = readTimestamp(&sc.Timestamp, timestamp, buf)
	return readSignatureNested(&sc.Signature, signature, buf)
}

func readSignatureNested(sig *CtxSignature, v JSONValue, buf []byte) []byte {
	sig.Kind, sig.Raw = v.Kind(), v
	if sig.Kind == KindObject {
		objectMembers(v, func(name []byte, v JSONValue) {
			switch {
			case nameIs(name, "value"):
				buf = readString(&sig.Value, v, buf)
			case nameIs(name, "samlToken"):
				readRawString(&sig.SAMLToken, v)
			}
		})
	}
	n := len(buf)
	buf, sig.BytesErr = decodeSignatureValue(buf, &sig.Value)
	if sig.BytesErr == nil {
		sig.Bytes = buf[n:len(buf):len(buf)]
	}
	return buf
}

// sameEnvelope checks that the one-pass readEnvelope and the nested
// reference read body (which the canonicalizer accepted) alike: the same
// error, and the same request field for field.
func sameEnvelope(t *testing.T, body []byte) {
	t.Helper()
	var got, want JSONRPCRequest
	gerr, werr := readEnvelope(&got, body), readEnvelopeNested(&want, body)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) {
		t.Fatalf("%s\n one pass: %v\n nested:   %v", body, gerr, werr)
	}
	// Buf holds the decoded values; compare the decoded requests, not the
	// buffers' capacities.
	got.Buf, want.Buf = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s\n one pass: %+v\n nested:   %+v", body, got, want)
	}
}

// envelopeSamples are bodies whose envelopes differ in shape: members in
// any order, levels of the wrong type, escaped names, nested look-alikes.
var envelopeSamples = []string{
	`{"jsonrpc":"2.0","method":"invoke","id":"1","params":{"serviceId":"s","operationId":"o","ctx":{"appCtx":{"opId":"x"},"securityCtx":{"schemeId":"com.vmware.vapi.std.security.session_id","sessionId":"sid"}}}}`,
	`{"params":{"ctx":{"securityCtx":{"schemeId":"a"},"appCtx":{}},"operationId":"o","serviceId":"s"},"id":7,"method":"invoke","jsonrpc":"2.0"}`,
	`{"jsonrpc":"2.0","method":"invoke","id":null,"params":{"input":{"ctx":{"securityCtx":{"schemeId":"smuggled"}}},"ctx":{"securityCtx":{"schemeId":"real"}}}}`,
	`{"jsonrpc":"2.0","method":"invoke","params":[1,2]}`,
	`{"jsonrpc":"2.0","method":"invoke","params":{"ctx":"x"}}`,
	`{"jsonrpc":"2.0","method":"invoke","params":{"ctx":{"securityCtx":[{"a":1}]}}}`,
	`{"jsonrpc":"2.0","method":"invoke","params":{"ctx":{"securityCtx":null}}}`,
	`{"jsonrpc":"2.0","method":"invoke","params":{"ctx":{}}}`,
	`{"jsonrpc":"2.0","method":"invoke","params":{}}`,
	`{"jsonrpc":"2.0","method":"invoke"}`,
	`{"jsonrpc":"1.0","method":"invoke","params":{"ctx":{"securityCtx":{}}}}`,
	`{"jsonrpc":"2.0","method":7}`,
	`{"jsonrpc":"2.0","method":"invoke","id":{"a":1}}`,
	`{"jsonrpc":"2.0","method":"invoke","\u0070arams":{"c\u0074x":{"security\u0043tx":{"schemeId":"esc"}},"serviceI\u0064":"s"}}`,
	` { "jsonrpc" : "2.0" , "method" : "invoke" , "params" : { "ctx" : { "securityCtx" : { "schemeId" : "ws" } } } } `,
	`{"jsonrpc":"2.0","method":"invoke","params":{"ctx":{"securityCtx":{"schemeId":"com.vmware.vapi.std.security.saml_hok_token","signatureAlgorithm":"RS256","timestamp":{"created":"2026-12-01T12:00:00.000Z","expires":"2026-12-01T12:10:00.000Z"},"signature":{"samlToken":"<a b=\"c\\\"\"/>","value":"QUJD"}}}}}`,
	`[1]`,
	`"x"`,
}

func TestEnvelopeOnePassMatchesNested(t *testing.T) {
	p, err := NewJSONRPCParser()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range envelopeSamples {
		if _, err := p.canon.AppendResult(nil, []byte(b)); err != nil {
			t.Fatalf("sample is not accepted by the canonicalizer: %v: %s", err, b)
		}
		sameEnvelope(t, []byte(b))
	}
	sameEnvelope(t, envelopeBenchBody())
}

// FuzzEnvelopeOnePassMatchesNested: for every body the canonicalizer
// accepts (readEnvelope only ever runs on those), the one-pass envelope
// reader and the nested reference agree exactly.
func FuzzEnvelopeOnePassMatchesNested(f *testing.F) {
	for _, b := range envelopeSamples {
		f.Add([]byte(b))
	}
	p, err := NewJSONRPCParser()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := p.canon.AppendResult(nil, body); err != nil {
			return
		}
		sameEnvelope(t, body)
	})
}

// envelopeBenchBody is a signed JSON-RPC body shaped like the bench's: a
// SAML token of about 5 KiB, dense in escaped quotes, in the signature.
func envelopeBenchBody() []byte {
	tok := strings.Repeat(`<saml:Attribute FriendlyName=\"givenName\" Name=\"http://schemas.xmlsoap.org/claims/FirstName\"><saml:AttributeValue xsi:type=\"xs:string\">x</saml:AttributeValue></saml:Attribute>`, 30)
	return []byte(`{"jsonrpc":"2.0","method":"invoke","id":"1","params":{"serviceId":"com.vmware.vcenter.vm","operationId":"list","ctx":{"appCtx":{"opId":"op-1234"},"securityCtx":{"schemeId":"com.vmware.vapi.std.security.saml_hok_token","signatureAlgorithm":"RS256","timestamp":{"created":"2026-12-01T12:00:00.000Z","expires":"2026-12-01T12:10:00.000Z"},"signature":{"samlToken":"` + tok + `","value":"` + strings.Repeat("QUJD", 86) + `"}}},"input":{"STRUCTURE":{"operation-input":{"items":[` + strings.Repeat(`{"STRUCTURE":{"com.vmware.vcenter.VM.summary":{"vm":"vm-1","name":"web-1","power_state":"POWERED_ON","cpu_count":2}}},`, 8) + `1]}}}}}`)
}

// BenchmarkEnvelope runs the one-pass reader and the nested reference
// alternately on a signed body and reports their ratio ("x-nested", below
// 1 when one pass is cheaper), so that machine noise hits both alike.
func BenchmarkEnvelope(b *testing.B) {
	body := envelopeBenchBody()
	var onePass, nested time.Duration
	for b.Loop() {
		t0 := time.Now()
		var r1 JSONRPCRequest
		if err := readEnvelope(&r1, body); err != nil || !r1.HasSecurityCtx {
			b.Fatal(err)
		}
		t1 := time.Now()
		var r2 JSONRPCRequest
		if err := readEnvelopeNested(&r2, body); err != nil || !r2.HasSecurityCtx {
			b.Fatal(err)
		}
		onePass += t1.Sub(t0)
		nested += time.Since(t1)
	}
	b.ReportMetric(float64(onePass.Nanoseconds())/float64(b.N), "one-pass-ns/op")
	b.ReportMetric(float64(nested.Nanoseconds())/float64(b.N), "nested-ns/op")
	b.ReportMetric(float64(onePass)/float64(nested), "x-nested")
}

// TestSecurityCtxSmuggledOutsideParamsCtxIsNotRead: the one-pass reader
// takes the securityCtx only at params.ctx.securityCtx (the GO and Python
// runtimes' fixed path), never a look-alike nested in params.input or in
// another member of params or ctx, and never a later-looking one placed
// before the real one in document order (Java's depth-first lookup, spec
// §12 question 12).
func TestSecurityCtxSmuggledOutsideParamsCtxIsNotRead(t *testing.T) {
	for _, tc := range []struct {
		name, body, expectScheme string
	}{
		{"in input, no real one", `{"jsonrpc":"2.0","method":"invoke","params":{"input":{"ctx":{"securityCtx":{"schemeId":"smuggled"}}}}}`, ""},
		{"in input before the real one", `{"jsonrpc":"2.0","method":"invoke","params":{"input":{"ctx":{"securityCtx":{"schemeId":"smuggled"}}},"ctx":{"securityCtx":{"schemeId":"real"}}}}`, "real"},
		{"in appCtx", `{"jsonrpc":"2.0","method":"invoke","params":{"ctx":{"appCtx":{"securityCtx":{"schemeId":"smuggled"}}}}}`, ""},
		{"at the top level", `{"jsonrpc":"2.0","method":"invoke","securityCtx":{"schemeId":"smuggled"},"ctx":{"securityCtx":{"schemeId":"smuggled"}},"params":{}}`, ""},
		{"in params directly", `{"jsonrpc":"2.0","method":"invoke","params":{"securityCtx":{"schemeId":"smuggled"}}}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var req JSONRPCRequest
			if err := readEnvelope(&req, []byte(tc.body)); err != nil {
				t.Fatal(err)
			}
			got := string(req.SecurityCtx.SchemeID.Value)
			if req.HasSecurityCtx != (tc.expectScheme != "") || got != tc.expectScheme {
				t.Fatalf("HasSecurityCtx %v, schemeId %q; want %q", req.HasSecurityCtx, got, tc.expectScheme)
			}
		})
	}
}
