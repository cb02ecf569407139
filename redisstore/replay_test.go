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
		err := rc.Record(ctx, tt.givenKey, tt.givenTTL)
		if len(tt.expectErr) == 0 && err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for _, want := range tt.expectErr {
			if !errors.Is(err, want) {
				t.Fatalf("%s: err = %v, want %v", tt.name, err, want)
			}
		}
	}
	if ttl := m.TTL("vapisec:replay:" + verifier.ReplayKey{3}.String()); ttl != time.Millisecond {
		t.Fatalf("TTL of a zero-TTL entry = %v, want 1 ms", ttl)
	}
	m.Close()
	if err := rc.Record(ctx, verifier.ReplayKey{4}, time.Minute); !errors.Is(err, verifier.ErrStoreUnavailable) {
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
	key, err := sts.ParsePrivateKeyPEM(keyPEM)
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
