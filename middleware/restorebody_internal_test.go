package middleware

import (
	"io"
	"net/http/httptest"
	"testing"
)

// TestRestoredBodyReadsTheSameBytesAgain: after restoreBody the handler
// reads exactly the body, Close is harmless, and GetBody gives a fresh
// reader of the same bytes every time (also after Body was read).
func TestRestoredBodyReadsTheSameBytesAgain(t *testing.T) {
	req := httptest.NewRequest("POST", "/api", nil)
	body := []byte(`{"jsonrpc":"2.0"}`)
	restoreBody(req, body)
	for i := range 3 {
		var r io.ReadCloser = req.Body
		if i > 0 {
			var err error
			if r, err = req.GetBody(); err != nil {
				t.Fatal(err)
			}
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != string(body) || r.Close() != nil {
			t.Fatalf("read %d: %q, %v; want %q", i, got, err, body)
		}
	}
	if req.ContentLength != int64(len(body)) {
		t.Fatalf("ContentLength %d", req.ContentLength)
	}
}

// TestRestoringTheSameBodyRewindsIt: restoring the bytes the request
// already carries rewinds the reader (a handler after the SAML middleware
// reads the whole body even if something before it read part of it);
// other bytes get a new reader.
func TestRestoringTheSameBodyRewindsIt(t *testing.T) {
	req := httptest.NewRequest("POST", "/api", nil)
	body := []byte(`{"jsonrpc":"2.0","method":"invoke"}`)
	restoreBody(req, body)
	first := req.Body
	if _, err := io.ReadFull(req.Body, make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	restoreBody(req, body)
	if req.Body != first {
		t.Fatal("the same bytes got a new reader")
	}
	if got, _ := io.ReadAll(req.Body); string(got) != string(body) {
		t.Fatalf("after rewinding: %q", got)
	}
	other := []byte(`{"jsonrpc":"2.0","method":"invoke"}`)
	restoreBody(req, other[:len(other)-1])
	if got, _ := io.ReadAll(req.Body); string(got) != string(other[:len(other)-1]) || req.Body == first {
		t.Fatalf("other bytes: %q", got)
	}
	if r, err := req.GetBody(); err != nil {
		t.Fatal(err)
	} else if got, _ := io.ReadAll(r); string(got) != string(other[:len(other)-1]) {
		t.Fatalf("GetBody: %q", got)
	}
}
