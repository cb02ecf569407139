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
