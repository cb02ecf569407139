package conformance

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Paths of the session resources every vAPI endpoint has (spec §4).
const (
	legacySessionPath = "/rest/com/vmware/cis/session"
	sessionCookieName = "vmware-api-session-id"
	sessionHeaderName = "vmware-api-session-id"
	maxBody           = 1 << 20
)

// Runner runs a suite against one target. Build it with NewRunner; Run may
// be called several times. A Runner is not safe for concurrent use.
type Runner struct {
	target *url.URL
	base   string // scheme://host[:port][/prefix], no trailing slash
	origin string // scheme://host[:port]
	config

	signingMaterials *materials
}

// config is what the options set.
type config struct {
	client *http.Client

	user, password string
	hasBasic       bool
	level          Level
	run            *regexp.Regexp
	idleTimeout    time.Duration

	hokKey  crypto.Signer
	hokCert *x509.Certificate
	stsKey  crypto.Signer
	stsCert *x509.Certificate
	token   []byte
	subject string

	oauth       *oauthMaterial
	accessToken string
	now         func() time.Time
	suite       *Suite
}

// NewRunner returns a runner for target, an http:// or https:// URL (a path
// prefix is kept: "https://vc/" and "https://gw/vc" both work). Errors match
// ErrInvalidOption or ErrInvalidSuite.
func NewRunner(target string, opts ...Option) (*Runner, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: target %.80q: want http(s)://host[:port][/prefix]", ErrInvalidOption, target)
	}
	r := &Runner{target: u, config: config{level: LevelShould, now: time.Now}}
	r.origin = u.Scheme + "://" + u.Host
	r.base = r.origin + strings.TrimSuffix(u.EscapedPath(), "/")
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&r.config); err != nil {
			return nil, err
		}
	}
	if r.suite == nil {
		if r.suite, err = Default(); err != nil {
			return nil, err
		}
	}
	if r.client == nil {
		r.client = &http.Client{Timeout: 30 * time.Second}
	}
	// Never leave the target: a copy of the client that refuses redirects.
	c := *r.client
	c.Jar = nil
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r.client = &c
	if r.subject == "" {
		r.subject = "conformance@vsphere.local"
		if strings.Contains(r.user, "@") {
			r.subject = r.user
		}
	}
	return r, nil
}

// Cases returns the cases the runner selects, in order.
func (r *Runner) Cases() []Case { return r.suite.Select(r.level, r.run) }

// Run runs the selected cases one after the other and returns the report.
// A cancelled ctx fails the remaining cases.
func (r *Runner) Run(ctx context.Context) *Report {
	rep := &Report{Target: r.target.String(), Cases: []Result{}}
	for _, c := range r.Cases() {
		rep.add(r.RunCase(ctx, c))
	}
	return rep
}

// RunCase runs one case.
func (r *Runner) RunCase(ctx context.Context, c Case) Result {
	res := Result{ID: c.ID, Level: c.Level, Description: c.Description, Matches: slices.Clone(c.Matches)}
	if c.Skip != "" {
		res.Status, res.Reason = StatusSkip, c.Skip
		return res
	}
	if missing := r.missing(c); missing != "" {
		res.Status, res.Reason = StatusSkip, missing
		return res
	}
	cr := &caseRun{r: r, vars: map[string]string{}, sent: map[string]*prepared{},
		wrongPassword: "wrong-" + randomToken(12), unknownUser: "nobody-" + randomToken(6) + "@example.invalid",
		unknownSession: randomToken(32)}
	defer cr.cleanup(ctx)
	for i := range c.Steps {
		matched, err := cr.step(ctx, &c.Steps[i])
		if err != nil {
			res.Status = StatusFail
			if errors.Is(err, ErrMissingMaterial) {
				res.Status = StatusSkip
			}
			res.Reason = fmt.Sprintf("step %d: %v", i+1, err)
			return res
		}
		if matched != nil {
			res.Matches = slices.Clone(matched)
		}
	}
	res.Status = StatusPass
	return res
}

// missing returns why the case cannot run with the runner's material, or "".
func (r *Runner) missing(c Case) string {
	need := slices.Clone(c.Requires)
	for _, st := range c.Steps {
		if st.Login != "" || usesBasic(st.Body) || usesBasic(st.Path) || slices.ContainsFunc(headerTexts(st.Headers), usesBasic) {
			need = append(need, "basic")
		}
		if st.Sign != nil {
			switch st.Sign.Kind {
			case "sign-bearer", "jsonrpc-bearer":
				need = append(need, "bearer")
			default:
				need = append(need, "hok")
			}
			if v := st.Sign.Variant; v == "bearer-as-hok" {
				need = append(need, "bearer")
			}
		}
		if st.Wait == "idle-timeout" {
			need = append(need, "idle-timeout")
		}
		need = append(need, oauthNeeds(st)...)
	}
	for _, n := range need {
		switch {
		case n == "basic" && !r.hasBasic:
			return "needs a user and password (--user)"
		case n == "idle-timeout" && r.idleTimeout == 0:
			return "needs the target's idle timeout (--idle-timeout)"
		case n == "hok" && !r.hasHoK():
			return "needs HoK material (--hok-key/--hok-cert with --sts-key/--sts-cert or --token)"
		case n == "bearer" && !r.hasBearer():
			return "needs a bearer token (--sts-key/--sts-cert or a bearer --token)"
		case n == "sts" && r.stsKey == nil:
			return "needs an STS key and certificate the target trusts (--sts-key/--sts-cert)"
		case n == "oauth" && !r.hasOAuth():
			return "needs an OAuth access token (--bearer) or a signing key the target trusts (--oauth-key)"
		case n == "oauth-key" && r.oauth == nil:
			return "needs an OAuth signing key the target trusts (--oauth-key with --oauth-issuer, --oauth-audience)"
		}
	}
	return ""
}

// caseRun is the state of one case while it runs.
type caseRun struct {
	r              *Runner
	vars           map[string]string
	sent           map[string]*prepared
	sessions       []string
	wrongPassword  string
	unknownUser    string
	unknownSession string
}

// prepared is a request ready to send (and to resend for Repeat).
type prepared struct {
	method  string
	host    string // the Host header when not the target's ("relayed")
	path    string
	headers [][2]string
	body    []byte
}

// response is what came back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// step runs one step and returns the runtimes of the alternative that
// matched (nil when the step had no alternatives).
func (cr *caseRun) step(ctx context.Context, st *Step) ([]string, error) {
	switch {
	case st.Login != "":
		return nil, cr.login(ctx, st.Login)
	case st.Logout != "":
		_, err := cr.send(ctx, &prepared{method: http.MethodDelete, path: legacySessionPath, headers: [][2]string{{sessionHeaderName, cr.vars[st.Logout]}}})
		return nil, err
	case st.Wait != "":
		d := cr.r.idleTimeout + cr.r.idleTimeout/2 + 250*time.Millisecond
		if st.Wait != "idle-timeout" {
			d, _ = parseDuration(st.Wait)
		}
		return nil, sleep(ctx, d)
	case st.Assert != nil:
		return nil, cr.assert(st.Assert)
	}
	p, err := cr.prepare(st)
	if err != nil {
		return nil, err
	}
	if st.Name != "" {
		cr.sent[st.Name] = p
	}
	res, err := cr.send(ctx, p)
	if err != nil {
		return nil, err
	}
	exps := st.ExpectOneOf
	if st.Expect != nil {
		exps = []Expect{*st.Expect}
	}
	var first error
	var matched []string
	for i := range exps {
		err := cr.check(&exps[i], p, res)
		if err == nil {
			matched = exps[i].Matches
			first = nil
			break
		}
		if first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	if err := cr.capture(st, p, res); err != nil {
		return nil, err
	}
	return matched, nil
}

// prepare expands the templates of a request step and signs it.
func (cr *caseRun) prepare(st *Step) (*prepared, error) {
	if st.Repeat != "" {
		p, ok := cr.sent[st.Repeat]
		if !ok {
			return nil, fmt.Errorf("%w: repeat of a step that did not run: %q", ErrInvalidSuite, st.Repeat)
		}
		return p, nil
	}
	p := &prepared{method: st.Method}
	var err error
	if p.path, err = cr.expand(st.Path); err != nil {
		return nil, err
	}
	body, err := cr.expand(st.Body)
	if err != nil {
		return nil, err
	}
	p.body = []byte(body)
	for _, kv := range st.Headers {
		v, err := cr.expand(kv[1])
		if err != nil {
			return nil, err
		}
		p.headers = append(p.headers, [2]string{kv[0], v})
	}
	if st.Sign != nil {
		if err := cr.sign(st.Sign, p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// login logs in with the runner's Basic credentials on the legacy resource
// and captures the session id into variable v.
func (cr *caseRun) login(ctx context.Context, v string) error {
	res, err := cr.send(ctx, &prepared{method: http.MethodPost, path: legacySessionPath, headers: [][2]string{
		{"Authorization", basicHeader(cr.r.user, cr.r.password)}, {"vmware-use-header-authn", "true"}}})
	if err != nil {
		return err
	}
	var body struct {
		Value string `json:"value"`
	}
	if res.status != http.StatusOK || json.Unmarshal(res.body, &body) != nil || body.Value == "" {
		return fmt.Errorf("%w: login: status %d, body %s", ErrUnexpected, res.status, excerpt(res.body))
	}
	cr.vars[v] = body.Value
	cr.sessions = append(cr.sessions, body.Value)
	return nil
}

// cleanup logs out every session the case created (errors ignored: the
// case may have ended them).
func (cr *caseRun) cleanup(ctx context.Context) {
	for _, id := range cr.sessions {
		_, _ = cr.send(context.WithoutCancel(ctx), &prepared{method: http.MethodDelete, path: legacySessionPath, headers: [][2]string{{sessionHeaderName, id}}})
	}
}

// send sends p to the target.
func (cr *caseRun) send(ctx context.Context, p *prepared) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, p.method, cr.r.base+p.path, bytes.NewReader(p.body))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	if req.URL.Host != cr.r.target.Host {
		return nil, fmt.Errorf("%w: request to %q is not for the target", ErrInvalidSuite, req.URL.Host)
	}
	if len(p.body) == 0 {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	if p.host != "" {
		// Only the Host header changes: the request still goes to the target.
		req.Host = p.host
	}
	for _, kv := range p.headers {
		// Raw names, in order, duplicates kept: the cases test exactly that.
		req.Header[kv[0]] = append(req.Header[kv[0]], kv[1])
	}
	if len(p.body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := cr.r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTransport, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%w: reading the answer: %w", ErrTransport, err)
	}
	return &response{status: res.StatusCode, header: res.Header, body: body}, nil
}

// capture stores the parts of res the step asks for.
func (cr *caseRun) capture(st *Step, p *prepared, res *response) error {
	isLogin := p.method == http.MethodPost && !strings.Contains(p.path, "?") &&
		(p.path == legacySessionPath || p.path == "/api/session")
	for v, kind := range st.Capture {
		var val string
		switch {
		case kind == "body-string":
			if err := json.Unmarshal(res.body, &val); err != nil {
				return fmt.Errorf("%w: capture %s: body is not a JSON string: %s", ErrUnexpected, v, excerpt(res.body))
			}
		case kind == "body-value":
			var b struct {
				Value string `json:"value"`
			}
			if err := json.Unmarshal(res.body, &b); err != nil {
				return fmt.Errorf("%w: capture %s: body is not {\"value\":\"…\"}: %s", ErrUnexpected, v, excerpt(res.body))
			}
			val = b.Value
		case strings.HasPrefix(kind, "cookie:"):
			// A named cookie (the SOAP session's vmware_soap_session).
			name := strings.TrimPrefix(kind, "cookie:")
			for _, c := range (&http.Response{Header: res.header}).Cookies() {
				if c.Name == name {
					val = c.Value
				}
			}
			if val == "" {
				return fmt.Errorf("%w: capture %s: no %s cookie set", ErrUnexpected, v, name)
			}
		case strings.HasPrefix(kind, "xml:"):
			// The text of the first element of that local name (a SOAP
			// answer's returnval).
			m := xmlElementText(res.body, strings.TrimPrefix(kind, "xml:"))
			if m == "" {
				return fmt.Errorf("%w: capture %s: no %s element with text in the answer: %s", ErrUnexpected, v, strings.TrimPrefix(kind, "xml:"), excerpt(res.body))
			}
			val = m
		case kind == "cookie":
			c := sessionCookie(res.header)
			if c == nil {
				return fmt.Errorf("%w: capture %s: no %s cookie set", ErrUnexpected, v, sessionCookieName)
			}
			val = c.Value
		default:
			var doc any
			if err := json.Unmarshal(res.body, &doc); err != nil {
				return fmt.Errorf("%w: capture %s: body is not JSON", ErrUnexpected, v)
			}
			x, ok := lookup(doc, strings.TrimPrefix(kind, "json:"))
			if !ok {
				return fmt.Errorf("%w: capture %s: no %s in the body", ErrUnexpected, v, kind)
			}
			val = scalarText(x)
		}
		if val == "" {
			return fmt.Errorf("%w: capture %s: empty value", ErrUnexpected, v)
		}
		cr.vars[v] = val
		if isLogin && kind != "cookie" && res.status < 300 {
			cr.sessions = append(cr.sessions, val)
		}
	}
	return nil
}

func (cr *caseRun) assert(a *Assert) error {
	if a.Equal != nil && cr.vars[a.Equal[0]] != cr.vars[a.Equal[1]] {
		return fmt.Errorf("%w: %s and %s differ", ErrUnexpected, a.Equal[0], a.Equal[1])
	}
	if a.Differ != nil && cr.vars[a.Differ[0]] == cr.vars[a.Differ[1]] {
		return fmt.Errorf("%w: %s and %s are equal", ErrUnexpected, a.Differ[0], a.Differ[1])
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrTransport, ctx.Err())
	case <-t.C:
		return nil
	}
}

// randomToken returns n random bytes as base64url (a session id of n=32
// looks like a vapisec id and is no one's).
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on supported platforms; a fixed value
		// still yields working (if predictable) test data.
		return hex.EncodeToString(b)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// excerpt quotes the start of an answer body for a reason line.
func excerpt(b []byte) string {
	if len(b) == 0 {
		return "(empty)"
	}
	return fmt.Sprintf("%.80q", b)
}

// xmlElementText returns the unescaped text of the first element named
// local (any prefix) in body, or "" when there is none or it holds markup.
func xmlElementText(body []byte, local string) string {
	re, err := regexp.Compile(`<(?:[A-Za-z_][\w.-]*:)?` + regexp.QuoteMeta(local) + `(?:\s[^>]*)?>([^<]*)</`)
	if err != nil {
		return ""
	}
	m := re.FindSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(string(m[1]))
}
