package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/session"
)

// instance is one vapisec Echo server of a deployment: its own Manager and
// middleware, its store on the shared Redis.
type instance struct {
	name string
	srv  *httptest.Server
}

// newInstance starts an instance whose sessions live in client's Redis (or
// in memory with a nil client), with the session endpoints and GET
// /api/whoami behind the chain. opts configure the Redis store.
func newInstance(t testing.TB, name string, client redis.UniversalClient, opts ...redisstore.Option) *instance {
	t.Helper()
	var store session.Store
	if client != nil {
		store = newStore(t, client, opts...)
	} else {
		mem, err := session.NewMemoryStore()
		if err != nil {
			t.Fatal(err)
		}
		store = mem
	}
	manager, err := session.NewManager(store)
	if err != nil {
		t.Fatal(err)
	}
	return serveInstance(t, name, manager, map[string]string{"alice@vsphere.local": "secret"})
}

// serveInstance serves manager with the session endpoints and GET
// /api/whoami behind the chain, users (name → password) logging in.
func serveInstance(t testing.TB, name string, manager *session.Manager, pass map[string]string) *instance {
	t.Helper()
	users, err := middleware.NewStaticUsers(pass)
	if err != nil {
		t.Fatal(err)
	}
	cfg := middleware.Config{Manager: manager, Authenticator: users}
	e := echo.New()
	if err := middleware.RegisterSessionEndpoints(e, cfg); err != nil {
		t.Fatal(err)
	}
	chain, err := middleware.Chain(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.GET("/api/whoami", func(c echo.Context) error {
		return c.String(http.StatusOK, middleware.SecurityContextFrom(c).Principal.String())
	}, append(chain, middleware.Require())...)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &instance{name: name, srv: srv}
}

// reply is what an instance answered.
type reply struct {
	status int
	body   string
}

// do sends a request with the given headers to the instance.
func (in *instance) do(t testing.TB, method, path string, header map[string]string) reply {
	t.Helper()
	req, err := http.NewRequest(method, in.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := in.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, in.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b)}
}

// login logs alice in and returns the session id.
func (in *instance) login(t testing.TB) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, in.srv.URL+"/api/session", nil)
	req.SetBasicAuth("alice@vsphere.local", "secret")
	req.Header.Set("vmware-use-header-authn", "true")
	resp, err := in.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var id string
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&id) != nil {
		t.Fatalf("login on %s: status %d", in.name, resp.StatusCode)
	}
	return id
}

// whoami calls the protected route with the session id.
func (in *instance) whoami(t testing.TB, id string) reply {
	t.Helper()
	return in.do(t, http.MethodGet, "/api/whoami", map[string]string{"vmware-api-session-id": id})
}

// expectStatus fails the test unless r has the status (and, for failures,
// the reason).
func expectStatus(t testing.TB, what string, r reply, status int, reason vapisec.Reason) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
	if reason != "" && !strings.Contains(r.body, reason.MessageID()) {
		t.Fatalf("%s: body %s lacks reason %s", what, r.body, reason)
	}
}

// twoInstances starts a real redis-server and two instances sharing it.
func twoInstances(t *testing.T, persist bool) (*redisServer, *instance, *instance) {
	srv := startRedis(t, persist)
	var ins [2]*instance
	for i, name := range []string{"A", "B"} {
		// One client (pool) per instance, as in production.
		ins[i] = newInstance(t, name, srv.Client(t))
	}
	return srv, ins[0], ins[1]
}

func TestTwoInstancesSessions(t *testing.T) {
	_, a, b := twoInstances(t, false)

	id := a.login(t)
	r := b.whoami(t, id)
	expectStatus(t, "use on B of a login on A", r, http.StatusOK, "")
	if r.body != "alice@vsphere.local" {
		t.Fatalf("whoami on B = %q", r.body)
	}
	expectStatus(t, "logout on A", a.do(t, http.MethodDelete, "/api/session", map[string]string{"vmware-api-session-id": id}), http.StatusNoContent, "")
	expectStatus(t, "B after the logout on A", b.whoami(t, id), http.StatusUnauthorized, vapisec.ReasonUnknownSession)
	expectStatus(t, "A after the logout on A", a.whoami(t, id), http.StatusUnauthorized, vapisec.ReasonUnknownSession)
}

func TestTwoInstancesCloneTicketRedeemedOnce(t *testing.T) {
	_, a, b := twoInstances(t, false)
	parent := a.login(t)
	const rounds, redeemers = 5, 16 // per instance
	for round := range rounds {
		r := a.do(t, http.MethodPost, middleware.DefaultCloneTicketPath, map[string]string{"vmware-api-session-id": parent})
		expectStatus(t, "acquire on A", r, http.StatusCreated, "")
		var ticket string
		if err := json.Unmarshal([]byte(r.body), &ticket); err != nil || !session.ValidTicket(ticket) {
			t.Fatalf("ticket %q: %v", r.body, err)
		}
		replies := make([]reply, 2*redeemers)
		var wg sync.WaitGroup
		for i := range replies {
			in := []*instance{a, b}[i%2]
			wg.Go(func() {
				replies[i] = in.do(t, http.MethodPost, "/api/session", map[string]string{
					vapisec.HeaderCloneTicket: ticket, "vmware-use-header-authn": "true"})
			})
		}
		wg.Wait()
		var child string
		for _, r := range replies {
			switch r.status {
			case http.StatusCreated:
				if child != "" {
					t.Fatalf("round %d: the ticket was redeemed twice", round)
				}
				if err := json.Unmarshal([]byte(r.body), &child); err != nil {
					t.Fatal(err)
				}
			case http.StatusUnauthorized:
			default:
				t.Fatalf("round %d: redeem answered %d: %s", round, r.status, r.body)
			}
		}
		if child == "" {
			t.Fatalf("round %d: nobody redeemed the ticket", round)
		}
		// The child works on both instances and dies with its parent's logout.
		expectStatus(t, "child on A", a.whoami(t, child), http.StatusOK, "")
		expectStatus(t, "child on B", b.whoami(t, child), http.StatusOK, "")
	}
	expectStatus(t, "logout of the parent on B", b.do(t, http.MethodDelete, "/api/session", map[string]string{"vmware-api-session-id": parent}), http.StatusNoContent, "")
}

func TestTwoInstancesRedisDown(t *testing.T) {
	tests := []struct {
		name          string
		givenPersist  bool
		expectSurvive bool
	}{
		{"ok, with an fsynced append-only file sessions survive a restart", true, true},
		{"ok, without persistence sessions are lost: 401, never accepted", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, a, b := twoInstances(t, tt.givenPersist)
			id := a.login(t)
			expectStatus(t, "B before", b.whoami(t, id), http.StatusOK, "")

			srv.Kill()
			for _, in := range []*instance{a, b} {
				expectStatus(t, in.name+" with Redis down", in.whoami(t, id), http.StatusServiceUnavailable, vapisec.ReasonStoreUnavailable)
				req, _ := http.NewRequest(http.MethodPost, in.srv.URL+"/api/session", nil)
				req.SetBasicAuth("alice@vsphere.local", "secret")
				req.Header.Set("vmware-use-header-authn", "true")
				resp, err := in.srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusServiceUnavailable {
					t.Fatalf("login on %s with Redis down: %d, want 503", in.name, resp.StatusCode)
				}
			}

			srv.Restart()
			for _, in := range []*instance{a, b} {
				r := in.whoami(t, id)
				if tt.expectSurvive {
					expectStatus(t, in.name+" after the restart", r, http.StatusOK, "")
				} else {
					expectStatus(t, in.name+" after the restart", r, http.StatusUnauthorized, vapisec.ReasonUnknownSession)
				}
			}
			expectStatus(t, "login after the restart", b.whoami(t, b.login(t)), http.StatusOK, "")
		})
	}
}

// TestStoreUnavailableErrors checks the errors themselves: every failure to
// reach Redis matches session.ErrStoreUnavailable, for every method.
func TestStoreUnavailableErrors(t *testing.T) {
	srv := startRedis(t, false)
	store := newStore(t, srv.Client(t))
	srv.Kill()
	ctx := t.Context()
	now := time.Now()
	rec := session.Record{
		Identity: session.Identity{Principal: vapisec.Principal{Name: "alice"}},
		Created:  now, LastAccessed: now, IdleTimeout: time.Minute, Expiry: now.Add(time.Hour),
	}
	key := session.Key{1}
	_, errTouch := store.Touch(ctx, key, now)
	_, errRedeem := store.Redeem(ctx, key, now)
	_, errGet := store.Get(ctx, key, session.KindChannel, now)
	_, errList := store.ListUser(ctx, rec.Identity.Principal, now)
	_, errDelUser := store.DeleteUser(ctx, rec.Identity.Principal, now)
	for name, err := range map[string]error{
		"Insert": store.Insert(ctx, key, rec, session.Limits{}), "Touch": errTouch, "Delete": store.Delete(ctx, key),
		"Redeem": errRedeem, "Get": errGet, "ListUser": errList, "DeleteUser": errDelUser,
	} {
		if !errors.Is(err, session.ErrStoreUnavailable) {
			t.Errorf("%s with Redis down: err = %v, want ErrStoreUnavailable", name, err)
		}
	}
}

// TestOneRoundTripPerRequest counts the commands Redis executed: an
// authenticated request costs exactly one — the EVALSHA of Touch, on its
// own round trip or in a shared pipeline, or with a touch fraction the
// HMGET that settles a fresh login session.
func TestOneRoundTripPerRequest(t *testing.T) {
	tests := []struct {
		name          string
		givenOpts     []redisstore.Option
		expectCommand string
	}{
		{"ok, default pipelines", nil, "evalsha"},
		{"ok, one round trip per call", []redisstore.Option{redisstore.WithPipelines(0)}, "evalsha"},
		{"ok, touch 1/8", []redisstore.Option{redisstore.WithTouchFraction(0.125)}, "hmget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startRedis(t, false)
			a, b := newInstance(t, "A", srv.Client(t), tt.givenOpts...), newInstance(t, "B", srv.Client(t), tt.givenOpts...)
			id := a.login(t)
			expectStatus(t, "warm-up", b.whoami(t, id), http.StatusOK, "") // loads the script
			admin := srv.Client(t)
			if err := admin.ConfigResetStat(t.Context()).Err(); err != nil {
				t.Fatal(err)
			}
			const requests = 20
			for range requests {
				expectStatus(t, "whoami", b.whoami(t, id), http.StatusOK, "")
			}
			info, err := admin.Info(t.Context(), "commandstats").Result()
			if err != nil {
				t.Fatal(err)
			}
			calls := map[string]int{}
			for _, line := range strings.Split(info, "\n") {
				name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
				if !ok {
					continue
				}
				n, _, _ := strings.Cut(rest, ",")
				calls[strings.TrimPrefix(name, "cmdstat_")], _ = strconv.Atoi(n)
			}
			delete(calls, "info")
			delete(calls, "config|resetstat")
			if calls["evalsha"] > 0 {
				// commandstats also counts the commands the script ran
				// inside Redis.
				for _, internal := range []string{"hmget", "hset", "pexpire"} {
					delete(calls, internal)
				}
			}
			if calls[tt.expectCommand] != requests || len(calls) != 1 {
				t.Fatalf("commands sent for %d requests: %v, want only %d %s", requests, calls, requests, tt.expectCommand)
			}
		})
	}
}

// TestStoreTimeoutFailsClosed: a Redis that accepts connections but never
// answers (a hung server, a black-holed network) makes every operation fail
// with ErrStoreUnavailable once the store's timeout or the caller's
// deadline passes.
func TestStoreTimeoutFailsClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // read nothing, answer nothing
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	opt, err := redisstore.ParseURL("redis://"+ln.Addr().String()+"/0", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	opt.MaxRetries = -1
	client := redis.NewClient(opt)
	t.Cleanup(func() { _ = client.Close() })

	tests := []struct {
		name        string
		givenOpts   []redisstore.Option
		givenCancel bool // the caller's context is cancelled after 50 ms
	}{
		{"nok, the store's own timeout", []redisstore.Option{redisstore.WithTimeout(50 * time.Millisecond)}, false},
		{"nok, the caller's deadline", []redisstore.Option{redisstore.WithTimeout(0)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore(t, client, tt.givenOpts...)
			ctx := t.Context()
			if tt.givenCancel {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
			}
			_, err := store.Touch(ctx, session.Key{1}, time.Now())
			if !errors.Is(err, session.ErrStoreUnavailable) {
				t.Fatalf("Touch on a hung Redis: err = %v, want ErrStoreUnavailable", err)
			}
		})
	}
}
