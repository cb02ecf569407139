package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newDevServer(t *testing.T, o serveOptions) *httptest.Server {
	t.Helper()
	if o.bodyLimit == "" {
		o.bodyLimit = "1M"
	}
	if o.idleTimeout == 0 {
		o.idleTimeout = 30 * time.Minute
		o.maxLifetime = 12 * time.Hour
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o.addr = ln.Addr().String()
	srv, err := buildServer(o, io.Discard)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	t.Cleanup(srv.close)
	ts := httptest.NewUnstartedServer(srv.echo)
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

func TestServeDevCreatesAUser(t *testing.T) {
	srv, err := buildServer(serveOptions{dev: true, addr: "127.0.0.1:8080", bodyLimit: "1M", idleTimeout: time.Minute, maxLifetime: time.Hour}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.close()
	if len(srv.users) != 1 {
		t.Fatalf("dev users %v", srv.users)
	}
	for name, pass := range srv.users {
		if name == "" || len(pass) < 20 {
			t.Errorf("weak dev credentials %q/%q", name, pass)
		}
	}
}

func TestServeWhoami(t *testing.T) {
	ts := newDevServer(t, serveOptions{dev: true, users: []string{"alice@vsphere.local:pw"}})

	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/session", nil)
	req.SetBasicAuth("alice@vsphere.local", "pw")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	if err := json.NewDecoder(res.Body).Decode(&id); err != nil || res.StatusCode != 201 {
		t.Fatalf("login: %d %v", res.StatusCode, err)
	}
	res.Body.Close()
	cookies := res.Cookies()
	if len(cookies) != 1 || cookies[0].Secure {
		t.Fatalf("--dev over plain HTTP: want one cookie without Secure, got %v", res.Header["Set-Cookie"])
	}

	for _, tc := range []struct {
		path   string
		prefix string
	}{{"/api/vapisec/whoami", `{"scheme":`}, {"/rest/vapisec/whoami", `{"value":{"scheme":`}} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+tc.path, nil)
		req.Header.Set("vmware-api-session-id", id)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(string(body), tc.prefix) || !strings.Contains(string(body), `"domain":"vsphere.local"`) {
			t.Errorf("%s: %d %s", tc.path, res.StatusCode, body)
		}
		if strings.Contains(string(body), id) {
			t.Errorf("%s leaks the session id", tc.path)
		}
	}
}

func TestServeCookiesAreSecureOutsideDev(t *testing.T) {
	ts := newDevServer(t, serveOptions{users: []string{"u:p"}})
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/rest/com/vmware/cis/session", nil)
	req.SetBasicAuth("u", "p")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if c := res.Cookies(); len(c) != 1 || !c[0].Secure || !c[0].HttpOnly {
		t.Errorf("cookie %v", res.Header["Set-Cookie"])
	}
}

func TestServeBodyLimit(t *testing.T) {
	ts := newDevServer(t, serveOptions{users: []string{"u:p"}, bodyLimit: "1K"})
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/session", strings.NewReader(strings.Repeat("x", 4096)))
	req.SetBasicAuth("u", "p")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", res.StatusCode)
	}
}
