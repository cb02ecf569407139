package conformance

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

//go:embed testdata/vectors.json
var vectorsJSON []byte

// Level says how firmly the spec backs a case.
type Level string

// The levels, from the firmest.
const (
	// LevelMust: every vAPI runtime and vCenter behave this way, or the spec
	// requires it.
	LevelMust Level = "must"
	// LevelShould: a vapisec decision (DESIGN §4) where the runtimes differ;
	// the case says which runtimes it matches.
	LevelShould Level = "should"
	// LevelExtension: behaviour of vapisec's own extensions (clone tickets,
	// whoami, CSRF); other targets are not expected to have it.
	LevelExtension Level = "vapisec-extension"
)

// rank orders the levels for selection.
func (l Level) rank() int {
	switch l {
	case LevelMust:
		return 1
	case LevelShould:
		return 2
	case LevelExtension:
		return 3
	}
	return 0
}

// Suite is a set of cases, as read from vectors.json.
type Suite struct {
	// Version of the vectors format (1).
	Version int `json:"version"`
	// Cases in the order they run.
	Cases []Case `json:"cases"`
}

// Case is one conformance check.
type Case struct {
	// ID names the spec section and the behaviour: "spec-3.1/cookie-before-header".
	ID string `json:"id"`
	// Description says what is checked and why (the rationale).
	Description string `json:"description"`
	// Level is must, should or vapisec-extension.
	Level Level `json:"level"`
	// Requires lists the material the case needs: "basic" (a user and
	// password), "hok" (a holder-of-key key and token), "bearer" (a bearer
	// token), "sts" (an STS key to issue tokens), "idle-timeout" (the
	// target's idle timeout). A case whose material is missing is skipped.
	Requires []string `json:"requires,omitempty"`
	// Matches lists the runtimes whose behaviour the expected outcome
	// matches: java, python, gosdk, govmomi, vcsim, vcenter, vapisec.
	Matches []string `json:"matches,omitempty"`
	// Skip, when not empty, skips the case with this reason.
	Skip string `json:"skip,omitempty"`
	// Steps are the requests (and checks) of the case, in order.
	Steps []Step `json:"steps"`
}

// Step is one request of a case, or a macro (Login, Logout), a pause
// (Wait) or an assertion on captured values (Assert).
type Step struct {
	// Name lets a later step Repeat this one.
	Name string `json:"name,omitempty"`

	// Login, when set, logs in on the legacy session resource with the
	// runner's Basic credentials and vmware-use-header-authn, expects 200
	// {"value":"<id>"} and captures the id into the variable of this name.
	// The session is logged out when the case ends.
	Login string `json:"login,omitempty"`
	// Logout, when set, logs the session in the named variable out on the
	// legacy resource (any status accepted).
	Logout string `json:"logout,omitempty"`

	// Method and Path (with query) of the request; Path is relative to
	// the target and may contain templates.
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	// Headers are sent in order, names exactly as written (duplicates
	// allowed); values may contain templates.
	Headers [][2]string `json:"headers,omitempty"`
	// Body of the request; may contain templates.
	Body string `json:"body,omitempty"`
	// Sign signs the request (SIGN header or JSON-RPC securityCtx).
	Sign *Sign `json:"sign,omitempty"`
	// Repeat resends the exact request of the named earlier step.
	Repeat string `json:"repeat,omitempty"`

	// Wait pauses: "idle-timeout" (the target's idle timeout plus a margin)
	// or a Go duration ("50ms").
	Wait string `json:"wait,omitempty"`
	// Assert compares captured variables.
	Assert *Assert `json:"assert,omitempty"`

	// Capture stores parts of the answer in variables: variable name →
	// "body-string" (a bare JSON string), "body-value" ({"value":"…"}),
	// "cookie" (the vmware-api-session-id cookie set), "cookie:<name>" (a
	// named cookie: the SOAP session's vmware_soap_session), "xml:<local
	// name>" (the text of the first such element: a SOAP returnval) or
	// "json:<path>".
	Capture map[string]string `json:"capture,omitempty"`

	// Expect is the expected answer; ExpectOneOf lists alternatives (the
	// first that matches wins, its Matches are reported).
	Expect      *Expect  `json:"expect,omitempty"`
	ExpectOneOf []Expect `json:"expect_one_of,omitempty"`
}

// Sign says how to sign a request.
type Sign struct {
	// Kind: "sign-hok", "sign-bearer" (an Authorization: SIGN header,
	// spec §8), "jsonrpc-hok" (a signed params.ctx.securityCtx, spec §7),
	// "jsonrpc-bearer" (a bearer params.ctx.securityCtx, no signature).
	Kind string `json:"kind"`
	// Variant breaks the signature on purpose: "" (valid), "wrong-key",
	// "wrong-host", "wrong-path", "wrong-body", "stale-nonce", "relayed"
	// (signed for another host and sent with that Host) (SIGN);
	// "tampered", "expired", "future", "wrong-alg", "bearer-as-hok",
	// "wrong-key" (JSON-RPC). Both HoK kinds also take the bad tokens:
	// "untrusted-sts" (issued by an STS the runner made up),
	// "token-altered" (NameID changed after the STS signed it) and
	// "forged-hok-cert" (confirmation certificate swapped for the
	// runner's spare key, which signs the request).
	Variant string `json:"variant,omitempty"`
}

// Assert compares two captured variables.
type Assert struct {
	// Equal names two variables that must hold the same value.
	Equal []string `json:"equal,omitempty"`
	// Differ names two variables that must hold different values.
	Differ []string `json:"differ,omitempty"`
}

// Expect describes an expected answer. Empty fields are not checked.
type Expect struct {
	// Status lists the accepted HTTP statuses.
	Status []int `json:"status"`
	// Body is the body's shape: "vapi-error-api" ({"error_type",
	// "messages"}), "vapi-error-legacy" ({"type","value":{"messages"}}),
	// "legacy-value-string" ({"value":"<non-empty>"}),
	// "legacy-value-object" ({"value":{…}}), "bare-string" ("<non-empty>"),
	// "json-object", "jsonrpc-result", "jsonrpc-error" (a JSON-RPC error
	// member: -32700, -32600), "jsonrpc-vapi-error" (a vAPI standard error
	// as the result, spec §13.3; ErrorType names it), "jsonrpc-output-string"
	// (result.output a non-empty string: session create),
	// "jsonrpc-output-session-info" (result.output the STRUCTURE
	// com.vmware.cis.session.info: session get), "jsonrpc-output-void"
	// (result.output null: session delete), "empty" or "any".
	Body string `json:"body,omitempty"`
	// ErrorType is the expected error_type (API style) or the matching
	// legacy type com.vmware.vapi.std.errors.<lower-case>.
	ErrorType string `json:"error_type,omitempty"`
	// MessageID is the id of the first message of an error body.
	MessageID string `json:"message_id,omitempty"`
	// Reason is the expected vapisec reason ("a|b" for alternatives),
	// checked only when the target sends vapisec.reason.* messages.
	Reason string `json:"reason,omitempty"`
	// JSON maps dotted paths of the JSON body to regular expressions their
	// value (a string, or a number or boolean as text) must match fully.
	JSON map[string]string `json:"json,omitempty"`
	// Headers maps response header names to "present", "absent" or
	// "~<regexp>" (matched against the joined values).
	Headers map[string]string `json:"headers,omitempty"`
	// SetCookie is "present" or "absent": whether the answer sets the
	// vmware-api-session-id cookie.
	SetCookie string `json:"set_cookie,omitempty"`
	// CookieAttrs lists attributes the session cookie must carry
	// ("HttpOnly", "SameSite=Strict"), compared case-insensitively.
	CookieAttrs []string `json:"cookie_attrs,omitempty"`
	// BodyNotContains lists templates whose values must not appear in the
	// body (secrets the target must not echo).
	BodyNotContains []string `json:"body_not_contains,omitempty"`
	// BodyContains lists templates whose values must appear in the body
	// (a SOAP answer's fault type or element).
	BodyContains []string `json:"body_contains,omitempty"`
	// Matches lists the runtimes this outcome matches (alternatives).
	Matches []string `json:"matches,omitempty"`
}

// Default returns the embedded suite (testdata/vectors.json). It returns an
// error matching ErrInvalidSuite only if the embedded file is broken, which
// the package's tests rule out.
func Default() (*Suite, error) { return ParseSuite(vectorsJSON) }

// ParseSuite reads and validates a suite in the vectors.json format.
// Unknown fields are rejected.
func ParseSuite(data []byte) (*Suite, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Suite
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSuite, err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

var (
	idPattern      = regexp.MustCompile(`^(spec-[0-9]+(\.[0-9]+)*|ext-[a-z]+)/[a-z0-9]+(-[a-z0-9]+)*$`)
	bodyKinds      = map[string]bool{"": true, "vapi-error-api": true, "vapi-error-legacy": true, "legacy-value-string": true, "legacy-value-object": true, "bare-string": true, "json-object": true, "jsonrpc-result": true, "jsonrpc-error": true, "jsonrpc-vapi-error": true, "jsonrpc-output-string": true, "jsonrpc-output-session-info": true, "jsonrpc-output-void": true, "empty": true, "any": true}
	requirements   = map[string]bool{"basic": true, "hok": true, "bearer": true, "sts": true, "idle-timeout": true, "oauth": true, "oauth-key": true}
	runtimes       = map[string]bool{"java": true, "python": true, "gosdk": true, "govmomi": true, "vcsim": true, "vcenter": true, "vapisec": true}
	signKinds      = map[string]bool{"sign-hok": true, "sign-bearer": true, "jsonrpc-hok": true, "jsonrpc-bearer": true}
	captureKinds   = map[string]bool{"body-string": true, "body-value": true, "cookie": true}
	headerChecks   = map[string]bool{"present": true, "absent": true}
	cookieSettings = map[string]bool{"": true, "present": true, "absent": true}
)

// Validate checks the suite: ids unique and well-formed, levels, body kinds,
// requirements, runtimes, templates (every variable captured by an earlier
// step), step kinds and regular expressions. Errors match ErrInvalidSuite.
func (s *Suite) Validate() error {
	if s.Version != 1 {
		return fmt.Errorf("%w: version %d, want 1", ErrInvalidSuite, s.Version)
	}
	seen := map[string]bool{}
	for i := range s.Cases {
		c := &s.Cases[i]
		if !idPattern.MatchString(c.ID) {
			return fmt.Errorf("%w: case %d: id %.60q is not spec-<section>/<name>", ErrInvalidSuite, i, c.ID)
		}
		if seen[c.ID] {
			return fmt.Errorf("%w: duplicate id %q", ErrInvalidSuite, c.ID)
		}
		seen[c.ID] = true
		if err := c.validate(); err != nil {
			return fmt.Errorf("%w: case %s: %w", ErrInvalidSuite, c.ID, err)
		}
	}
	return nil
}

func (c *Case) validate() error {
	if c.Level.rank() == 0 {
		return fmt.Errorf("unknown level %q", c.Level)
	}
	if strings.TrimSpace(c.Description) == "" {
		return fmt.Errorf("no description")
	}
	if len(c.Steps) == 0 {
		return fmt.Errorf("no steps")
	}
	for _, r := range c.Requires {
		if !requirements[r] {
			return fmt.Errorf("unknown requirement %q", r)
		}
	}
	if err := checkRuntimes(c.Matches); err != nil {
		return err
	}
	vars := map[string]bool{}
	names := map[string]bool{}
	for i := range c.Steps {
		if err := c.Steps[i].validate(vars, names); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	return nil
}

func checkRuntimes(rs []string) error {
	for _, r := range rs {
		if !runtimes[r] {
			return fmt.Errorf("unknown runtime %q", r)
		}
	}
	return nil
}

// validate checks one step; vars collects the variables captured so far and
// names the step names.
func (st *Step) validate(vars, names map[string]bool) error {
	kinds := 0
	for _, set := range []bool{st.Login != "", st.Logout != "", st.Method != "", st.Repeat != "", st.Wait != "", st.Assert != nil} {
		if set {
			kinds++
		}
	}
	if kinds != 1 {
		return fmt.Errorf("a step is exactly one of login, logout, method, repeat, wait, assert")
	}
	switch {
	case st.Login != "":
		vars[st.Login] = true
		return nil
	case st.Logout != "":
		if !vars[st.Logout] {
			return fmt.Errorf("logout of unknown variable %q", st.Logout)
		}
		return nil
	case st.Wait != "":
		if st.Wait != "idle-timeout" {
			if _, err := parseDuration(st.Wait); err != nil {
				return err
			}
		}
		return nil
	case st.Assert != nil:
		for _, pair := range [][]string{st.Assert.Equal, st.Assert.Differ} {
			if pair == nil {
				continue
			}
			if len(pair) != 2 || !vars[pair[0]] || !vars[pair[1]] {
				return fmt.Errorf("assert needs two captured variables, got %q", pair)
			}
		}
		return nil
	case st.Repeat != "":
		if !names[st.Repeat] {
			return fmt.Errorf("repeat of unknown step %q", st.Repeat)
		}
	default:
		if !strings.HasPrefix(st.Path, "/") {
			return fmt.Errorf("path %q must start with /", st.Path)
		}
		for _, t := range append([]string{st.Path, st.Body}, headerTexts(st.Headers)...) {
			if err := checkTemplates(t, vars); err != nil {
				return err
			}
		}
		if st.Sign != nil && !signKinds[st.Sign.Kind] {
			return fmt.Errorf("unknown sign kind %q", st.Sign.Kind)
		}
	}
	if st.Name != "" {
		names[st.Name] = true
	}
	if (st.Expect == nil) == (len(st.ExpectOneOf) == 0) {
		return fmt.Errorf("a request needs exactly one of expect, expect_one_of")
	}
	exps := st.ExpectOneOf
	if st.Expect != nil {
		exps = []Expect{*st.Expect}
	}
	for i := range exps {
		if err := exps[i].validate(vars); err != nil {
			return err
		}
	}
	for v, kind := range st.Capture {
		if !captureKinds[kind] && !strings.HasPrefix(kind, "json:") && !strings.HasPrefix(kind, "cookie:") && !strings.HasPrefix(kind, "xml:") {
			return fmt.Errorf("unknown capture %q", kind)
		}
		vars[v] = true
	}
	return nil
}

func headerTexts(h [][2]string) []string {
	out := make([]string, 0, 2*len(h))
	for _, kv := range h {
		out = append(out, kv[0], kv[1])
	}
	return out
}

func (e *Expect) validate(vars map[string]bool) error {
	if len(e.Status) == 0 {
		return fmt.Errorf("expect without status")
	}
	if !bodyKinds[e.Body] {
		return fmt.Errorf("unknown body kind %q", e.Body)
	}
	for p, re := range e.JSON {
		if _, err := regexp.Compile("^(?:" + re + ")$"); err != nil || p == "" {
			return fmt.Errorf("json %q: bad pattern %q", p, re)
		}
	}
	for h, chk := range e.Headers {
		if !headerChecks[chk] && !strings.HasPrefix(chk, "~") {
			return fmt.Errorf("header %q: unknown check %q", h, chk)
		}
		if rest, ok := strings.CutPrefix(chk, "~"); ok {
			if _, err := regexp.Compile(rest); err != nil {
				return fmt.Errorf("header %q: %w", h, err)
			}
		}
	}
	if !cookieSettings[e.SetCookie] {
		return fmt.Errorf("unknown set_cookie %q", e.SetCookie)
	}
	for _, t := range append(slices.Clone(e.BodyNotContains), e.BodyContains...) {
		if err := checkTemplates(t, vars); err != nil {
			return err
		}
	}
	return checkRuntimes(e.Matches)
}

// Select returns the cases at or below level whose id matches run (nil
// matches all), in suite order.
func (s *Suite) Select(level Level, run *regexp.Regexp) []Case {
	var out []Case
	for _, c := range s.Cases {
		if c.Level.rank() <= level.rank() && (run == nil || run.MatchString(c.ID)) {
			out = append(out, c)
		}
	}
	return out
}
