package verifier_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/verifier"
)

// TestReplayFloodByOneTokenDoesNotStarveOthers: one token holder signs
// requests as fast as it can; once it holds its share of the replay cache
// it is refused (fail closed, ErrReplayQuota), and another holder still
// gets in (issue 14 item 10, DESIGN Q22). The cache is sized so that,
// without the share, the flood fills it and locks the other holder out.
func TestReplayFloodByOneTokenDoesNotStarveOthers(t *testing.T) {
	e := getReqEnv(t)
	const share, size, flood = 8, 16, 32
	rv := newRequestVerifier(t, e, verifier.WithReplayShare(share), verifier.WithReplayCacheSize(size))
	ctx := context.Background()
	accepted := 0
	for i := range flood {
		body := signJSON(t, e, jsonReq{created: testNow.Add(time.Duration(i) * time.Second)})
		_, err := rv.VerifyJSONRPC(ctx, body)
		switch {
		case err == nil:
			accepted++
		case errors.Is(err, verifier.ErrReplayQuota):
			if !errors.Is(err, verifier.ErrStoreUnavailable) || verifier.ReasonOf(err) != vapisec.ReasonStoreUnavailable {
				t.Fatalf("request %d over the share: %v (reason %q), want ErrStoreUnavailable too", i, err, verifier.ReasonOf(err))
			}
		case errors.Is(err, verifier.ErrReplayCacheFull):
			// what the flood does without a share; the checks below fail
		default:
			t.Fatalf("flood request %d: %v", i, err)
		}
	}
	// Another holder (the ECDSA certificate) keeps working.
	if _, err := rv.VerifyJSONRPC(ctx, signJSON(t, e, jsonReq{token: e.ecToken, key: e.ecKey, alg: "ES256"})); err != nil {
		t.Fatalf("another holder after the flood: %v", err)
	}
	if accepted != share {
		t.Fatalf("the flooding holder got %d requests in, want its share %d", accepted, share)
	}
	// The flooder's accepted requests are still replays, not quota errors.
	_, err := rv.VerifyJSONRPC(ctx, signJSON(t, e, jsonReq{created: testNow}))
	checkErr(t, err, []error{verifier.ErrReplayed})
}

// TestMemoryReplayCacheShare: the share is per owner, counts only live
// entries, is freed when entries expire, and holds under concurrency.
func TestMemoryReplayCacheShare(t *testing.T) {
	now := testNow
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	rc := newMemoryReplayCache(t, verifier.WithReplayClock(clock))
	ctx := context.Background()
	a, b := verifier.ReplayOwner{'a'}, verifier.ReplayOwner{'b'}
	key := func(o verifier.ReplayOwner, i int) verifier.ReplayKey {
		return verifier.ReplayKey{o[0], byte(i), byte(i >> 8)}
	}

	tests := []struct {
		name      string
		givenOwn  verifier.ReplayOwner
		givenKey  verifier.ReplayKey
		givenTTL  time.Duration
		whenAfter time.Duration
		expectErr []error
	}{
		{"ok, a 1/2", a, key(a, 1), time.Minute, 0, nil},
		{"ok, a 2/2 (shorter TTL)", a, key(a, 2), 30 * time.Second, 0, nil},
		{"nok, a over its share", a, key(a, 3), time.Minute, 0, []error{verifier.ErrReplayQuota, verifier.ErrStoreUnavailable}},
		{"nok, a replay is a replay, not a quota error", a, key(a, 1), time.Minute, 0, []error{verifier.ErrReplayed}},
		{"ok, b has its own share", b, key(b, 1), time.Minute, 0, nil},
		{"nok, a still full 1 ns before its first expiry", a, key(a, 3), time.Minute, 30*time.Second - 1, []error{verifier.ErrReplayQuota}},
		{"ok, a's shorter entry expired: room for one", a, key(a, 3), time.Minute, 1, nil},
		{"nok, a full again", a, key(a, 4), time.Minute, 0, []error{verifier.ErrReplayQuota}},
	}
	for _, tt := range tests {
		mu.Lock()
		now = now.Add(tt.whenAfter)
		mu.Unlock()
		err := rc.Record(ctx, verifier.ReplayEntry{Owner: tt.givenOwn, Key: tt.givenKey, TTL: tt.givenTTL, Share: 2})
		if len(tt.expectErr) == 0 && err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for _, want := range tt.expectErr {
			if !errors.Is(err, want) {
				t.Fatalf("%s: err = %v, want %v", tt.name, err, want)
			}
		}
	}
	if n := rc.OwnerLen(a); n != 2 {
		t.Fatalf("OwnerLen(a) = %d, want 2", n)
	}
	// Everything expires: the owners are forgotten.
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if err := rc.Record(ctx, verifier.ReplayEntry{Owner: b, Key: key(b, 9), TTL: time.Minute, Share: 2}); err != nil {
		t.Fatal(err)
	}
	if rc.OwnerLen(a) != 0 || rc.Len() != 1 {
		t.Fatalf("after expiry: OwnerLen(a) = %d, Len = %d, want 0 and 1", rc.OwnerLen(a), rc.Len())
	}

	// Concurrent records of one owner never exceed its share.
	const share, workers = 8, 64
	c := verifier.ReplayOwner{'c'}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			err := rc.Record(ctx, verifier.ReplayEntry{Owner: c, Key: key(c, 100+i), TTL: time.Minute, Share: share})
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, verifier.ErrReplayQuota):
				t.Errorf("worker %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if ok.Load() != share {
		t.Fatalf("%d concurrent records accepted, want the share %d", ok.Load(), share)
	}
}

// TestLateReplayJustBeforeExpiryIsRefused: a request replayed at the last
// moment it could still pass the time checks is refused. The replay entry
// must live until expires + past skew (JSON-RPC) or nonce time + past skew
// (SIGN); an entry that expired earlier (e.g. a TTL shortened to 1 s) would
// let this replay in.
func TestLateReplayJustBeforeExpiryIsRefused(t *testing.T) {
	e := getReqEnv(t)
	const eps = time.Millisecond
	skew := verifier.DefaultClockSkew
	tests := []struct {
		name     string
		whenLate time.Duration // after testNow (= created / nonce time)
		verify   func(rv *verifier.RequestVerifier) error
	}{
		{
			name: "JSON-RPC at expires + skew − ε", whenLate: 10*time.Minute + skew - eps,
			verify: func(rv *verifier.RequestVerifier) error {
				_, err := rv.VerifyJSONRPC(context.Background(), signJSON(t, e, jsonReq{window: 10 * time.Minute}))
				return err
			},
		},
		{
			name: "SIGN at nonce time + skew − ε", whenLate: skew - eps,
			verify: func(rv *verifier.RequestVerifier) error {
				r, body := signSign(t, e, signReq{})
				hdr, err := parser.ParseSign(r.Header)
				if err != nil {
					t.Fatal(err)
				}
				_, err = rv.VerifySign(context.Background(), r, body, hdr)
				return err
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := testNow
			rv := newRequestVerifier(t, e, verifier.WithRequestClock(func() time.Time { return now }))
			if err := tt.verify(rv); err != nil {
				t.Fatalf("first use: %v", err)
			}
			now = testNow.Add(tt.whenLate)
			err := tt.verify(rv)
			checkErr(t, err, []error{verifier.ErrReplayed})
			// One ε later the request is too old for the time checks.
			now = now.Add(2 * eps)
			if err := tt.verify(rv); err == nil || errors.Is(err, verifier.ErrReplayed) {
				t.Fatalf("after the window: err = %v, want a time check error", err)
			}
		})
	}
}

// BenchmarkMemoryReplayCache_Record measures one Record of a fresh key
// (owners round-robin over 256 holders of 64 subjects, entries expiring as
// new ones come)
// and reports the heap bytes per live entry of a cache of 100,000 entries.
func BenchmarkMemoryReplayCache_Record(b *testing.B) {
	ctx := context.Background()
	t0 := testNow
	var tick int64
	clock := func() time.Time { tick++; return t0.Add(time.Duration(tick) * time.Millisecond) }
	rc := newMemoryReplayCache(b, verifier.WithReplayClock(clock))
	entry := func(i int) verifier.ReplayEntry {
		return verifier.ReplayEntry{
			Owner: verifier.ReplayOwner{byte(i), 1}, Subject: verifier.ReplaySubject{byte(i >> 2), 2},
			Key: verifier.ReplayKey{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24), byte(i >> 32)}, TTL: 4096 * time.Millisecond,
			Share: verifier.DefaultReplayShare, SubjectShare: verifier.DefaultReplaySubjectShare,
		}
	}
	for i := range 8192 { // warm up to the working size (4096 live entries)
		if err := rc.Record(ctx, entry(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 8192
	for b.Loop() {
		if err := rc.Record(ctx, entry(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()

	const n = 100_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	big := newMemoryReplayCache(b, verifier.WithReplayClock(func() time.Time { return t0 }))
	for i := range n {
		if err := big.Record(ctx, verifier.ReplayEntry{Owner: verifier.ReplayOwner{byte(i % 100)}, Subject: verifier.ReplaySubject{byte(i % 25)}, Key: entry(i).Key, TTL: time.Hour}); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/entry")
	runtime.KeepAlive(big)
}
