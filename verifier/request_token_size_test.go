package verifier_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/verifier"
)

// TestOversizedEncodedTokenIsRefusedBeforeDecoding: with a large decoded
// limit (1 MiB), a 300 KiB token on the wire is refused by its length alone
// (WithMaxEncodedTokenSize, default 96 KiB): it is neither base64-decoded
// nor gunzipped (an invalid base64 token gives the size error, not a base64
// one, and the refusal allocates far less than the token), on SIGN and on
// JSON-RPC.
func TestOversizedEncodedTokenIsRefusedBeforeDecoding(t *testing.T) {
	e := getReqEnv(t)
	const big = 300 << 10
	random := make([]byte, big*3/4) // gzip cannot shrink it: ~300 KiB of base64
	rand.Read(random)

	signWith := func(tok string) func(rv *verifier.RequestVerifier) error {
		r, body := signSign(t, e, signReq{})
		h := r.Header.Get("Authorization")
		i := strings.Index(h, `token="`) + len(`token="`)
		j := i + strings.IndexByte(h[i:], '"')
		r.Header.Set("Authorization", h[:i]+tok+h[j:])
		hdr, err := parser.ParseSign(r.Header)
		if err != nil {
			t.Fatal(err)
		}
		return func(rv *verifier.RequestVerifier) error {
			_, err := rv.VerifySign(context.Background(), r, body, hdr)
			return err
		}
	}
	jsonWith := func(tok string) func(rv *verifier.RequestVerifier) error {
		body := signJSON(t, e, jsonReq{after: func(sc map[string]any) { sc["signature"].(map[string]any)["samlToken"] = tok }})
		return func(rv *verifier.RequestVerifier) error {
			_, err := rv.VerifyJSONRPC(context.Background(), body)
			return err
		}
	}
	realSign := encodeSignToken(t, e.hokToken)
	realJSON, _ := json.Marshal(string(e.hokToken))
	realJSONLen := len(realJSON) - 2 // the raw string between the quotes

	tests := []struct {
		name      string
		givenOpts []verifier.RequestOption
		whenCall  func(rv *verifier.RequestVerifier) error
		expectErr []error
	}{
		{name: "nok, SIGN, 300 KiB of base64 gzip", whenCall: signWith(encodeSignToken(t, random)), expectErr: []error{verifier.ErrEncodedTokenTooLarge, verifier.ErrTokenTooLarge, verifier.ErrMalformedToken}},
		{name: "nok, SIGN, 300 KiB that is not base64: size, not base64, error", whenCall: signWith(strings.Repeat("!", big)), expectErr: []error{verifier.ErrEncodedTokenTooLarge}},
		{name: "nok, JSON-RPC, 300 KiB samlToken", whenCall: jsonWith(strings.Repeat("a", big)), expectErr: []error{verifier.ErrEncodedTokenTooLarge, verifier.ErrTokenTooLarge, verifier.ErrMalformedToken}},
		{name: "ok, SIGN, token exactly at the limit", givenOpts: []verifier.RequestOption{verifier.WithMaxEncodedTokenSize(len(realSign))}, whenCall: signWith(realSign)},
		{name: "nok, SIGN, token one byte over the limit", givenOpts: []verifier.RequestOption{verifier.WithMaxEncodedTokenSize(len(realSign) - 1)}, whenCall: signWith(realSign), expectErr: []error{verifier.ErrEncodedTokenTooLarge}},
		{name: "ok, JSON-RPC, token exactly at the limit", givenOpts: []verifier.RequestOption{verifier.WithMaxEncodedTokenSize(realJSONLen)}, whenCall: jsonWith(string(e.hokToken))},
		{name: "nok, JSON-RPC, token one byte over the limit", givenOpts: []verifier.RequestOption{verifier.WithMaxEncodedTokenSize(realJSONLen - 1)}, whenCall: jsonWith(string(e.hokToken)), expectErr: []error{verifier.ErrEncodedTokenTooLarge}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]verifier.RequestOption{verifier.WithMaxRequestTokenSize(1 << 20), verifier.WithReplayCache(noReplay{})}, tt.givenOpts...)
			rv := newRequestVerifier(t, e, opts...)
			checkErr(t, tt.whenCall(rv), tt.expectErr)
			if len(tt.expectErr) == 0 || !strings.Contains(tt.name, "SIGN") {
				return // (a JSON-RPC body is canonicalized whole before its token is looked at)
			}
			// Refused by the length alone: decoding would allocate at
			// least the decoded bytes (225 KiB) per call.
			const runs = 8
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range runs {
				_ = tt.whenCall(rv)
			}
			runtime.ReadMemStats(&after)
			if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 32<<10 {
				t.Fatalf("refusing the token allocated %d bytes per call: it was decoded", per)
			}
		})
	}
}
