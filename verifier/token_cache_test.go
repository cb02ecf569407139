package verifier_test

import (
	"context"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"github.com/vapisec/vapisec/verifier"
)

func TestVerify_cache(t *testing.T) {
	e := getEnv(t)
	tok := issue(t, e.sts, hokRequest(e))
	now := testNow
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	setNow := func(tm time.Time) { mu.Lock(); now = tm; mu.Unlock() }
	v := newVerifier(t, e, verifier.WithClock(clock))

	first, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	second, err := v.Verify(context.Background(), tok)
	if err != nil || second != first {
		t.Fatalf("cache miss: %p %p %v", first, second, err)
	}

	// An entry expires at NotOnOrAfter + skew, served from the cache.
	setNow(first.NotOnOrAfter.Add(verifier.DefaultClockSkew))
	_, err = v.Verify(context.Background(), tok)
	checkErrs(t, err, []error{verifier.ErrTokenExpired})
	// An injected clock that goes back before NotBefore − skew.
	setNow(first.NotBefore.Add(-verifier.DefaultClockSkew - time.Second))
	_, err = v.Verify(context.Background(), tok)
	checkErrs(t, err, []error{verifier.ErrTokenNotYetValid})
	setNow(testNow)

	third, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	// Reload flushes: the cached token is no longer accepted once its
	// issuer is not trusted any more.
	if err := v.Reload(verifier.TrustAnchors{Certificates: []*x509.Certificate{e.evilCert}}); err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(context.Background(), tok)
	checkErrs(t, err, []error{verifier.ErrUntrustedIssuer})
	if err := v.Reload(verifier.TrustAnchors{Certificates: []*x509.Certificate{e.stsCert}}); err != nil {
		t.Fatal(err)
	}
	fourth, err := v.Verify(context.Background(), tok)
	if err != nil || fourth == third {
		t.Fatalf("reload did not flush the cache (%v)", err)
	}
	err = v.Reload(verifier.TrustAnchors{})
	checkErrs(t, err, []error{verifier.ErrNoTrustAnchors})
}

func TestVerify_cacheDisabledAndBounded(t *testing.T) {
	e := getEnv(t)
	tok := issue(t, e.sts, hokRequest(e))
	v := newVerifier(t, e, verifier.WithCacheSize(0))
	a, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	b, err := v.Verify(context.Background(), tok)
	if err != nil || a == b {
		t.Fatalf("disabled cache returned the same token (%v)", err)
	}
	small := newVerifier(t, e, verifier.WithCacheSize(2))
	for range 5 {
		if _, err := small.Verify(context.Background(), issue(t, e.sts, hokRequest(e))); err != nil {
			t.Fatal(err)
		}
	}
	if n := verifier.CacheLen(small); n != 2 {
		t.Errorf("cache holds %d entries, want 2", n)
	}
}

func TestVerify_concurrentReload(t *testing.T) {
	e := getEnv(t)
	tok := issue(t, e.sts, hokRequest(e))
	v := newVerifier(t, e)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				got, err := v.Verify(context.Background(), tok)
				if err == nil && got.Subject.Name != "Administrator" {
					t.Error("wrong token")
				}
			}
		}()
	}
	for range 20 {
		if err := v.Reload(verifier.TrustAnchors{Certificates: []*x509.Certificate{e.stsCert}}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
}
