package verifier

import (
	"context"
	"crypto/sha256"
	"hash/maphash"
	"sync"
	"time"

	vapisec "github.com/vapisec/vapisec"
)

// verifiedToken is a token verified for a request, with what the request
// verifier needs from it on every use.
type verifiedToken struct {
	token   *Token
	info    *vapisec.TokenInfo // shared, read-only
	certSum [32]byte           // SHA-256 of the HoK certificate; zero for bearer
	state   *trustState        // trust anchors the token was verified under
	from    time.Time
	until   time.Time
}

// wireTokenCache remembers verified tokens by their exact wire text (the
// JSON string contents of samlToken, or the base64 SIGN token), so that a
// repeated token costs a maphash and a byte comparison instead of
// unescaping or gunzipping and SHA-256 of the XML. The hash only picks the
// slot: identity is decided by comparing the whole wire text, so a hash
// collision is a miss, never a confusion. Entries are valid only for the
// trust state they were verified under (Reload invalidates them) and until
// the token's validity ends.
type wireTokenCache struct {
	seed    maphash.Seed
	max     int
	mu      sync.RWMutex
	entries map[uint64]*wireEntry
}

type wireEntry struct {
	wire []byte
	tok  verifiedToken
}

func newWireTokenCache(size int) *wireTokenCache {
	if size <= 0 {
		return nil
	}
	return &wireTokenCache{seed: maphash.MakeSeed(), max: size, entries: make(map[uint64]*wireEntry, min(size, 1024))}
}

func (c *wireTokenCache) put(h uint64, e *wireEntry, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[h]; !ok && len(c.entries) >= c.max {
		makeRoom(c.entries, now, func(e *wireEntry) time.Time { return e.tok.until })
	}
	c.entries[h] = e
}

// token returns the verified token whose wire form is wire (a string or
// a byte slice, never copied on a hit); decode turns the wire form into the
// Assertion XML on a miss.
func token[W string | []byte](ctx context.Context, v *RequestVerifier, wire W, decode func(W) ([]byte, error)) (*verifiedToken, error) {
	now := v.tokens.cfg.clock()
	st := v.tokens.state.Load()
	var h uint64
	if v.wire != nil {
		switch w := any(wire).(type) {
		case string:
			h = maphash.String(v.wire.seed, w)
		case []byte:
			h = maphash.Bytes(v.wire.seed, w)
		}
		v.wire.mu.RLock()
		e := v.wire.entries[h]
		v.wire.mu.RUnlock()
		if e != nil && string(e.wire) == string(wire) && e.tok.state == st {
			if now.Before(e.tok.from) {
				return nil, newError("", ErrTokenNotYetValid)
			}
			if now.Before(e.tok.until) {
				return &e.tok, nil
			}
		}
	}
	xml, err := decode(wire)
	if err != nil {
		return nil, err
	}
	vt, err := v.tokens.verifyForRequest(ctx, xml)
	if err != nil {
		return nil, err
	}
	if v.wire != nil && vt.state == st {
		v.wire.put(h, &wireEntry{wire: []byte(string(wire)), tok: *vt}, now)
	}
	return vt, nil
}

// verifyForRequest is Verify that also returns the validity bounds and the
// trust state, for the wire token cache.
func (v *TokenVerifier) verifyForRequest(ctx context.Context, token []byte) (*verifiedToken, error) {
	e, st, err := v.verify(ctx, token)
	if err != nil {
		return nil, err
	}
	vt := &verifiedToken{token: e.token, info: e.token.Info(), state: st, from: e.from, until: e.until}
	if e.token.HoKCertificate != nil {
		vt.certSum = sha256.Sum256(e.token.HoKCertificate.Raw)
	}
	return vt, nil
}
