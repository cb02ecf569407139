package signer_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/signer"
)

// received is one request as the server saw it.
type received struct {
	method, path, auth string
	body               []byte
}

func recordingServer(t *testing.T) (*httptest.Server, func() []received) {
	var mu sync.Mutex
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization"), body: b})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received {
		mu.Lock()
		defer mu.Unlock()
		return append([]received(nil), got...)
	}
}

func TestTransport(t *testing.T) {
	key := keyFor(t, signer.RS256)
	token, cert := hokToken(t, key)
	js, err := signer.NewJSONRPCSigner(key, token)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := signer.NewHeaderSigner(key, token)
	if err != nil {
		t.Fatal(err)
	}
	srv, got := recordingServer(t)
	client := &http.Client{Transport: &signer.Transport{JSONRPC: js, Header: hs}}

	rpc := `{"jsonrpc":"2.0","id":1,"method":"invoke","params":{"serviceId":"s","operationId":"o","ctx":{}}}`
	rest := `{"spec":{"name":"vm"}}`
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(3)
		go func() {
			defer wg.Done()
			origBody := strings.NewReader(rpc)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api", origBody)
			res, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			if req.Header.Get("Authorization") != "" {
				t.Error("the caller's request was modified")
			}
		}()
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/vcenter/vm?x=1", strings.NewReader(rest))
			res, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
		}()
		go func() {
			defer wg.Done()
			res, err := client.Get(srv.URL + "/api/vcenter/vm")
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
		}()
	}
	wg.Wait()
	reqs := got()
	if len(reqs) != 24 {
		t.Fatalf("%d requests", len(reqs))
	}
	for _, r := range reqs {
		switch {
		case r.path == "/api":
			if r.auth != "" {
				t.Errorf("JSON-RPC request also got a SIGN header")
			}
			verifySignature(t, readSigned(t, r.body), cert.PublicKey)
		default:
			h, err := parser.ParseSignValue(r.auth)
			if err != nil {
				t.Fatalf("REST request without a valid SIGN header: %v", err)
			}
			req, _ := http.NewRequest(r.method, srv.URL+r.path, nil)
			verifySIGN(t, h, req, r.body, cert.PublicKey)
			if r.method == http.MethodPost && string(r.body) != rest {
				t.Errorf("body %q", r.body)
			}
		}
	}
}

func TestTransportJSONRPCPath(t *testing.T) {
	key := keyFor(t, signer.RS256)
	token, _ := hokToken(t, key)
	js, _ := signer.NewJSONRPCSigner(key, token)
	srv, got := recordingServer(t)
	client := &http.Client{Transport: &signer.Transport{JSONRPC: js, JSONRPCPath: "/api"}}
	body := `{"jsonrpc":"2.0","params":{}}`
	for _, path := range []string{"/api", "/other"} {
		res, err := client.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	reqs := got()
	if !bytes.Contains(reqs[0].body, []byte(`"signature"`)) {
		t.Errorf("/api body not signed: %s", reqs[0].body)
	}
	if string(reqs[1].body) != body || reqs[1].auth != "" {
		t.Errorf("/other was touched: %s %q", reqs[1].body, reqs[1].auth)
	}
}

func TestTransportBodyTooLarge(t *testing.T) {
	hs, err := signer.NewHeaderSigner(hokKey(t), readFixture(t, "samlToken.xml"))
	if err != nil {
		t.Fatal(err)
	}
	srv, got := recordingServer(t)
	client := &http.Client{Transport: &signer.Transport{Header: hs, MaxBodySize: 8}}
	_, err = client.Post(srv.URL+"/x", "text/plain", strings.NewReader("0123456789"))
	if !errors.Is(err, signer.ErrBodyTooLarge) {
		t.Errorf("error %v", err)
	}
	if len(got()) != 0 {
		t.Error("an unsigned request was sent")
	}
}
