package verifier_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/parser"
	"github.com/vapisec/vapisec/sts"
	"github.com/vapisec/vapisec/verifier"
)

// freshHoKKey returns a new ECDSA key and a holder-of-key token for
// subject bound to it, issued by the test STS: what any account can get
// from a standard STS for a key pair it just made.
func freshHoKKey(t *testing.T, e *reqEnv, subject string, serial int64) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "key " + subject},
		NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	token, err := e.sts.Issue(sts.IssueRequest{Subject: subject, HoKCertificate: cert})
	if err != nil {
		t.Fatal(err)
	}
	return key, token
}

// TestReplayFloodByOneUserWithManyKeysDoesNotStarveOthers: one ordinary
// account gets holder-of-key tokens for several fresh key pairs (spelling
// its name in different cases) and floods signed requests with each, up to
// each key's share. The account as a whole is held to its subject share
// (ErrReplayQuota, 503), and the administrator still gets in. The cache is
// sized so that, without the subject share (or without the case folding
// of the subject), the flood fills it and the administrator is refused
// with ErrReplayCacheFull.
func TestReplayFloodByOneUserWithManyKeysDoesNotStarveOthers(t *testing.T) {
	e := getReqEnv(t)
	const share, userShare, size, keys = 8, 16, 32, 4
	rv := newRequestVerifier(t, e, verifier.WithReplayShare(share), verifier.WithReplaySubjectShare(userShare), verifier.WithReplayCacheSize(size))
	ctx := context.Background()
	spellings := [...]string{"mallory@vsphere.local", "MALLORY@vsphere.local", "mallory@VSphere.Local", "Mallory@VSPHERE.LOCAL"}
	accepted, quota := 0, 0
	for k := range keys {
		key, token := freshHoKKey(t, e, spellings[k%len(spellings)], int64(100+k))
		for i := range share {
			body := signJSON(t, e, jsonReq{token: token, key: key, alg: "ES256", created: testNow.Add(time.Duration(i) * time.Second)})
			_, err := rv.VerifyJSONRPC(ctx, body)
			switch {
			case err == nil:
				accepted++
			case errors.Is(err, verifier.ErrReplayQuota):
				if !errors.Is(err, verifier.ErrStoreUnavailable) || verifier.ReasonOf(err) != vapisec.ReasonStoreUnavailable {
					t.Fatalf("key %d request %d over the share: %v (reason %q), want ErrStoreUnavailable too", k, i, err, verifier.ReasonOf(err))
				}
				quota++
			case errors.Is(err, verifier.ErrReplayCacheFull):
				// what the flood does without a subject share; the checks below fail
			default:
				t.Fatalf("key %d request %d: %v", k, i, err)
			}
		}
	}
	// The administrator (another subject, its own key) keeps working.
	if _, err := rv.VerifyJSONRPC(ctx, signJSON(t, e, jsonReq{})); err != nil {
		t.Fatalf("administrator after mallory's flood: %v", err)
	}
	if accepted != userShare || quota != keys*share-userShare {
		t.Fatalf("mallory got %d requests in and %d quota refusals with %d keys, want the subject share %d and %d", accepted, quota, keys, userShare, keys*share-userShare)
	}
	// Mallory is still refused with a fresh key: the share is the user's.
	key, token := freshHoKKey(t, e, "mallory@vsphere.local", 200)
	_, err := rv.VerifyJSONRPC(ctx, signJSON(t, e, jsonReq{token: token, key: key, alg: "ES256"}))
	checkErr(t, err, []error{verifier.ErrReplayQuota, verifier.ErrStoreUnavailable})
	// And with SIGN (an RSA key): the same share.
	rsaKey, rsaCert, err := sts.GenerateKeyPair("mallory's RSA key", testNow.Add(-time.Hour), testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	rsaToken, err := e.sts.Issue(sts.IssueRequest{Subject: "Mallory@vsphere.local", HoKCertificate: rsaCert})
	if err != nil {
		t.Fatal(err)
	}
	r, sbody := signSign(t, e, signReq{token: rsaToken, key: rsaKey})
	hdr, err := parser.ParseSign(r.Header)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rv.VerifySign(ctx, r, sbody, hdr)
	checkErr(t, err, []error{verifier.ErrReplayQuota, verifier.ErrStoreUnavailable})
	// The administrator's SIGN login still works.
	r, sbody = signSign(t, e, signReq{})
	if hdr, err = parser.ParseSign(r.Header); err != nil {
		t.Fatal(err)
	}
	if _, err := rv.VerifySign(ctx, r, sbody, hdr); err != nil {
		t.Fatalf("administrator's SIGN after mallory's flood: %v", err)
	}
}

// TestMemoryReplayCacheSubjectShare: the subject share counts entries of
// every owner of one subject, is separate per subject, and is freed when
// entries expire; a zero SubjectShare does not bound.
func TestMemoryReplayCacheSubjectShare(t *testing.T) {
	now := testNow
	rc := newMemoryReplayCache(t, verifier.WithReplayClock(func() time.Time { return now }))
	ctx := context.Background()
	u, w := verifier.ReplaySubject{'u'}, verifier.ReplaySubject{'w'}
	tests := []struct {
		name       string
		givenSubj  verifier.ReplaySubject
		givenOwner byte
		givenShare int // subject share
		whenAfter  time.Duration
		expectErr  []error
	}{
		{"ok, u key 1", u, 1, 3, 0, nil},
		{"ok, u key 2", u, 2, 3, 0, nil},
		{"ok, u key 3 (shorter TTL below)", u, 3, 3, 0, nil},
		{"nok, u key 4: the user's share is used up", u, 4, 3, 0, []error{verifier.ErrReplayQuota, verifier.ErrStoreUnavailable}},
		{"ok, w has its own share", w, 5, 3, 0, nil},
		{"ok, no subject share: no bound", u, 6, 0, 0, nil},
		{"ok, u's first entries expired", u, 7, 3, 2 * time.Minute, nil},
	}
	for i, tt := range tests {
		now = now.Add(tt.whenAfter)
		ttl := time.Minute
		if i >= 5 {
			ttl = time.Hour
		}
		err := rc.Record(ctx, verifier.ReplayEntry{Owner: verifier.ReplayOwner{tt.givenOwner}, Subject: tt.givenSubj, Key: verifier.ReplayKey{byte(i)}, TTL: ttl, Share: 1, SubjectShare: tt.givenShare})
		if len(tt.expectErr) == 0 && err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for _, want := range tt.expectErr {
			if !errors.Is(err, want) {
				t.Fatalf("%s: err = %v, want %v", tt.name, err, want)
			}
		}
	}
	if n := rc.SubjectLen(u); n != 2 {
		t.Fatalf("SubjectLen(u) = %d, want 2 (keys 6 and 7)", n)
	}
}

func TestNewReplaySubject(t *testing.T) {
	admin := verifier.NewReplaySubject(vapisec.Principal{Name: "administrator", Domain: "vsphere.local"})
	tests := []struct {
		name        string
		givenP      vapisec.Principal
		expectSame  bool
		expectOther verifier.ReplaySubject
	}{
		{"ok, same spelling", vapisec.Principal{Name: "administrator", Domain: "vsphere.local"}, true, admin},
		{"ok, case differs", vapisec.Principal{Name: "Administrator", Domain: "VSPHERE.LOCAL"}, true, admin},
		{"nok, other name", vapisec.Principal{Name: "mallory", Domain: "vsphere.local"}, false, admin},
		{"nok, no domain", vapisec.Principal{Name: "administrator"}, false, admin},
		{"ok, non-ASCII case differs", vapisec.Principal{Name: "Jörg", Domain: "ÄRZTE.local"}, true, verifier.NewReplaySubject(vapisec.Principal{Name: "jörg", Domain: "ärzte.LOCAL"})},
		{"nok, non-ASCII name differs", vapisec.Principal{Name: "Jörg", Domain: "vsphere.local"}, false, verifier.NewReplaySubject(vapisec.Principal{Name: "jorg", Domain: "vsphere.local"})},
		{"nok, split elsewhere", vapisec.Principal{Name: "a@b", Domain: "c"}, false, verifier.NewReplaySubject(vapisec.Principal{Name: "a", Domain: "b@c"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := verifier.NewReplaySubject(tt.givenP) == tt.expectOther; got != tt.expectSame {
				t.Fatalf("NewReplaySubject(%+v) equal = %v, want %v", tt.givenP, got, tt.expectSame)
			}
		})
	}
}
