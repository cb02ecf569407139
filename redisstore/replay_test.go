package redisstore_test

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

func newReplayCache(t testing.TB, client redis.UniversalClient) *redisstore.ReplayCache {
	t.Helper()
	rc, err := redisstore.NewReplayCache(client)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func TestReplayCacheMiniredis(t *testing.T) {
	m := miniredis.RunT(t)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	rc := newReplayCache(t, c)
	ctx := t.Context()
	k1, k2 := verifier.ReplayKey{1}, verifier.ReplayKey{2}

	tests := []struct {
		name      string
		givenKey  verifier.ReplayKey
		givenTTL  time.Duration
		whenAfter time.Duration // FastForward before the call
		expectErr []error
	}{
		{"ok, first time", k1, time.Minute, 0, nil},
		{"nok, replayed", k1, time.Minute, 0, []error{verifier.ErrReplayed}},
		{"ok, another key", k2, 1500 * time.Microsecond, 0, nil},
		{"nok, replayed 1 ms before its TTL ends (TTL rounded up to 2 ms)", k2, time.Minute, time.Millisecond, []error{verifier.ErrReplayed}},
		{"nok, replayed just before the TTL ends", k1, time.Minute, time.Minute - 2*time.Millisecond, []error{verifier.ErrReplayed}},
		{"ok, the entry expired with its TTL", k1, time.Minute, 2 * time.Millisecond, nil},
		{"ok, a zero TTL still records", verifier.ReplayKey{3}, 0, 0, nil},
		{"nok, a zero TTL replayed at once", verifier.ReplayKey{3}, 0, 0, []error{verifier.ErrReplayed}},
	}
	for _, tt := range tests {
		m.FastForward(tt.whenAfter)
		err := rc.Record(ctx, verifier.ReplayEntry{Key: tt.givenKey, TTL: tt.givenTTL})
		if len(tt.expectErr) == 0 && err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for _, want := range tt.expectErr {
			if !errors.Is(err, want) {
				t.Fatalf("%s: err = %v, want %v", tt.name, err, want)
			}
		}
	}
	if ttl := m.TTL("vapisec:replay:{" + verifier.ReplayOwner{}.String() + "}:" + verifier.ReplayKey{3}.String()); ttl != time.Millisecond {
		t.Fatalf("TTL of a zero-TTL entry = %v, want 1 ms", ttl)
	}
	m.Close()
	if err := rc.Record(ctx, verifier.ReplayEntry{Key: verifier.ReplayKey{4}, TTL: time.Minute}); !errors.Is(err, verifier.ErrStoreUnavailable) {
		t.Fatalf("Redis down: err = %v, want ErrStoreUnavailable", err)
	}
}

// fixtureNow lies inside the validity of the vcf-sdk-java signed requests.
var fixtureNow = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// fixtureInstance is the request verifier of one instance: its own token
// verifier (and token cache, which stays local), the replay cache on the
// shared Redis.
func fixtureInstance(t testing.TB, client redis.UniversalClient) *verifier.RequestVerifier {
	t.Helper()
	pem, err := os.ReadFile("../testdata/vcf-sdk-java/sts.crt.pem")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := sts.ParseCertificatePEM(pem)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return fixtureNow }
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(cert), verifier.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, verifier.WithRequestClock(clock), verifier.WithReplayCache(newReplayCache(t, client)), verifier.WithAllowedHosts("vc.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

// signRequest returns a request carrying an "Authorization: SIGN" header
// made with the vcf-sdk-java holder-of-key token and key (spec §8.2).
func signRequest(t testing.TB, nonce string, body []byte) *http.Request {
	t.Helper()
	token, err := os.ReadFile("../testdata/vcf-sdk-java/samlToken.xml")
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := os.ReadFile("../testdata/vcf-sdk-java/hok.key.pem")
	if err != nil {
		t.Fatal(err)
	}
	key, err := vapisec.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(token)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/session", bytes.NewReader(body))
	req.Host = "vc.example.com"
	bodySum := sha256.Sum256(body)
	msg := nonce + "\nPOST\n/api/session\nvc.example.com\n80\n" + string(bodySum[:]) + "\n"
	digest := sha256.Sum256([]byte(msg))
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", `SIGN token="`+base64.StdEncoding.EncodeToString(gz.Bytes())+
		`", signature_alg="RSA-SHA256", signature="`+base64.StdEncoding.EncodeToString(sig)+
		`", nonce="`+nonce+`", bodyhash="`+base64.StdEncoding.EncodeToString(bodySum[:])+`"`)
	return req
}

// verifySign parses the SIGN header of req and verifies it with rv.
func verifySign(t testing.TB, rv *verifier.RequestVerifier, req *http.Request, body []byte) error {
	t.Helper()
	hdr, err := parser.ParseSign(req.Header)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rv.VerifySign(req.Context(), req, body, hdr)
	return err
}

// TestTwoInstancesReplay: a signed JSON-RPC request or a SIGN nonce
// accepted by instance A is a replay on instance B, and of concurrent
// submissions to both exactly one is accepted.
func TestTwoInstancesReplay(t *testing.T) {
	srv := startRedis(t, false)
	a, b := fixtureInstance(t, srv.Client(t)), fixtureInstance(t, srv.Client(t))
	ctx := t.Context()

	body, err := os.ReadFile("../testdata/vcf-sdk-java/signed-request-RS256.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.VerifyJSONRPC(ctx, body); err != nil {
		t.Fatalf("JSON-RPC on A: %v", err)
	}
	_, err = b.VerifyJSONRPC(ctx, body)
	if !errors.Is(err, verifier.ErrReplayed) || verifier.ReasonOf(err) != vapisec.ReasonReplayed {
		t.Fatalf("JSON-RPC replayed on B: err = %v, want ErrReplayed", err)
	}

	nonce := strconv.FormatInt(fixtureNow.UnixMilli(), 10) + ":4711"
	sbody := []byte(`{"spec":{}}`)
	if err := verifySign(t, a, signRequest(t, nonce, sbody), sbody); err != nil {
		t.Fatalf("SIGN on A: %v", err)
	}
	if err := verifySign(t, b, signRequest(t, nonce, sbody), sbody); !errors.Is(err, verifier.ErrReplayed) {
		t.Fatalf("SIGN nonce replayed on B: err = %v, want ErrReplayed", err)
	}

	// Concurrent submissions of fresh nonces to both instances.
	for round := range 10 {
		nonce := strconv.FormatInt(fixtureNow.UnixMilli(), 10) + ":" + strconv.Itoa(9000+round)
		const submitters = 8
		errs := make([]error, submitters)
		var wg sync.WaitGroup
		for i := range errs {
			rv := []*verifier.RequestVerifier{a, b}[i%2]
			req := signRequest(t, nonce, sbody)
			wg.Go(func() { errs[i] = verifySign(t, rv, req, sbody) })
		}
		wg.Wait()
		accepted := 0
		for _, err := range errs {
			switch {
			case err == nil:
				accepted++
			case !errors.Is(err, verifier.ErrReplayed):
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if accepted != 1 {
			t.Fatalf("round %d: %d of %d submissions accepted, want exactly 1", round, accepted, submitters)
		}
	}

	srv.Kill()
	nonce = strconv.FormatInt(fixtureNow.UnixMilli(), 10) + ":1"
	err = verifySign(t, b, signRequest(t, nonce, sbody), sbody)
	if !errors.Is(err, verifier.ErrStoreUnavailable) || verifier.ReasonOf(err) != vapisec.ReasonStoreUnavailable {
		t.Fatalf("SIGN with Redis down: err = %v, want ErrStoreUnavailable", err)
	}
}

// TestReplayFloodByOneTokenDoesNotStarveOthers (Redis): one token holder's
// flood is refused once it holds its share (ErrReplayQuota, fail closed),
// across instances; another holder keeps recording; concurrent records of
// one holder never exceed the share (the count and the insert are one
// script); the entry and the holder's index carry the holder as hash tag
// (one Cluster slot) and both expire.
func TestReplayFloodByOneTokenDoesNotStarveOthers(t *testing.T) {
	const share, flood = 8, 24
	backends := []struct {
		name   string
		client func(t *testing.T) redis.UniversalClient
	}{
		{"miniredis", func(t *testing.T) redis.UniversalClient {
			m := miniredis.RunT(t)
			c := redis.NewClient(&redis.Options{Addr: m.Addr()})
			t.Cleanup(func() { _ = c.Close() })
			return c
		}},
		{"redis-server", func(t *testing.T) redis.UniversalClient { return startRedis(t, false).Client(t) }},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			client := be.client(t)
			a, b := newReplayCache(t, client), newReplayCache(t, client) // two instances
			ctx := t.Context()
			flooder, other := verifier.ReplayOwner{0xf1}, verifier.ReplayOwner{0x07}
			accepted := 0
			for i := range flood {
				rc := []*redisstore.ReplayCache{a, b}[i%2]
				err := rc.Record(ctx, verifier.ReplayEntry{Owner: flooder, Subject: verifier.ReplaySubject(flooder), Key: verifier.ReplayKey{0xf1, byte(i)}, TTL: time.Hour, Share: share})
				switch {
				case err == nil:
					accepted++
				case errors.Is(err, verifier.ErrReplayQuota) && errors.Is(err, verifier.ErrStoreUnavailable):
				default:
					t.Fatalf("flood record %d: %v", i, err)
				}
			}
			if accepted != share {
				t.Fatalf("the flooding holder stored %d entries, want its share %d", accepted, share)
			}
			if err := b.Record(ctx, verifier.ReplayEntry{Owner: other, Subject: verifier.ReplaySubject(other), Key: verifier.ReplayKey{0x07, 1}, TTL: time.Hour, Share: share}); err != nil {
				t.Fatalf("another holder after the flood: %v", err)
			}
			err := a.Record(ctx, verifier.ReplayEntry{Owner: flooder, Subject: verifier.ReplaySubject(flooder), Key: verifier.ReplayKey{0xf1, 0}, TTL: time.Hour, Share: share})
			if !errors.Is(err, verifier.ErrReplayed) {
				t.Fatalf("replay of an accepted entry: %v, want ErrReplayed", err)
			}

			// Keys: tagged by subject (here the holder's bytes), with TTLs.
			subjectIndex := "vapisec:replay:{" + verifier.ReplaySubject(flooder).String() + "}"
			index := subjectIndex + ":h:" + flooder.String()
			entry := subjectIndex + ":" + verifier.ReplayKey{0xf1, 0}.String()
			for _, k := range []string{subjectIndex, index} {
				if n, err := client.ZCard(ctx, k).Result(); err != nil || n != share {
					t.Fatalf("index %s holds %d members (%v), want %d", k, n, err, share)
				}
			}
			for _, k := range []string{subjectIndex, index, entry} {
				if ttl, err := client.PTTL(ctx, k).Result(); err != nil || ttl <= 59*time.Minute || ttl > time.Hour {
					t.Fatalf("PTTL %s = %v (%v), want about 1 h", k, ttl, err)
				}
			}

			// Concurrency: 48 records of a fresh holder, share 8.
			c := verifier.ReplayOwner{0xcc}
			const workers = 48
			errs := make([]error, workers)
			var wg sync.WaitGroup
			for i := range errs {
				rc := []*redisstore.ReplayCache{a, b}[i%2]
				wg.Go(func() {
					errs[i] = rc.Record(ctx, verifier.ReplayEntry{Owner: c, Key: verifier.ReplayKey{0xcc, byte(i)}, TTL: time.Hour, Share: share})
				})
			}
			wg.Wait()
			ok := 0
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, verifier.ErrReplayQuota):
					t.Fatalf("concurrent record %d: %v", i, err)
				}
			}
			if ok != share {
				t.Fatalf("%d of %d concurrent records stored, want the share %d", ok, workers, share)
			}
		})
	}
}

// TestReplayShareFreedByExpiry (miniredis, whose clock the test drives):
// expired entries leave the holder's index, so its share comes back.
func TestReplayShareFreedByExpiry(t *testing.T) {
	m := miniredis.RunT(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.SetTime(now)
	c := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = c.Close() })
	rc := newReplayCache(t, c)
	ctx := t.Context()
	owner := verifier.ReplayOwner{1}
	advance := func(d time.Duration) { now = now.Add(d); m.SetTime(now); m.FastForward(d) }
	record := func(k byte, ttl time.Duration) error {
		return rc.Record(ctx, verifier.ReplayEntry{Owner: owner, Key: verifier.ReplayKey{1, k}, TTL: ttl, Share: 2})
	}
	if err := record(1, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := record(2, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := record(3, time.Minute); !errors.Is(err, verifier.ErrReplayQuota) {
		t.Fatalf("over the share: %v", err)
	}
	advance(30*time.Second - time.Millisecond)
	if err := record(3, time.Minute); !errors.Is(err, verifier.ErrReplayQuota) {
		t.Fatalf("1 ms before the first expiry: %v", err)
	}
	advance(time.Millisecond)
	if err := record(3, time.Minute); err != nil {
		t.Fatalf("after an entry expired: %v", err)
	}
}

// TestLateReplayJustBeforeExpiryIsRefused (Redis): a signed request
// replayed at the last moment it could still pass the time checks is
// refused: on miniredis with Redis's clock driven along with the
// verifier's, and on redis-server by the TTL the entry gets (expires +
// skew − now for JSON-RPC, nonce time + skew − now for SIGN). A TTL
// shortened (e.g. to 1 s) fails both.
func TestLateReplayJustBeforeExpiryIsRefused(t *testing.T) {
	body, err := os.ReadFile("../testdata/vcf-sdk-java/signed-request-RS256.json")
	if err != nil {
		t.Fatal(err)
	}
	const eps = time.Millisecond
	skew := verifier.DefaultClockSkew
	expires := time.Date(2024, 1, 1, 0, 20, 0, 0, time.UTC) // the fixture's timestamp.expires
	nonce := strconv.FormatInt(fixtureNow.UnixMilli(), 10) + ":late"
	sbody := []byte(`{"spec":{}}`)
	verifyBoth := func(rv *verifier.RequestVerifier) (jsonErr, signErr error) {
		_, jsonErr = rv.VerifyJSONRPC(t.Context(), body)
		signErr = verifySign(t, rv, signRequest(t, nonce, sbody), sbody)
		return
	}

	t.Run("miniredis", func(t *testing.T) {
		m := miniredis.RunT(t)
		c := redis.NewClient(&redis.Options{Addr: m.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		now := fixtureNow
		m.SetTime(now)
		clock := func() time.Time { return now }
		rv := clockedInstance(t, c, clock)
		if jerr, serr := verifyBoth(rv); jerr != nil || serr != nil {
			t.Fatalf("first use: %v, %v", jerr, serr)
		}
		// SIGN: nonce time + skew − ε.
		late := fixtureNow.Add(skew - eps)
		m.FastForward(late.Sub(now))
		now = late
		m.SetTime(now)
		if err := verifySign(t, rv, signRequest(t, nonce, sbody), sbody); !errors.Is(err, verifier.ErrReplayed) {
			t.Fatalf("SIGN replayed at nonce time + skew − ε: %v, want ErrReplayed", err)
		}
		// JSON-RPC: expires + skew − ε.
		late = expires.Add(skew - eps)
		m.FastForward(late.Sub(now))
		now = late
		m.SetTime(now)
		if _, err := rv.VerifyJSONRPC(t.Context(), body); !errors.Is(err, verifier.ErrReplayed) {
			t.Fatalf("JSON-RPC replayed at expires + skew − ε: %v, want ErrReplayed", err)
		}
	})

	t.Run("redis-server", func(t *testing.T) {
		srv := startRedis(t, false)
		c := srv.Client(t)
		rv := clockedInstance(t, c, func() time.Time { return fixtureNow })
		if jerr, serr := verifyBoth(rv); jerr != nil || serr != nil {
			t.Fatalf("first use: %v, %v", jerr, serr)
		}
		keys, err := c.Keys(t.Context(), "vapisec:replay:{*}:[0-9a-f]*").Result() // entries, not the holder's index
		if err != nil || len(keys) != 2 {
			t.Fatalf("replay entries %v (%v), want 2", keys, err)
		}
		var ttls []time.Duration
		for _, k := range keys {
			ttl, err := c.PTTL(t.Context(), k).Result()
			if err != nil {
				t.Fatal(err)
			}
			ttls = append(ttls, ttl)
		}
		slices.Sort(ttls)
		// Redis counts down while the test runs: allow 5 s.
		for i, want := range []time.Duration{skew, expires.Add(skew).Sub(fixtureNow)} {
			if ttls[i] > want || ttls[i] < want-5*time.Second {
				t.Fatalf("entry TTLs %v, want %v (SIGN) and %v (JSON-RPC)", ttls, skew, expires.Add(skew).Sub(fixtureNow))
			}
		}
	})
}

// clockedInstance is fixtureInstance with the given clock.
func clockedInstance(t testing.TB, client redis.UniversalClient, clock func() time.Time) *verifier.RequestVerifier {
	t.Helper()
	pem, err := os.ReadFile("../testdata/vcf-sdk-java/sts.crt.pem")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := sts.ParseCertificatePEM(pem)
	if err != nil {
		t.Fatal(err)
	}
	tv, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(cert), verifier.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := verifier.NewRequestVerifier(tv, verifier.WithRequestClock(clock), verifier.WithReplayCache(newReplayCache(t, client)), verifier.WithAllowedHosts("vc.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

// TestReplayFloodByOneUserWithManyKeysDoesNotStarveOthers (Redis): one
// account with holder-of-key tokens for several fresh keys (its name
// spelled in different cases) records up to each key's share on two
// instances; the account as a whole stores only its subject share
// (ErrReplayQuota, fail closed) and Redis holds no more of its entries;
// the administrator keeps recording; concurrent records of one user with
// many keys on both instances never exceed the subject share (one script).
// Without the subject share the flood stores keys × share entries.
func TestReplayFloodByOneUserWithManyKeysDoesNotStarveOthers(t *testing.T) {
	const share, userShare, keys = 8, 16, 4
	backends := []struct {
		name   string
		client func(t *testing.T) redis.UniversalClient
	}{
		{"miniredis", func(t *testing.T) redis.UniversalClient {
			m := miniredis.RunT(t)
			c := redis.NewClient(&redis.Options{Addr: m.Addr()})
			t.Cleanup(func() { _ = c.Close() })
			return c
		}},
		{"redis-server", func(t *testing.T) redis.UniversalClient { return startRedis(t, false).Client(t) }},
	}
	spellings := [...]string{"mallory@vsphere.local", "MALLORY@vsphere.local", "mallory@VSphere.Local", "Mallory@VSPHERE.LOCAL"}
	entry := func(subject string, key, i int) verifier.ReplayEntry {
		return verifier.ReplayEntry{
			Owner: verifier.ReplayOwner{0x0e, byte(key)}, Subject: verifier.NewReplaySubject(vapisec.ParsePrincipal(subject)),
			Key: verifier.ReplayKey{0x0e, byte(key), byte(i), subject[0]}, TTL: time.Hour, Share: share, SubjectShare: userShare,
		}
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			client := be.client(t)
			a, b := newReplayCache(t, client), newReplayCache(t, client) // two instances
			ctx := t.Context()
			accepted, quota := 0, 0
			for k := range keys {
				for i := range share {
					rc := []*redisstore.ReplayCache{a, b}[(k+i)%2]
					err := rc.Record(ctx, entry(spellings[k%len(spellings)], k, i))
					switch {
					case err == nil:
						accepted++
					case errors.Is(err, verifier.ErrReplayQuota) && errors.Is(err, verifier.ErrStoreUnavailable):
						quota++
					default:
						t.Fatalf("key %d record %d: %v", k, i, err)
					}
				}
			}
			if accepted != userShare || quota != keys*share-userShare {
				t.Fatalf("mallory stored %d entries (%d quota refusals) with %d keys, want the subject share %d", accepted, quota, keys, userShare)
			}
			mallory := "vapisec:replay:{" + verifier.NewReplaySubject(vapisec.Principal{Name: "mallory", Domain: "vsphere.local"}).String() + "}"
			stored, err := client.Keys(ctx, mallory+":[0-9a-f]*").Result()
			if err != nil || len(stored) != userShare {
				t.Fatalf("Redis holds %d entries of mallory (%v), want %d", len(stored), err, userShare)
			}
			if n, err := client.ZCard(ctx, mallory).Result(); err != nil || n != userShare {
				t.Fatalf("mallory's index holds %d members (%v), want %d", n, err, userShare)
			}
			if err := b.Record(ctx, entry("administrator@vsphere.local", 0, 0)); err != nil {
				t.Fatalf("administrator after mallory's flood: %v", err)
			}
			// A replay of an accepted entry is still a replay.
			if err := a.Record(ctx, entry(spellings[0], 0, 0)); !errors.Is(err, verifier.ErrReplayed) {
				t.Fatalf("replay of mallory's first entry: %v, want ErrReplayed", err)
			}

			// Concurrency: 6 keys × 8 records of one user on both instances.
			const workers = 6 * share
			errs := make([]error, workers)
			var wg sync.WaitGroup
			for i := range errs {
				rc := []*redisstore.ReplayCache{a, b}[i%2]
				wg.Go(func() { errs[i] = rc.Record(ctx, entry("trudy@vsphere.local", 16+i/share, i%share)) })
			}
			wg.Wait()
			ok := 0
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, verifier.ErrReplayQuota):
					t.Fatalf("concurrent record %d: %v", i, err)
				}
			}
			if ok != userShare {
				t.Fatalf("%d of %d concurrent records of one user stored, want the subject share %d", ok, workers, userShare)
			}
		})
	}
}
