package parser_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/vapisec/vapisec/canonical"
	"github.com/vapisec/vapisec/parser"
)

// TestSmuggledSecondSessionIDInUnsignedBodyIsRefused: a session_id body
// (no signature, so it is validated rather than canonicalized) with a
// second sessionId, a second securityCtx or a second schemeId — an id that
// one runtime reads and another ignores — is still refused as a duplicate,
// like every other rule of the canonicalizer (invalid UTF-8, lone
// surrogates, trailing data, depth).
func TestSmuggledSecondSessionIDInUnsignedBodyIsRefused(t *testing.T) {
	p, err := parser.NewJSONRPCParser()
	if err != nil {
		t.Fatal(err)
	}
	const head = `{"jsonrpc":"2.0","method":"invoke","id":1,"params":{"serviceId":"s","operationId":"o","ctx":{"securityCtx":`
	for _, tc := range []struct {
		name        string
		givenBody   string
		expectError error
	}{
		{"two session ids", head + `{"schemeId":"com.vmware.vapi.std.security.session_id","sessionId":"a","sessionId":"b"}}}}`, canonical.ErrDuplicateMember},
		{"two session ids, one escaped", head + `{"schemeId":"com.vmware.vapi.std.security.session_id","sessionId":"a","s\u0065ssionId":"b"}}}}`, canonical.ErrDuplicateMember},
		{"two session ids out of order", head + `{"sessionId":"a","schemeId":"com.vmware.vapi.std.security.session_id","sessionId":"b"}}}}`, canonical.ErrDuplicateMember},
		{"two securityCtx", head + `{"schemeId":"com.vmware.vapi.std.security.session_id","sessionId":"a"},"securityCtx":{}}}}`, canonical.ErrDuplicateMember},
		{"invalid UTF-8 in the id", head + "{\"schemeId\":\"com.vmware.vapi.std.security.session_id\",\"sessionId\":\"a\xff\"}}}}", canonical.ErrInvalidUTF8},
		{"lone surrogate in the id", head + `{"schemeId":"com.vmware.vapi.std.security.session_id","sessionId":"a\udc00"}}}}`, canonical.ErrLoneSurrogate},
		{"a second body", head + `{"schemeId":"com.vmware.vapi.std.security.session_id","sessionId":"a"}}}}{}`, canonical.ErrTrailingData},
	} {
		req, err := p.Parse(nil, []byte(tc.givenBody))
		if !errors.Is(err, tc.expectError) || !errors.Is(err, parser.ErrMalformed) {
			t.Errorf("%s: %v (scheme %q, session %q), want %v", tc.name, err, req.SecurityCtx.SchemeID.Value, req.SecurityCtx.SessionID.Value, tc.expectError)
		}
	}
}

// TestSignatureUnderAnEscapedNameStillGetsItsCanonicalForm: the canonical
// bytes are built whenever params.ctx.securityCtx.signature is present,
// however its name is spelled, and are those of a full canonicalization;
// an unsigned body gets none (Canonical is dst).
func TestSignatureUnderAnEscapedNameStillGetsItsCanonicalForm(t *testing.T) {
	p, err := parser.NewJSONRPCParser()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name            string
		givenBody       string
		expectCanonical bool
	}{
		{"signature", `{"jsonrpc":"2.0","method":"invoke","params":{"ctx":{"securityCtx":{"schemeId":"x","signature":{"value":"AQ=="}}}}}`, true},
		{"escaped signature", `{"jsonrpc":"2.0","method":"invoke","params":{"ctx":{"securityCtx":{"schemeId":"x","\u0073ignature":{"value":"AQ=="}}}}}`, true},
		{"signature first", `{"params":{"ctx":{"securityCtx":{"signature":1,"schemeId":"x"}}},"method":"invoke","jsonrpc":"2.0"}`, true},
		{"signature elsewhere only", `{"jsonrpc":"2.0","method":"invoke","params":{"input":{"signature":1},"ctx":{"securityCtx":{"schemeId":"x"}}}}`, false},
		{"no signature", `{"jsonrpc":"2.0","method":"invoke","params":{"ctx":{"securityCtx":{"schemeId":"x","sessionId":"s"}}}}`, false},
	} {
		dst := []byte("dst:")
		req, err := p.Parse(dst, []byte(tc.givenBody))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := dst
		if tc.expectCanonical {
			res, err := p.Canonicalizer().AppendResult([]byte("dst:"), []byte(tc.givenBody))
			if err != nil || !res.Dropped {
				t.Fatalf("%s: %v, dropped %v", tc.name, err, res.Dropped)
			}
			want = res.Canonical
		}
		if !bytes.Equal(req.Canonical, want) || !bytes.HasPrefix(req.Buf, req.Canonical) {
			t.Errorf("%s: canonical %q, want %q", tc.name, req.Canonical, want)
		}
	}
}
