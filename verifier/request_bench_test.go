package verifier_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/verifier"
)

// advancingClock moves two hours per call, so that a memory replay cache
// has always expired the previous entry: the benchmark runs the real
// record path (expire, map insert, heap push) with one request.
func advancingClock() func() time.Time {
	t := testNow
	return func() time.Time { t = t.Add(2 * time.Hour); return t }
}

// BenchmarkVerifyJSONRPC_cachedHoK measures HoK JSON-RPC verification with
// a cached token and a 1 KiB params.input, side by side with one bare
// rsa.VerifyPKCS1v15 with the same key, and reports the ratio
// ("x-rsa-verify", DESIGN §8: at most 1.5).
func BenchmarkVerifyJSONRPC_cachedHoK(b *testing.B) {
	e := getReqEnv(b)
	rv := newRequestVerifier(b, e, verifier.WithReplayCache(newMemoryReplayCache(b, verifier.WithReplayClock(advancingClock()))))
	input := map[string]any{"STRUCTURE": map[string]any{"operation-input": map[string]any{"note": strings.Repeat("x", 1024)}}}
	body := signJSON(b, e, jsonReq{input: input})
	ctx := context.Background()
	if _, err := rv.VerifyJSONRPC(ctx, body); err != nil {
		b.Fatal(err)
	}
	msg := []byte(strings.Repeat("y", 1024))
	sum := sha256.Sum256(msg)
	sig := signBytes(b, e.rsaKey, "RS256", msg)
	pub := e.rsaCert.PublicKey.(*rsa.PublicKey)
	var verify, rsaOnly time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if _, err := rv.VerifyJSONRPC(ctx, body); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
		verify += t1.Sub(t0)
		rsaOnly += time.Since(t1)
	}
	b.ReportMetric(float64(verify.Nanoseconds())/float64(b.N), "verify-ns/op")
	b.ReportMetric(float64(rsaOnly.Nanoseconds())/float64(b.N), "rsa-ns/op")
	b.ReportMetric(float64(verify)/float64(rsaOnly), "x-rsa-verify")
}

// BenchmarkVerifySign_cachedHoK measures SIGN HoK verification with a
// cached token against one bare RSA verify (target: at most 1.3).
func BenchmarkVerifySign_cachedHoK(b *testing.B) {
	e := getReqEnv(b)
	rv := newRequestVerifier(b, e, verifier.WithReplayCache(newMemoryReplayCache(b, verifier.WithReplayClock(advancingClock()))))
	r, body := signSign(b, e, signReq{body: []byte(`{"spec":{"name":"vm-1"}}`)})
	hdr, err := parser.ParseSign(r.Header)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := rv.VerifySign(ctx, r, body, hdr); err != nil {
		b.Fatal(err)
	}
	msg := []byte("n\nPOST\n/api/session\nvc.example.com\n80\n")
	sum := sha256.Sum256(msg)
	sig := signBytes(b, e.rsaKey, "RS256", msg)
	pub := e.rsaCert.PublicKey.(*rsa.PublicKey)
	var verify, rsaOnly time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		if _, err := rv.VerifySign(ctx, r, body, hdr); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
			b.Fatal(err)
		}
		verify += t1.Sub(t0)
		rsaOnly += time.Since(t1)
	}
	b.ReportMetric(float64(verify.Nanoseconds())/float64(b.N), "verify-ns/op")
	b.ReportMetric(float64(rsaOnly.Nanoseconds())/float64(b.N), "rsa-ns/op")
	b.ReportMetric(float64(verify)/float64(rsaOnly), "x-rsa-verify")
}
