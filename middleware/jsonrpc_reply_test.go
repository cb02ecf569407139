package middleware_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// rpcReply is a JSON-RPC reply read by checkDataValue's rules: what the
// tests and the fuzz target accept as something VMware's clients decode.
type rpcReply struct {
	Status    int
	ID        json.RawMessage
	HasOutput bool
	Output    json.RawMessage
	// ErrKind is the std error name of result.error ("unauthenticated"),
	// ErrType its error_type, MsgIDs the ids of its messages.
	ErrKind string
	ErrType string
	MsgIDs  []string
	// RPCCode is the code of a JSON-RPC error member (0 when none).
	RPCCode int
	// VAPIError is the vapi-error response header.
	VAPIError string
}

// decodeReply reads a JSON-RPC reply strictly: exactly one of result (with
// exactly one of output and error, each a valid DataValue) and error (code
// and message), jsonrpc "2.0", an id.
func decodeReply(body []byte) (rpcReply, error) {
	var r rpcReply
	var env map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&env); err != nil {
		return r, fmt.Errorf("not a JSON object: %w", err)
	}
	if string(env["jsonrpc"]) != `"2.0"` {
		return r, fmt.Errorf("jsonrpc is %s", env["jsonrpc"])
	}
	id, ok := env["id"]
	if !ok {
		return r, fmt.Errorf("no id")
	}
	r.ID = id
	res, hasRes := env["result"]
	e, hasErr := env["error"]
	if hasRes == hasErr || len(env) != 3 {
		return r, fmt.Errorf("want exactly id, jsonrpc and one of result/error: %s", body)
	}
	if hasErr {
		var je struct {
			Code    int     `json:"code"`
			Message *string `json:"message"`
		}
		if err := json.Unmarshal(e, &je); err != nil || je.Message == nil || je.Code == 0 {
			return r, fmt.Errorf("bad JSON-RPC error %s", e)
		}
		r.RPCCode = je.Code
		return r, nil
	}
	var result map[string]json.RawMessage
	if err := json.Unmarshal(res, &result); err != nil || len(result) != 1 {
		return r, fmt.Errorf("result must hold exactly one of output, error: %s", res)
	}
	if out, ok := result["output"]; ok {
		r.HasOutput, r.Output = true, out
		return r, checkDataValue(out, 0)
	}
	ev, ok := result["error"]
	if !ok {
		return r, fmt.Errorf("result must hold output or error: %s", res)
	}
	if err := checkDataValue(ev, 0); err != nil {
		return r, err
	}
	var ew struct {
		ERROR map[string]struct {
			ErrorType struct {
				OPTIONAL *string
			} `json:"error_type"`
			Messages []struct {
				STRUCTURE map[string]struct {
					ID             *string  `json:"id"`
					DefaultMessage *string  `json:"default_message"`
					Args           []string `json:"args"`
				}
			} `json:"messages"`
		}
	}
	if err := json.Unmarshal(ev, &ew); err != nil || len(ew.ERROR) != 1 {
		return r, fmt.Errorf("result.error is not an ERROR: %s", ev)
	}
	for name, f := range ew.ERROR {
		kind, ok := strings.CutPrefix(name, "com.vmware.vapi.std.errors.")
		if !ok {
			return r, fmt.Errorf("error %q is not a std error", name)
		}
		r.ErrKind = kind
		if f.ErrorType.OPTIONAL != nil {
			r.ErrType = *f.ErrorType.OPTIONAL
		}
		for _, m := range f.Messages {
			lm, ok := m.STRUCTURE["com.vmware.vapi.std.localizable_message"]
			if !ok || lm.ID == nil || lm.DefaultMessage == nil || lm.Args == nil {
				return r, fmt.Errorf("bad localizable message in %s", ev)
			}
			r.MsgIDs = append(r.MsgIDs, *lm.ID)
		}
	}
	return r, nil
}

// checkDataValue accepts the DataValue forms of spec §13.2 only: scalars,
// null, arrays of DataValues, and objects with exactly one member named
// STRUCTURE or ERROR (whose value is {"<name>":{fields…}}) or OPTIONAL.
func checkDataValue(raw json.RawMessage, depth int) error {
	if depth > 64 {
		return fmt.Errorf("too deep")
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return fmt.Errorf("empty value")
	}
	switch raw[0] {
	case '[':
		var l []json.RawMessage
		if err := json.Unmarshal(raw, &l); err != nil {
			return err
		}
		for _, v := range l {
			if err := checkDataValue(v, depth+1); err != nil {
				return err
			}
		}
		return nil
	case '{':
		var o map[string]json.RawMessage
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		if len(o) != 1 {
			return fmt.Errorf("a bare object is no DataValue: %.200s", raw)
		}
		for k, v := range o {
			switch k {
			case "OPTIONAL":
				return checkDataValue(v, depth+1)
			case "STRUCTURE", "ERROR":
				var named map[string]map[string]json.RawMessage
				if err := json.Unmarshal(v, &named); err != nil || len(named) != 1 {
					return fmt.Errorf("bad %s: %.200s", k, v)
				}
				for _, fields := range named {
					for _, fv := range fields {
						if err := checkDataValue(fv, depth+1); err != nil {
							return err
						}
					}
				}
				return nil
			}
			return fmt.Errorf("a bare object is no DataValue: %.200s", raw)
		}
	}
	var v any
	return json.Unmarshal(raw, &v)
}

// expectRPCError checks a vAPI error reply: HTTP 200, result.error of kind,
// the vapi-error header, and every one of msgIDs among the messages.
func expectRPCError(t *testing.T, rec *httptest.ResponseRecorder, kind string, msgIDs ...string) rpcReply {
	t.Helper()
	r, err := decodeReply(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("reply %d %.400s: %v", rec.Code, rec.Body, err)
	}
	if rec.Code != 200 || r.ErrKind != kind || r.ErrType != strings.ToUpper(kind) {
		t.Fatalf("want HTTP 200 result.error %s, got %d %.400s", kind, rec.Code, rec.Body)
	}
	if h := rec.Header().Get("vapi-error"); h != "com.vmware.vapi.std.errors."+kind {
		t.Errorf("vapi-error header %q", h)
	}
	for _, id := range msgIDs {
		found := false
		for _, got := range r.MsgIDs {
			found = found || got == id
		}
		if !found {
			t.Errorf("message %q missing from %v", id, r.MsgIDs)
		}
	}
	return r
}

// expectRPCCode checks a JSON-RPC error member reply with code.
func expectRPCCode(t *testing.T, rec *httptest.ResponseRecorder, code int) {
	t.Helper()
	r, err := decodeReply(rec.Body.Bytes())
	if err != nil || r.RPCCode != code {
		t.Fatalf("want JSON-RPC error %d, got %d %.400s (%v)", code, rec.Code, rec.Body, err)
	}
}
