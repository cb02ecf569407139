package verifier_test

import (
	"context"
	"testing"
	"time"

	"github.com/vapisec/vapisec/verifier"
)

// newMemoryReplayCache returns a MemoryReplayCache with opts, failing tb on
// a configuration error.
func newMemoryReplayCache(tb testing.TB, opts ...verifier.MemoryReplayOption) *verifier.MemoryReplayCache {
	tb.Helper()
	rc, err := verifier.NewMemoryReplayCache(opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return rc
}

func TestNewMemoryReplayCache(t *testing.T) {
	tests := []struct {
		name      string
		givenOpts []verifier.MemoryReplayOption
		expectErr []error
	}{
		{name: "ok, defaults"},
		{name: "ok, bound and clock", givenOpts: []verifier.MemoryReplayOption{verifier.WithMaxReplayEntries(1), verifier.WithReplayClock(time.Now)}},
		{name: "nok, zero bound", givenOpts: []verifier.MemoryReplayOption{verifier.WithMaxReplayEntries(0)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, negative bound", givenOpts: []verifier.MemoryReplayOption{verifier.WithMaxReplayEntries(-1)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, nil clock", givenOpts: []verifier.MemoryReplayOption{verifier.WithReplayClock(nil)}, expectErr: []error{verifier.ErrInvalidOption}},
		{name: "nok, nil option", givenOpts: []verifier.MemoryReplayOption{nil}, expectErr: []error{verifier.ErrInvalidOption}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := verifier.NewMemoryReplayCache(tt.givenOpts...)
			checkErr(t, err, tt.expectErr)
			if (rc == nil) == (err == nil) {
				t.Fatalf("cache, err = %v, %v: want exactly one", rc, err)
			}
		})
	}
}

// TestMemoryReplayCacheBound: WithMaxReplayEntries bounds the live entries
// and the cache fails closed beyond it.
func TestMemoryReplayCacheBound(t *testing.T) {
	rc := newMemoryReplayCache(t, verifier.WithMaxReplayEntries(2), verifier.WithReplayClock(func() time.Time { return testNow }))
	ctx := context.Background()
	for i := range 3 {
		err := rc.Record(ctx, verifier.ReplayEntry{Owner: verifier.ReplayOwner{byte(i)}, Key: verifier.ReplayKey{byte(i)}, TTL: time.Minute})
		if i < 2 {
			checkErr(t, err, nil)
			continue
		}
		checkErr(t, err, []error{verifier.ErrReplayCacheFull, verifier.ErrStoreUnavailable})
	}
}
