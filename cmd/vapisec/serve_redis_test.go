package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/vapisec/vapisec/internal/redistest"
)

func TestServeRedisSharesSessions(t *testing.T) {
	m := miniredis.RunT(t)
	url := "redis://" + m.Addr() + "/0"
	users := []string{"alice@vsphere.local:pw"}
	a := newDevServer(t, serveOptions{users: users, redisURL: url})
	b := newDevServer(t, serveOptions{users: users, redisURL: url})

	req, _ := http.NewRequest(http.MethodPost, a.URL+"/api/session", nil)
	req.SetBasicAuth("alice@vsphere.local", "pw")
	req.Header.Set("vmware-use-header-authn", "true")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	if err := json.NewDecoder(res.Body).Decode(&id); err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("login on A: %d %v", res.StatusCode, err)
	}
	res.Body.Close()

	whoami := func(base string) int {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/vapisec/whoami", nil)
		req.Header.Set("vmware-api-session-id", id)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := whoami(b.URL); got != http.StatusOK {
		t.Fatalf("whoami on B of a session from A: %d", got)
	}
	m.Close()
	if got := whoami(b.URL); got != http.StatusServiceUnavailable {
		t.Fatalf("whoami on B with Redis down: %d, want 503", got)
	}
}

func TestServeRedisFlagErrors(t *testing.T) {
	tests := []struct {
		name       string
		givenArgs  []string
		expectCode int
		expectOut  string
	}{
		{"nok, not a redis URL", []string{"serve", "--dev", "--redis", "http://example.com"}, 2, "invalid URL scheme"},
		{"nok, unreachable Redis, password not shown", []string{"serve", "--dev", "--addr", "127.0.0.1:0", "--redis", "redis://u:hunter2@127.0.0.1:1/0"}, 1, "redis://u:xxxxx@127.0.0.1:1/0"},
		{"nok, a Cluster URL is parsed (no 'unexpected option: addr'), unreachable", []string{"serve", "--dev", "--addr", "127.0.0.1:0", "--redis", "redis://:hunter2@127.0.0.1:1?addr=127.0.0.1:2"}, 1, "--redis redis://:xxxxx@127.0.0.1:1?addr=127.0.0.1:2"},
		{"nok, negative wait", []string{"serve", "--dev", "--redis", "redis://127.0.0.1:1/0", "--redis-wait-replicas", "-1"}, 2, "--redis-wait-replicas -1"},
		{"nok, wait without a timeout", []string{"serve", "--dev", "--redis", "redis://127.0.0.1:1/0", "--redis-wait-replicas", "1", "--redis-wait-timeout", "0s"}, 2, "positive timeout"},
		{"nok, wait without Redis", []string{"serve", "--dev", "--redis-wait-replicas", "1"}, 2, "--redis-wait-replicas needs --redis"},
		{"nok, a Sentinel URL is parsed, unreachable, master password not shown", []string{"serve", "--dev", "--addr", "127.0.0.1:0", "--redis", "redis://127.0.0.1:1/0?master_name=m&password=hunter2"}, 1, "master_name=m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tt.givenArgs, strings.NewReader(""), &stdout, &stderr); code != tt.expectCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.expectCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.expectOut) || strings.Contains(stderr.String()+stdout.String(), "hunter2") {
				t.Fatalf("stderr %q: want %q and no password", stderr.String(), tt.expectOut)
			}
		})
	}
}

func TestServeRedisURLFromEnvironment(t *testing.T) {
	m := miniredis.RunT(t)
	t.Setenv(envRedisURL, "redis://"+m.Addr()+"/0")
	newDevServer(t, serveOptions{users: []string{"alice@vsphere.local:pw"}})
	if len(m.Keys()) != 0 {
		t.Fatalf("keys before any login: %q", m.Keys())
	}
	if _, err := openSharedState(serveOptions{}); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := openSharedState(serveOptions{}); err == nil {
		t.Fatalf("openSharedState with $%s unreachable: no error", envRedisURL)
	}
}

// TestRedactURLHidesEveryPassword: a start-up error quotes the --redis URL;
// neither the user info's password nor a Sentinel URL's password= (the
// master's) may appear in it.
func TestRedactURLHidesEveryPassword(t *testing.T) {
	tests := []struct {
		name      string
		givenURL  string
		expectHas string
	}{
		{name: "ok, user info", givenURL: "redis://u:hunter2@h:1/0", expectHas: "h:1"},
		{name: "ok, sentinel master password", givenURL: "redis://s:hunter2@s1:26379/0?master_name=m&password=hunter2&addr=s2:26379", expectHas: "master_name=m"},
		{name: "ok, cluster", givenURL: "redis://:hunter2@h1:7000?addr=h2:7000", expectHas: "addr=h2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redactURL(tt.givenURL)
			if strings.Contains(got, "hunter2") || !strings.Contains(got, tt.expectHas) {
				t.Fatalf("redactURL(%q) = %q", tt.givenURL, got)
			}
		})
	}
}

// TestServeRedisWaitReplicas: with --redis-wait-replicas 1 a login on a
// master with a replica succeeds, and on a master without one it fails
// closed (503) instead of handing out a session a failover could lose.
func TestServeRedisWaitReplicas(t *testing.T) {
	master, _ := redistest.StartReplicated(t)
	alone := redistest.StartServer(t) // no replica to acknowledge
	users := []string{"alice@vsphere.local:pw"}
	login := func(base string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/api/session", nil)
		req.SetBasicAuth("alice@vsphere.local", "pw")
		req.Header.Set("vmware-use-header-authn", "true")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, tt := range []struct {
		name, url string
		expect    int
	}{
		{"ok, master with a replica", "redis://" + master.Addr() + "/0", http.StatusCreated},
		{"nok, master without replica", "redis://" + alone.Addr() + "/0", http.StatusServiceUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newDevServer(t, serveOptions{users: users, redisURL: tt.url, redisWait: 1, redisWaitTimeout: 200 * time.Millisecond})
			if got := login(srv.URL); got != tt.expect {
				t.Fatalf("login: %d, want %d", got, tt.expect)
			}
		})
	}
}

func TestServeRedisTouchFractionOutOfRange(t *testing.T) {
	m := miniredis.RunT(t)
	for _, f := range []float64{-0.1, 1, 2} {
		_, err := openSharedState(serveOptions{redisURL: "redis://" + m.Addr() + "/0", redisTouch: f})
		if _, ok := errors.AsType[*usageError](err); !ok || !strings.Contains(err.Error(), "--redis-touch-fraction") {
			t.Fatalf("--redis-touch-fraction %v: err = %v, want a usage error naming the flag", f, err)
		}
	}
}
