package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/signer"
)

// maxErrorBody bounds how much of an error body is read to find reasons.
const maxErrorBody = 64 << 10

// Client calls a vAPI server within a session: it logs in (Basic, SIGN
// with a signer.HeaderSigner, or an OAuth 2.0 bearer token from an
// oauth2.TokenSource), sends the session id in the
// vmware-api-session-id header, reads the session when idle to keep it
// alive, and on a 401 that re-login can cure logs in again and retries the
// request once. It is safe for
// concurrent use; a re-login triggered by many requests at once happens
// once.
//
// It follows redirects only within the origin (scheme, host and port) of
// the request: a redirect elsewhere, https to http included, fails the
// request with ErrCrossHostRedirect before the next hop is sent, so the
// session id, Basic credentials, bearer token and SIGN login header never reach another
// host (http.Client alone would copy vmware-api-session-id to any host, and
// Authorization to another port of the same host name). A SIGN login moved
// by a same-origin redirect is signed again for its new URL.
type Client struct {
	base  *url.URL
	cfg   config
	start time.Time

	id      atomic.Pointer[string] // current session id; nil or "" for none
	loginMu sync.Mutex             // serializes logins
	lastUse atomic.Int64           // cfg.now().Sub(start) of the last request, ns
	closed  atomic.Bool

	stop chan struct{}
	done sync.WaitGroup
}

// New returns a client of the server at baseURL (scheme and host, e.g.
// "https://vc.example.com"; a path is kept as a prefix). Exactly one of
// WithBasicAuth, WithTokenLogin and WithTokenSource is required. It does not log in: the
// first request (or Login) does. Close it to stop the keep-alive and log
// out. Errors match ErrInvalidOption or ErrNoCredentials.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: base URL %.80q must be an absolute http(s) URL", ErrInvalidOption, baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	cfg := config{keepAlive: DefaultKeepAlive, onError: func(error) {}, now: time.Now}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrInvalidOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	switch n := btoi(cfg.basic) + btoi(cfg.token != nil) + btoi(cfg.bearer != nil); {
	case n == 0:
		return nil, fmt.Errorf("%w: use WithBasicAuth, WithTokenLogin or WithTokenSource", ErrNoCredentials)
	case n > 1:
		return nil, fmt.Errorf("%w: WithBasicAuth, WithTokenLogin and WithTokenSource exclude each other", ErrInvalidOption)
	}
	if cfg.client == nil {
		cfg.client = &http.Client{}
	}
	// A copy, so the caller's client is not changed: it refuses redirects
	// to another origin before the session id, Basic credentials, SIGN
	// header or cookies reach it, and re-signs a SIGN login that a
	// same-origin redirect moved to another URL.
	hc := *cfg.client
	hc.CheckRedirect = cfg.checkRedirect(sameOriginRedirects(cfg.client.CheckRedirect))
	cfg.client = &hc
	if cfg.path == "" {
		cfg.path = vapisec.LegacySessionPath
		if cfg.style == APISession {
			cfg.path = vapisec.SessionPath
		}
	}
	c := &Client{base: u, cfg: cfg, start: cfg.now(), stop: make(chan struct{})}
	if cfg.keepAlive > 0 {
		c.done.Add(1)
		go c.keepAliveLoop()
	}
	return c, nil
}

// SessionID returns the current session id, "" before the first login and
// after Close.
func (c *Client) SessionID() string {
	if p := c.id.Load(); p != nil {
		return *p
	}
	return ""
}

// URL returns the absolute URL of path on the server.
func (c *Client) URL(path string) string {
	u := *c.base
	p, q, _ := strings.Cut(path, "?")
	u.Path += p
	u.RawQuery = q
	return u.String()
}

// NewRequest returns a request for path on the server. A body of type
// *bytes.Buffer, *bytes.Reader or *strings.Reader (or nil) can be replayed,
// so the request can be retried after a re-login.
func (c *Client) NewRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, method, c.URL(path), body)
}

// Login logs in now, replacing the current session id (the old session is
// not logged out). Errors match ErrLogin.
func (c *Client) Login(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	return c.loginLocked(ctx)
}

// relogin logs in unless another caller already replaced stale, and
// returns the current id.
func (c *Client) relogin(ctx context.Context, stale string) (string, error) {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	if c.closed.Load() {
		return "", ErrClosed
	}
	if cur := c.SessionID(); cur != "" && cur != stale {
		return cur, nil
	}
	if err := c.loginLocked(ctx); err != nil {
		return "", err
	}
	return c.SessionID(), nil
}

func (c *Client) loginLocked(ctx context.Context) error {
	req, err := c.NewRequest(ctx, http.MethodPost, c.cfg.path, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLogin, err)
	}
	req.Header.Set(vapisec.HeaderUseHeaderAuthn, "true")
	switch {
	case c.cfg.basic:
		req.SetBasicAuth(c.cfg.user, c.cfg.password)
	case c.cfg.bearer != nil:
		tok, err := signer.BearerToken(c.cfg.bearer)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrLogin, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	default:
		if err := c.cfg.token.SignRequest(req); err != nil {
			return fmt.Errorf("%w: %w", ErrLogin, err)
		}
	}
	res, err := c.cfg.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLogin, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrLogin, err)
	}
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
		if r := reasons(body); len(r) > 0 {
			return fmt.Errorf("%w: HTTP %d (%s)", ErrLogin, res.StatusCode, r[0])
		}
		return fmt.Errorf("%w: HTTP %d", ErrLogin, res.StatusCode)
	}
	id, err := sessionIDFromBody(body)
	if err != nil {
		return err
	}
	c.id.Store(&id)
	c.touch()
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sessionIDFromBody reads "<id>" (/api) or {"value":"<id>"} (/rest).
func sessionIDFromBody(body []byte) (string, error) {
	var id string
	if err := json.Unmarshal(body, &id); err != nil {
		var legacy struct {
			Value string `json:"value"`
		}
		if json.Unmarshal(body, &legacy) != nil {
			return "", fmt.Errorf("%w: unexpected login response %.40q", ErrLogin, body)
		}
		id = legacy.Value
	}
	if id == "" {
		return "", fmt.Errorf("%w: empty session id", ErrLogin)
	}
	return id, nil
}

func (c *Client) touch() { c.lastUse.Store(int64(c.cfg.now().Sub(c.start))) }

// Do sends req with the session id, logging in first when there is no
// session. When the server answers 401 and either names a reason that
// re-login cures (unknown_session, expired) or names none at all, and the
// request body can be replayed (no body, or GetBody set), it logs in again
// and sends the request once more. Otherwise the response is returned as
// is, its body intact. Like http.Client.Do, a non-2xx status is not an
// error.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	ctx := req.Context()
	id := c.SessionID()
	if id == "" {
		var err error
		if id, err = c.relogin(ctx, ""); err != nil {
			return nil, err
		}
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	res, err := c.send(req, id, false)
	if err != nil || res.StatusCode != http.StatusUnauthorized || !replayable {
		return res, err
	}
	if !reloginHelps(res) {
		return res, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorBody))
	res.Body.Close()
	if id, err = c.relogin(ctx, id); err != nil {
		return nil, err
	}
	return c.send(req, id, true)
}

// send sends a copy of req with the session header; again takes the body
// from GetBody.
func (c *Client) send(req *http.Request, id string, again bool) (*http.Response, error) {
	out := req.Clone(req.Context())
	if again && req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		out.Body = b
	}
	out.Header.Set(vapisec.HeaderSessionID, id)
	c.touch()
	return c.cfg.client.Do(out)
}

// reloginHelps reads the start of a 401 body for vapisec reasons (the
// "vapisec.reason.<reason>" message ids) and puts what it read back. No
// reason (vCenter sends none) means the status alone decides: try again.
func reloginHelps(res *http.Response) bool {
	head, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody))
	res.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), res.Body), res.Body}
	rs := reasons(head)
	if len(rs) == 0 {
		return true
	}
	for _, r := range rs {
		if r.ReauthenticationHelps() {
			return true
		}
	}
	return false
}

// vapiMessages matches the three error shapes: the /api error structure,
// the /rest {"type","value"} wrapper and a JSON-RPC error whose data is the
// error structure.
type vapiMessages struct {
	Messages []struct {
		ID string `json:"id"`
	} `json:"messages"`
	Value *vapiMessages `json:"value"`
	Error *struct {
		Data *vapiMessages `json:"data"`
	} `json:"error"`
}

// reasons returns the vapisec reasons named in an error body.
func reasons(body []byte) []vapisec.Reason {
	var m vapiMessages
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	var out []vapisec.Reason
	var walk func(m *vapiMessages, depth int)
	walk = func(m *vapiMessages, depth int) {
		if m == nil || depth > 2 {
			return
		}
		for _, msg := range m.Messages {
			if r, ok := strings.CutPrefix(msg.ID, "vapisec.reason."); ok && r != "" {
				out = append(out, vapisec.Reason(r))
			}
		}
		walk(m.Value, depth+1)
		if m.Error != nil {
			walk(m.Error.Data, depth+1)
		}
	}
	walk(&m, 0)
	return out
}

// keepAliveLoop reads the session whenever the client has been idle for
// the keep-alive period.
func (c *Client) keepAliveLoop() {
	defer c.done.Done()
	period := c.cfg.keepAlive
	t := time.NewTimer(period)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		idle := c.cfg.now().Sub(c.start) - time.Duration(c.lastUse.Load())
		if idle >= period {
			if err := c.keepAlive(); err != nil {
				c.cfg.onError(fmt.Errorf("client: keep-alive: %w", err))
			}
			idle = 0
		}
		t.Reset(period - idle)
	}
}

// keepAlive reads the session once (re-logging in if it is gone).
func (c *Client) keepAlive() error {
	if c.SessionID() == "" {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	method, path := http.MethodGet, c.cfg.path
	if c.cfg.style == LegacySession {
		method, path = http.MethodPost, c.cfg.path+"?~action=get"
	}
	req, err := c.NewRequest(ctx, method, path, nil)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorBody))
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", res.StatusCode)
	}
	return nil
}

// Close stops the keep-alive and logs out (DELETE on the session
// resource). Later calls of Do and Login fail with ErrClosed; Close itself
// may be called again and then does nothing. A logout the server refuses
// because the session is already gone is not an error.
func (c *Client) Close(ctx context.Context) error {
	if c.closed.Swap(true) {
		return nil
	}
	close(c.stop)
	c.done.Wait()
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	id := c.SessionID()
	c.id.Store(nil)
	if id == "" {
		return nil
	}
	req, err := c.NewRequest(ctx, http.MethodDelete, c.cfg.path, nil)
	if err != nil {
		return err
	}
	req.Header.Set(vapisec.HeaderSessionID, id)
	res, err := c.cfg.client.Do(req)
	if err != nil {
		return fmt.Errorf("client: logout: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxErrorBody))
	res.Body.Close()
	if res.StatusCode/100 != 2 && res.StatusCode != http.StatusUnauthorized {
		return fmt.Errorf("client: logout: HTTP %d", res.StatusCode)
	}
	return nil
}
