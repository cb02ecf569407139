package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const reasonPrefix = "vapisec.reason."

// check compares res with e; the error says what differs (one line).
func (cr *caseRun) check(e *Expect, p *prepared, res *response) error {
	if !slices.Contains(e.Status, res.status) {
		return fmt.Errorf("%w: %s %s: status %d, want %s; body %s", ErrUnexpected, p.method, p.path, res.status, statusList(e.Status), excerpt(res.body))
	}
	var doc any
	isJSON := json.Unmarshal(res.body, &doc) == nil
	if err := checkBody(e, res.body, doc, isJSON); err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrUnexpected, p.method, p.path, err)
	}
	for path, pattern := range e.JSON {
		x, ok := lookup(doc, path)
		if !isJSON || !ok {
			return fmt.Errorf("%w: %s %s: no %s in the body %s", ErrUnexpected, p.method, p.path, path, excerpt(res.body))
		}
		if !regexp.MustCompile("^(?:" + pattern + ")$").MatchString(scalarText(x)) {
			return fmt.Errorf("%w: %s %s: %s = %.60q, want /%s/", ErrUnexpected, p.method, p.path, path, scalarText(x), pattern)
		}
	}
	for name, chk := range e.Headers {
		vals := res.header.Values(name)
		joined := strings.Join(vals, ", ")
		switch {
		case chk == "present" && len(vals) == 0:
			return fmt.Errorf("%w: %s %s: no %s header", ErrUnexpected, p.method, p.path, name)
		case chk == "absent" && len(vals) > 0:
			return fmt.Errorf("%w: %s %s: unexpected %s header %.60q", ErrUnexpected, p.method, p.path, name, joined)
		case strings.HasPrefix(chk, "~") && !regexp.MustCompile(chk[1:]).MatchString(joined):
			return fmt.Errorf("%w: %s %s: %s header %.60q, want /%s/", ErrUnexpected, p.method, p.path, name, joined, chk[1:])
		}
	}
	c := sessionCookie(res.header)
	switch {
	case e.SetCookie == "present" && c == nil:
		return fmt.Errorf("%w: %s %s: no %s cookie set", ErrUnexpected, p.method, p.path, sessionCookieName)
	case e.SetCookie == "absent" && c != nil:
		return fmt.Errorf("%w: %s %s: a %s cookie was set", ErrUnexpected, p.method, p.path, sessionCookieName)
	}
	for _, attr := range e.CookieAttrs {
		if c == nil {
			return fmt.Errorf("%w: %s %s: no %s cookie set", ErrUnexpected, p.method, p.path, sessionCookieName)
		}
		if !cookieHas(c.Raw, attr) {
			return fmt.Errorf("%w: %s %s: session cookie lacks %s", ErrUnexpected, p.method, p.path, attr)
		}
	}
	for _, t := range e.BodyContains {
		v, err := cr.expand(t)
		if err != nil {
			return err
		}
		if !bytes.Contains(res.body, []byte(v)) {
			return fmt.Errorf("%w: %s %s: the answer lacks %.60q: %s", ErrUnexpected, p.method, p.path, v, excerpt(res.body))
		}
	}
	for _, t := range e.BodyNotContains {
		v, err := cr.expand(t)
		if err != nil {
			return err
		}
		if v != "" && bytes.Contains(res.body, []byte(v)) {
			return fmt.Errorf("%w: %s %s: the answer echoes the secret %s", ErrUnexpected, p.method, p.path, t)
		}
	}
	return nil
}

// checkBody checks the body shape, error type, message id and reason.
func checkBody(e *Expect, raw []byte, doc any, isJSON bool) error {
	switch e.Body {
	case "", "any":
		return nil
	case "empty":
		if len(bytes.TrimSpace(raw)) != 0 {
			return fmt.Errorf("body %s, want none", excerpt(raw))
		}
		return nil
	}
	if !isJSON {
		return fmt.Errorf("body %s is not JSON (want %s)", excerpt(raw), e.Body)
	}
	obj, _ := doc.(map[string]any)
	var errStruct map[string]any
	switch e.Body {
	case "bare-string":
		if s, ok := doc.(string); !ok || s == "" {
			return fmt.Errorf("body %s, want a non-empty JSON string", excerpt(raw))
		}
		return nil
	case "json-object":
		if obj == nil {
			return fmt.Errorf("body %s, want a JSON object", excerpt(raw))
		}
		return nil
	case "legacy-value-string":
		if s, ok := obj["value"].(string); !ok || s == "" || len(obj) != 1 {
			return fmt.Errorf(`body %s, want {"value":"<string>"}`, excerpt(raw))
		}
		return nil
	case "legacy-value-object":
		if _, ok := obj["value"].(map[string]any); !ok || len(obj) != 1 {
			return fmt.Errorf(`body %s, want {"value":{…}}`, excerpt(raw))
		}
		return nil
	case "jsonrpc-result":
		robj, _ := obj["result"].(map[string]any)
		if _, ok := robj["output"]; obj == nil || obj["jsonrpc"] != "2.0" || !ok || robj["error"] != nil || obj["error"] != nil {
			return fmt.Errorf("body %s, want a JSON-RPC 2.0 result with an output", excerpt(raw))
		}
		return nil
	case "jsonrpc-error":
		eobj, _ := obj["error"].(map[string]any)
		if obj == nil || obj["jsonrpc"] != "2.0" || eobj == nil || obj["result"] != nil {
			return fmt.Errorf("body %s, want a JSON-RPC 2.0 error", excerpt(raw))
		}
		if _, ok := eobj["code"].(float64); !ok {
			return fmt.Errorf("JSON-RPC error without a numeric code: %s", excerpt(raw))
		}
		errStruct, _ = eobj["data"].(map[string]any)
		if errStruct == nil {
			if e.ErrorType != "" || e.MessageID != "" {
				return fmt.Errorf("JSON-RPC error without a vAPI error in error.data: %s", excerpt(raw))
			}
			return nil
		}
		if e.ErrorType != "" && errStruct["error_type"] != e.ErrorType {
			return fmt.Errorf("error.data.error_type %v, want %s", errStruct["error_type"], e.ErrorType)
		}
	case "jsonrpc-output-string", "jsonrpc-output-session-info", "jsonrpc-output-void":
		return checkJSONRPCOutput(e.Body, obj, raw)
	case "jsonrpc-vapi-error":
		var err error
		if errStruct, err = jsonrpcVAPIError(e, obj, raw); err != nil {
			return err
		}
	case "vapi-error-api":
		errStruct = obj
		if et, ok := obj["error_type"].(string); !ok || et == "" {
			return fmt.Errorf("body %s, want a vAPI error with error_type", excerpt(raw))
		} else if e.ErrorType != "" && et != e.ErrorType {
			return fmt.Errorf("error_type %s, want %s", et, e.ErrorType)
		}
	case "vapi-error-legacy":
		typ, _ := obj["type"].(string)
		errStruct, _ = obj["value"].(map[string]any)
		if !strings.HasPrefix(typ, "com.vmware.vapi.std.errors.") || errStruct == nil || len(obj) != 2 {
			return fmt.Errorf(`body %s, want {"type":"com.vmware.vapi.std.errors.<name>","value":{…}}`, excerpt(raw))
		}
		if want := "com.vmware.vapi.std.errors." + strings.ToLower(e.ErrorType); e.ErrorType != "" && typ != want {
			return fmt.Errorf("type %s, want %s", typ, want)
		}
	}
	return checkMessages(e, errStruct, raw)
}

// jsonrpcResult returns the result member of a JSON-RPC 2.0 response
// that has no error member, or nil.
func jsonrpcResult(obj map[string]any) map[string]any {
	if obj == nil || obj["jsonrpc"] != "2.0" || obj["error"] != nil {
		return nil
	}
	r, _ := obj["result"].(map[string]any)
	return r
}

// checkJSONRPCOutput checks result.output of a JSON-RPC response in the
// DataValue form VMware's clients decode (spec §13.2): a non-empty string
// (session create: a secret written as a string, or {"SECRET":"…"} as the
// Go SDK's own encoder writes it), the STRUCTURE com.vmware.cis.session.info
// (session get), or null (void: session delete).
func checkJSONRPCOutput(kind string, obj map[string]any, raw []byte) error {
	res := jsonrpcResult(obj)
	out, has := res["output"]
	if res == nil || !has || res["error"] != nil {
		return fmt.Errorf("body %s, want a JSON-RPC result with output (spec §13.2)", excerpt(raw))
	}
	switch kind {
	case "jsonrpc-output-string":
		if m, ok := out.(map[string]any); ok && len(m) == 1 {
			out = m["SECRET"]
		}
		if s, ok := out.(string); !ok || s == "" {
			return fmt.Errorf("result.output %s, want a non-empty string", excerpt(raw))
		}
	case "jsonrpc-output-void":
		if out != nil {
			return fmt.Errorf("result.output %s, want null (void)", excerpt(raw))
		}
	case "jsonrpc-output-session-info":
		st, _ := out.(map[string]any)
		typed, _ := st["STRUCTURE"].(map[string]any)
		info, _ := typed["com.vmware.cis.session.info"].(map[string]any)
		if len(st) != 1 || len(typed) != 1 || info == nil {
			return fmt.Errorf(`result.output %s, want {"STRUCTURE":{"com.vmware.cis.session.info":{…}}}`, excerpt(raw))
		}
		for _, f := range []string{"user", "created_time", "last_accessed_time"} {
			if v, ok := info[f].(string); !ok || v == "" {
				return fmt.Errorf("session info without a string %s: %s", f, excerpt(raw))
			}
		}
		for _, f := range []string{"created_time", "last_accessed_time"} {
			if !vapiDateTime.MatchString(info[f].(string)) {
				return fmt.Errorf("session info %s %q is not a vAPI DateTime (YYYY-MM-DDThh:mm:ss.sssZ)", f, info[f])
			}
		}
	}
	return nil
}

// vapiDateTime is the vAPI DateTime form the Go SDK's binding parses.
var vapiDateTime = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$`)

// jsonrpcVAPIError checks that a JSON-RPC response carries a vAPI standard
// error as its result (spec §13.3: {"result":{"error":{"ERROR":{"com.vmware.
// vapi.std.errors.<name>":{…}}}}}, no JSON-RPC error member), of e's
// error type when set, and returns it with its messages unwrapped from
// their STRUCTURE form, for checkMessages.
func jsonrpcVAPIError(e *Expect, obj map[string]any, raw []byte) (map[string]any, error) {
	res := jsonrpcResult(obj)
	ev, _ := res["error"].(map[string]any)
	typed, _ := ev["ERROR"].(map[string]any)
	if res == nil || len(ev) != 1 || len(typed) != 1 || res["output"] != nil {
		return nil, fmt.Errorf(`body %s, want a JSON-RPC result {"error":{"ERROR":{"com.vmware.vapi.std.errors.<name>":{…}}}} (spec §13.3)`, excerpt(raw))
	}
	var name string
	var fields map[string]any
	for name = range typed {
		fields, _ = typed[name].(map[string]any)
	}
	short, ok := strings.CutPrefix(name, "com.vmware.vapi.std.errors.")
	if !ok || fields == nil {
		return nil, fmt.Errorf("result.error is %.80q, want a vAPI standard error", name)
	}
	if e.ErrorType != "" && short != strings.ToLower(e.ErrorType) {
		return nil, fmt.Errorf("result.error %s, want com.vmware.vapi.std.errors.%s", name, strings.ToLower(e.ErrorType))
	}
	if et, ok := fields["error_type"].(map[string]any); ok && et["OPTIONAL"] != nil && et["OPTIONAL"] != strings.ToUpper(short) {
		return nil, fmt.Errorf("error_type %v does not match %s", et["OPTIONAL"], name)
	}
	list, ok := fields["messages"].([]any)
	if !ok {
		return nil, fmt.Errorf("vAPI error without a messages list: %s", excerpt(raw))
	}
	flat := make([]any, len(list))
	for i, m := range list {
		mo, _ := m.(map[string]any)
		st, _ := mo["STRUCTURE"].(map[string]any)
		msg, _ := st["com.vmware.vapi.std.localizable_message"].(map[string]any)
		if msg == nil {
			return nil, fmt.Errorf("message %.80v is not a STRUCTURE com.vmware.vapi.std.localizable_message", m)
		}
		flat[i] = msg
	}
	return map[string]any{"messages": flat}, nil
}

// checkMessages checks the messages list of a vAPI error structure.
func checkMessages(e *Expect, errStruct map[string]any, raw []byte) error {
	list, ok := errStruct["messages"].([]any)
	if !ok {
		return fmt.Errorf("vAPI error without a messages list: %s", excerpt(raw))
	}
	var ids []string
	for _, m := range list {
		mo, _ := m.(map[string]any)
		id, okID := mo["id"].(string)
		_, okDefault := mo["default_message"].(string)
		_, okArgs := mo["args"].([]any)
		if !okID || !okDefault || !okArgs {
			return fmt.Errorf("message %.80v lacks id, default_message or args", m)
		}
		ids = append(ids, id)
	}
	if e.MessageID != "" && (len(ids) == 0 || ids[0] != e.MessageID) {
		return fmt.Errorf("message ids %q, want %s first", ids, e.MessageID)
	}
	if e.Reason != "" {
		var reasons []string
		for _, id := range ids {
			if r, ok := strings.CutPrefix(id, reasonPrefix); ok {
				reasons = append(reasons, r)
			}
		}
		// Reasons are checked only when the target reports them.
		if len(reasons) > 0 && !slices.ContainsFunc(strings.Split(e.Reason, "|"), func(want string) bool { return slices.Contains(reasons, want) }) {
			return fmt.Errorf("reason %q, want %s", reasons, e.Reason)
		}
	}
	return nil
}

// sessionCookie returns the vmware-api-session-id cookie res sets, if any.
func sessionCookie(h http.Header) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == sessionCookieName {
			return c
		}
	}
	return nil
}

// cookieHas reports whether the Set-Cookie line raw carries attr
// ("HttpOnly", "SameSite=Strict"), case-insensitively.
func cookieHas(raw, attr string) bool {
	for part := range strings.SplitSeq(raw, ";") {
		if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(part), " ", ""), attr) {
			return true
		}
	}
	return false
}

// lookup follows a dotted path ("value.user", "error.data.messages.0.id")
// through objects and arrays.
func lookup(doc any, path string) (any, bool) {
	cur := doc
	for part := range strings.SplitSeq(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[part]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// scalarText is the text of a JSON value for matching: strings as is,
// numbers, booleans and null as JSON, objects and arrays as compact JSON.
func scalarText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func statusList(s []int) string {
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, " or ")
}
