package middleware

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadLimited: the body as sent whatever the declared length says, one
// allocation of the declared size on the common path, and the limit
// enforced on what arrives.
func TestReadLimited(t *testing.T) {
	const max = 64
	body := strings.Repeat("b", 40)
	tests := []struct {
		name          string
		givenBody     io.Reader
		givenLength   int64
		expectBody    string
		expectTooBig  bool
		expectErrIs   error
		expectNilBody bool
	}{
		{name: "declared and exact", givenBody: strings.NewReader(body), givenLength: 40, expectBody: body},
		{name: "exactly max", givenBody: strings.NewReader(strings.Repeat("m", max)), givenLength: max, expectBody: strings.Repeat("m", max)},
		{name: "unknown length (chunked)", givenBody: strings.NewReader(body), givenLength: -1, expectBody: body},
		{name: "unknown length over max", givenBody: strings.NewReader(strings.Repeat("x", max+1)), givenLength: -1, expectTooBig: true, expectNilBody: true},
		{name: "declared over max, not read", givenBody: iotest.ErrReader(errors.New("must not be read")), givenLength: max + 1, expectTooBig: true, expectNilBody: true},
		{name: "shorter than declared", givenBody: strings.NewReader(body), givenLength: 50, expectErrIs: io.ErrUnexpectedEOF, expectNilBody: true},
		{name: "longer than declared, within max", givenBody: strings.NewReader(body), givenLength: 10, expectBody: body},
		{name: "one byte at a time", givenBody: iotest.OneByteReader(strings.NewReader(body)), givenLength: 40, expectBody: body},
		{name: "read error", givenBody: io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(io.ErrClosedPipe)), givenLength: 40, expectErrIs: io.ErrClosedPipe, expectNilBody: true},
		{name: "error after the declared bytes", givenBody: io.MultiReader(strings.NewReader(body), iotest.ErrReader(io.ErrClosedPipe)), givenLength: 40, expectErrIs: io.ErrClosedPipe, expectNilBody: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "/api", nil)
			req.Body, req.ContentLength = io.NopCloser(tc.givenBody), tc.givenLength
			got, tooBig, err := readLimited(req, max)
			if tc.expectErrIs != nil {
				if !errors.Is(err, tc.expectErrIs) {
					t.Fatalf("err %v, want %v", err, tc.expectErrIs)
				}
			} else if err != nil {
				t.Fatalf("err %v", err)
			}
			if tooBig != tc.expectTooBig {
				t.Errorf("tooLarge %v, want %v", tooBig, tc.expectTooBig)
			}
			if tc.expectNilBody {
				if got != nil {
					t.Errorf("body %q, want none", got)
				}
				return
			}
			if string(got) != tc.expectBody {
				t.Errorf("body %q, want %q", got, tc.expectBody)
			}
		})
	}
}

// TestBodyLongerThanItsContentLengthIsStillRefused: a request that declares
// a small Content-Length but delivers more than the limit (a transport or
// an in-process caller that does not cut the body at its declared length)
// is refused as too large, not read up to the declared length and handed on
// truncated or unchecked.
func TestBodyLongerThanItsContentLengthIsStillRefused(t *testing.T) {
	const max = 1 << 10
	req, _ := http.NewRequest(http.MethodPost, "/api", nil)
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(bytes.Repeat([]byte("a"), 4*max))), 16
	body, tooBig, err := readLimited(req, max)
	if err != nil || !tooBig || body != nil {
		t.Fatalf("declared 16 bytes, sent %d over a limit of %d: body %d bytes, tooLarge %v, err %v; want refused", 4*max, max, len(body), tooBig, err)
	}
}

// TestReadLimitedAllocatesTheDeclaredLengthOnce: a body with its length
// declared is read into one buffer of that size, plus the byte that probes
// for more (no growth from 512 bytes).
func TestReadLimitedAllocatesTheDeclaredLengthOnce(t *testing.T) {
	payload := bytes.Repeat([]byte("p"), 7<<10)
	r := bytes.NewReader(payload)
	req, _ := http.NewRequest(http.MethodPost, "/api", nil)
	rc := io.NopCloser(r)
	allocs := testing.AllocsPerRun(50, func() {
		r.Reset(payload)
		req.Body, req.ContentLength = rc, int64(len(payload))
		if b, _, err := readLimited(req, 1<<20); err != nil || len(b) != len(payload) || cap(b) > len(payload)+1 {
			t.Fatalf("len %d cap %d err %v", len(b), cap(b), err)
		}
	})
	if allocs > 1 {
		t.Errorf("%v allocations per body, want 1", allocs)
	}
}
