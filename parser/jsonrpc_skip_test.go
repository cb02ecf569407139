package parser

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

// sessionRPCBody is a 1 KiB JSON-RPC call with a session_id securityCtx
// and a list of VM summaries as input, the body of vapisec bench's
// "JSON-RPC session_id (body)" row.
func sessionRPCBody() []byte {
	var b bytes.Buffer
	b.WriteString(`{"jsonrpc":"2.0","method":"invoke","id":"1a2b3c","params":{"serviceId":"com.vmware.vcenter.vm","operationId":"list","ctx":{"appCtx":{"opId":"op-1234"},"securityCtx":{"schemeId":"com.vmware.vapi.std.security.session_id","sessionId":"b6bd5d4c3a0f4e9e8f0a1b2c3d4e5f60"}},"input":{"STRUCTURE":{"operation-input":{"items":{"LIST":[`)
	for i := 0; b.Len() < 1<<10; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		n := strconv.Itoa(i)
		b.WriteString(`{"STRUCTURE":{"com.vmware.vcenter.VM.summary":{"vm":"vm-` + n + `","name":"web-` + n + `","power_state":"POWERED_ON","cpu_count":4,"load":2.5E-1,"tags":["prod",null],"template":false}}}`)
	}
	b.WriteString(`]}}}}}}`)
	return b.Bytes()
}

// BenchmarkEnvelopeSessionBody reads the envelope of an unsigned 1 KiB
// session_id call: most of it is the input, which the reader passes over.
func BenchmarkEnvelopeSessionBody(b *testing.B) {
	body := sessionRPCBody()
	var req JSONRPCRequest
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req = JSONRPCRequest{}
		if err := readEnvelope(&req, body); err != nil {
			b.Fatal(err)
		}
	}
	if !req.HasSecurityCtx {
		b.Fatal("securityCtx not read")
	}
}

// referenceValue is the value skipper as it was before skipContainer: a
// switch per byte, strings passed with scanner.str. It is the oracle of
// FuzzValueSkipMatchesReference.
func referenceValue(s *scanner) JSONValue {
	start := s.i
	depth := 0
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch c {
		case '"':
			s.str()
			if depth == 0 {
				return s.b[start:s.i]
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return s.b[start:s.i]
			}
			depth--
			if depth == 0 {
				s.i++
				return s.b[start:s.i]
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return s.b[start:s.i]
			}
		}
		s.i++
	}
	return s.b[start:s.i]
}

// FuzzValueSkipMatchesReference: on valid JSON, at every place a value
// starts (any depth, member names included), scanner.value passes over
// exactly what the byte-by-byte reference passed over; on any other input
// (cut anywhere, invalid) it never panics or reads past the end.
func FuzzValueSkipMatchesReference(f *testing.F) {
	f.Add(sessionRPCBody())
	f.Add([]byte(`{"a":"x\\\"y","b":["\\\\",{"c":"\""}],"d":-1.5e3,"e":true}`))
	f.Add([]byte(`[{"a":"\\"}, [ [], {} ] ,null ]`))
	f.Add([]byte(`{"a":"unterminated`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			for i := range b {
				s := scanner{b: b, i: i}
				if v := s.value(); s.i > len(b) || len(v) > len(b)-i {
					t.Fatalf("at %d: passed to %d of %d", i, s.i, len(b))
				}
			}
			return
		}
		for _, i := range valueStarts(b) {
			s, r := scanner{b: b, i: i}, scanner{b: b, i: i}
			got, want := s.value(), referenceValue(&r)
			if s.i != r.i || !bytes.Equal(got, want) {
				t.Fatalf("at %d: value passed to %d (%q), the reference to %d (%q)", i, s.i, got, r.i, want)
			}
		}
	})
}

// valueStarts returns the offsets in the valid JSON text b where a value or
// a member name starts: the first non-space byte of the document and of
// what follows a ':', '[' or ',' outside strings.
func valueStarts(b []byte) []int {
	var starts []int
	next := true
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		if next && c != ']' && c != '}' {
			starts = append(starts, i)
		}
		next = c == ':' || c == '[' || c == ','
		if c == '"' {
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		}
	}
	return starts
}
