package datavalue

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestGoldenReplies: the bytes of spec §13.2/§13.3, captured from the SDK's
// own encoder, byte for byte.
func TestGoldenReplies(t *testing.T) {
	id := []byte(`"1"`)
	tests := []struct {
		name     string
		given    []byte
		expectIn string
	}{
		{"create", AppendResponse(nil, id, Secret("sid-1")), "session-create.json"},
		{"get", AppendResponse(nil, id, Structure{Name: "com.vmware.cis.session.info", Fields: []Field{
			{Name: "user", Value: String(`VSPHERE.LOCAL\alice`)},
			{Name: "last_accessed_time", Value: String("2024-01-01T00:00:01.000Z")},
			{Name: "created_time", Value: String("2024-01-01T00:00:00.000Z")},
		}}), "session-get.json"},
		{"delete", AppendResponse(nil, id, Void{}), "session-delete.json"},
		{"delete-nil", AppendResponse(nil, id, nil), "session-delete.json"},
		{"unauthenticated", AppendErrorResponse(nil, id, StdError{Kind: "unauthenticated", Messages: []Message{
			{ID: "vapi.security.authentication.invalid", DefaultMessage: "Unable to authenticate user"},
		}}), "unauthenticated.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if expect := golden(t, tt.expectIn); string(tt.given) != expect {
				t.Errorf("got\n%s\nexpected\n%s", tt.given, expect)
			}
		})
	}
}

func TestValueForms(t *testing.T) {
	loc := "localisé"
	tests := []struct {
		name   string
		given  Value
		expect string
	}{
		{"string", String("a\"b<"), `"a\"b\u003c"`},
		{"secret", Secret("s"), `"s"`},
		{"long", Long(-42), `-42`},
		{"long-max", Long(math.MaxInt64), `9223372036854775807`},
		{"double-int", Double(1), `1.0`},
		{"double-frac", Double(0.25), `0.25`},
		{"double-1e21", Double(1e21), `1000000000000000000000.0`},
		{"double-neg-zero", Double(math.Copysign(0, -1)), `-0.0`},
		{"double-nan", Double(math.NaN()), `null`},
		{"bool", Boolean(true), `true`},
		{"void", Void{}, `null`},
		{"nil", nil, `null`},
		{"optional-unset", Optional{}, `{"OPTIONAL":null}`},
		{"optional-set", Optional{Value: Long(1)}, `{"OPTIONAL":1}`},
		{"list-nil", List(nil), `[]`},
		{"list", List{String("a"), Boolean(false), nil}, `["a",false,null]`},
		{"raw", Raw(`{"x":1}`), `{"x":1}`},
		{"raw-empty", Raw(nil), `null`},
		{"structure-empty", Structure{Name: "operation-input"}, `{"STRUCTURE":{"operation-input":{}}}`},
		{"structure-sorted", Structure{Name: "t", Fields: []Field{{"b", Long(2)}, {"a", Long(1)}}}, `{"STRUCTURE":{"t":{"a":1,"b":2}}}`},
		{"error", Error{Name: "com.example.failed", Fields: []Field{{"code", Long(7)}}}, `{"ERROR":{"com.example.failed":{"code":7}}}`},
		{"message-localized", Message{ID: "i", DefaultMessage: "d", Args: []string{"x"}, Localized: &loc},
			`{"STRUCTURE":{"com.vmware.vapi.std.localizable_message":{"args":["x"],"default_message":"d","id":"i","localized":{"OPTIONAL":"localisé"},"params":{"OPTIONAL":null}}}}`},
		{"std-challenge", StdError{Kind: "unauthenticated", Challenge: `Basic realm="r"`, Data: String("x")},
			`{"ERROR":{"com.vmware.vapi.std.errors.unauthenticated":{"challenge":{"OPTIONAL":"Basic realm=\"r\""},"data":{"OPTIONAL":"x"},"error_type":{"OPTIONAL":"UNAUTHENTICATED"},"messages":[]}}}`},
		{"std-error-type", StdError{Kind: "invalid_request", ErrorType: "INVALID_REQUEST"},
			`{"ERROR":{"com.vmware.vapi.std.errors.invalid_request":{"data":{"OPTIONAL":null},"error_type":{"OPTIONAL":"INVALID_REQUEST"},"messages":[]}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := Marshal(tt.given)
			if string(got) != tt.expect {
				t.Errorf("got %s, expected %s", got, tt.expect)
			}
			if !json.Valid(got) {
				t.Errorf("%s is not JSON", got)
			}
		})
	}
}

func TestRPCError(t *testing.T) {
	got := string(AppendRPCError(nil, nil, CodeParseError, "Parse error"))
	if expect := `{"error":{"code":-32700,"message":"Parse error"},"id":null,"jsonrpc":"2.0"}`; got != expect {
		t.Errorf("got %s, expected %s", got, expect)
	}
	got = string(AppendRPCError(nil, []byte("7"), CodeInvalidRequest, "Invalid Request"))
	if expect := `{"error":{"code":-32600,"message":"Invalid Request"},"id":7,"jsonrpc":"2.0"}`; got != expect {
		t.Errorf("got %s, expected %s", got, expect)
	}
}

// TestStructureFieldsNotReordered: sorting a copy leaves the caller's slice
// as it was.
func TestStructureFieldsNotReordered(t *testing.T) {
	fields := []Field{{"b", nil}, {"a", nil}}
	Append(nil, Structure{Name: "t", Fields: fields})
	if fields[0].Name != "b" {
		t.Errorf("caller's fields reordered: %v", fields)
	}
}

// FuzzAppendString: differential against encoding/json, which the SDK's
// encoder uses for strings.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a", "\"\\/", "<>&", "\u2028\u2029", "\x00\x1f\x7f", "\xff\xfe", "é\U0001F600\uE000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		expect, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); string(got) != string(expect) {
			t.Fatalf("AppendString(%q) = %s, encoding/json %s", s, got, expect)
		}
	})
}

// FuzzAppendDouble: round trip; plain decimal with a point, as the SDK writes.
func FuzzAppendDouble(f *testing.F) {
	for _, x := range []float64{0, 1, -1.5, 1e21, 1e-7, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		got := string(AppendDouble(nil, x))
		if math.IsNaN(x) || math.IsInf(x, 0) {
			if got != "null" {
				t.Fatalf("%v written %s", x, got)
			}
			return
		}
		back, err := strconv.ParseFloat(got, 64)
		if err != nil || back != x {
			t.Fatalf("%v written %s, reads back %v (%v)", x, got, back, err)
		}
		for _, c := range got {
			if c == 'e' || c == 'E' {
				t.Fatalf("%v written with an exponent: %s", x, got)
			}
		}
		var v any
		if err := json.Unmarshal([]byte(got), &v); err != nil {
			t.Fatalf("%s is not a JSON number: %v", got, err)
		}
	})
}

func BenchmarkAppendErrorResponse(b *testing.B) {
	e := StdError{Kind: "unauthenticated", Messages: []Message{
		{ID: "vapi.security.authentication.invalid", DefaultMessage: "Unable to authenticate user"},
		{ID: "vapisec.reason.expired", DefaultMessage: "The credential has expired."},
	}}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendErrorResponse(buf[:0], []byte(`"1"`), e)
	}
}
