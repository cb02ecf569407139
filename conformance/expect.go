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
		if obj == nil || obj["jsonrpc"] != "2.0" || obj["result"] == nil || obj["error"] != nil {
			return fmt.Errorf("body %s, want a JSON-RPC 2.0 result", excerpt(raw))
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
