package bench

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vapisec/vapisec/middleware"
	"github.com/vapisec/vapisec/signer"
	"github.com/vapisec/vapisec/verifier"
)

// Bars of DESIGN §8 for signed requests.
const (
	benchHoKCachedBar  = 1.5  // HoK JSON-RPC, cached token, 1 KiB body ≤ 1.5× one RSA verify
	benchMaxBytesPerOp = 4096 // ≤ 4 KB …
	benchMaxAllocsPer  = 25   // … and ≤ 25 allocations per cached HoK request
)

// acceptAllReplays is the replay cache of the signed-request bench servers
// only: the load generator resends a small set of pre-signed requests
// (signing one costs a private-key operation, far more than verifying it),
// which a real replay cache would rightly refuse. The cost of the real
// memory replay cache is a map insert, measured by the micro-benchmarks.
type acceptAllReplays struct{}

func (acceptAllReplays) Record(context.Context, verifier.ReplayEntry) error { return nil }

// benchSigned is the material for the signed-request scenarios.
type benchSigned struct {
	tokens   *verifier.TokenVerifier
	cached   *verifier.RequestVerifier
	bodies   [][]byte // pre-signed JSON-RPC bodies of about 1 KiB
	unsigned []byte   // the same request, unsigned (the bare baseline's body)
	header   *signer.HeaderSigner
}

func newBenchSigned(mat *benchTokens, n int) (*benchSigned, error) {
	tokens, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(mat.stsCert))
	if err != nil {
		return nil, err
	}
	// The bench servers listen on 127.0.0.1, any port; SIGN is signed for it.
	cached, err := verifier.NewRequestVerifier(tokens, verifier.WithReplayCache(acceptAllReplays{}), verifier.WithAllowedHosts("127.0.0.1"))
	if err != nil {
		return nil, err
	}
	key, ok := mat.hokKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("bench: HoK key is not a crypto.Signer")
	}
	js, err := signer.NewJSONRPCSigner(key, mat.token)
	if err != nil {
		return nil, err
	}
	hs, err := signer.NewHeaderSigner(key, mat.token)
	if err != nil {
		return nil, err
	}
	bs := &benchSigned{tokens: tokens, cached: cached, header: hs, unsigned: benchJSONRPCBody(1 << 10)}
	for i := 0; i < n; i++ {
		body := bytes.Replace(benchJSONRPCBody(1<<10), []byte(`"id":"1a2b3c"`), []byte(`"id":"`+strconv.Itoa(i)+`"`), 1)
		signed, err := js.Sign(body)
		if err != nil {
			return nil, err
		}
		bs.bodies = append(bs.bodies, signed)
	}
	return bs, nil
}

// benchExtraScenarios adds the servers of the signed-request schemes (and
// of Redis sessions when cfg.Redis is set).
func benchExtraScenarios(cfg Config, newEcho func() *echo.Echo, ok echo.HandlerFunc) ([]scenario, error) {
	mat, err := newBenchTokens()
	if err != nil {
		return nil, err
	}
	bs, err := newBenchSigned(mat, 64)
	if err != nil {
		return nil, err
	}
	srv, err := newSignedServers(mat, bs, newEcho, ok)
	if err != nil {
		return nil, err
	}
	signGet := signedGet(bs.header)
	// signGet's map is filled by prepare, before the workers start, so
	// the workers only read it.
	verify, err := rsaVerifyOp(mat, bs.bodies[0])
	if err != nil {
		return nil, err
	}
	// The HoK servers are compared with bare Echo receiving the identical
	// signed bodies (token, signature and all), so that the ratio and the
	// CPU added are what verification costs, not what a larger body costs.
	scenarios := []scenario{
		{name: "bare POST /api (1 KiB JSON-RPC)", handler: srv.barePost, newRequest: post([][]byte{bs.unsigned})},
		{name: benchBareSigned, handler: srv.barePost, newRequest: post(bs.bodies)},
		{name: "HoK JSON-RPC, cached token", handler: srv.cached, newRequest: post(bs.bodies), baseline: benchBareSigned,
			floor: verify, floorName: "HoK JSON-RPC cached, end to end: CPU added over bare (same signed body) / one RSA-2048 verify", floorBar: benchHoKCachedBar},
		{name: "HoK JSON-RPC, cold token", handler: srv.cold, newRequest: post(bs.bodies), baseline: benchBareSigned},
		{name: "SIGN HoK, cached token", handler: srv.cached, newRequest: signGet, prepare: func(base string) error { _, err := signGet(base, 0); return err }},
	}
	more, err := benchRedisScenario(cfg, newEcho, ok)
	if err != nil {
		return nil, err
	}
	return append(scenarios, more...), nil
}

// signedServers are the handlers of the signed-request scenarios.
type signedServers struct {
	// barePost reads the body and answers, with no middleware.
	barePost http.Handler
	// cached verifies with the token and wire-token caches on; cold with
	// both off (and SIGN off).
	cached, cold http.Handler
}

func newSignedServers(mat *benchTokens, bs *benchSigned, newEcho func() *echo.Echo, ok echo.HandlerFunc) (*signedServers, error) {
	manager, err := newMemoryManager()
	if err != nil {
		return nil, err
	}
	readAll := func(c echo.Context) error {
		if _, err := io.Copy(io.Discard, c.Request().Body); err != nil {
			return err
		}
		return ok(c)
	}
	signedServer := func(rv *verifier.RequestVerifier) (http.Handler, error) {
		chain, err := middleware.Chain(middleware.Config{Manager: manager, RequestVerifier: rv})
		if err != nil {
			return nil, err
		}
		e := newEcho()
		e.POST("/api", readAll, append(chain, middleware.Require())...)
		e.GET("/bench", ok, append(chain, middleware.Require())...)
		return e, nil
	}
	cachedSrv, err := signedServer(bs.cached)
	if err != nil {
		return nil, err
	}
	coldTokens, err := verifier.NewTokenVerifier(verifier.WithTrustedCertificates(mat.stsCert), verifier.WithCacheSize(0))
	if err != nil {
		return nil, err
	}
	cold, err := verifier.NewRequestVerifier(coldTokens, verifier.WithReplayCache(acceptAllReplays{}), verifier.WithWireTokenCacheSize(0), verifier.WithoutSIGN())
	if err != nil {
		return nil, err
	}
	coldSrv, err := signedServer(cold)
	if err != nil {
		return nil, err
	}
	barePost := newEcho()
	barePost.POST("/api", readAll)
	return &signedServers{barePost: barePost, cached: cachedSrv, cold: coldSrv}, nil
}

// post builds request i as a POST of bodies[i mod len(bodies)] to /api.
func post(bodies [][]byte) func(string, int) (*http.Request, error) {
	return func(base string, i int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, base+"/api", bytes.NewReader(bodies[i%len(bodies)]))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
}

// signedGet builds GET /bench requests with a SIGN header. The header
// covers the host and port, so each request is signed for the server's
// address once and then resent. The first call for an address must come
// before concurrent ones (from a scenario's prepare): later calls only read
// the map of signed headers.
func signedGet(hs *signer.HeaderSigner) func(string, int) (*http.Request, error) {
	signHeaders := map[string]string{}
	return func(base string, _ int) (*http.Request, error) {
		req, err := http.NewRequest(http.MethodGet, base+"/bench", nil)
		if err != nil {
			return nil, err
		}
		h, ok := signHeaders[base]
		if !ok {
			u, _ := url.Parse(base + "/bench")
			if h, err = hs.Authorization(http.MethodGet, u, nil); err != nil {
				return nil, err
			}
			signHeaders[base] = h
		}
		req.Header.Set("Authorization", h)
		return req, nil
	}
}

// benchBareSigned is the bare Echo server that receives the HoK servers'
// signed bodies.
const benchBareSigned = "bare POST /api (same signed HoK body)"

// rsaVerifyOp returns n × the floor of a HoK request: one SHA-256 of body
// and one RSA-2048 PKCS#1 v1.5 verify with the HoK key, as the verifier
// does once per request.
func rsaVerifyOp(mat *benchTokens, body []byte) (func(n int) error, error) {
	pub, ok := mat.hokCert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("bench: HoK key is not RSA")
	}
	key, ok := mat.hokKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("bench: HoK key is not a crypto.Signer")
	}
	digest := sha256.Sum256(body)
	sig, err := key.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return func(n int) error {
		for range n {
			h := sha256.Sum256(body)
			if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// benchExtraRatios measures HoK JSON-RPC verification with a cached token
// (1 KiB body) side by side with one RSA-2048 PKCS#1 v1.5 verify with the
// same key, and the bytes and allocations of one such request.
func benchExtraRatios(d time.Duration, mat *benchTokens) ([]RatioResult, error) {
	bs, err := newBenchSigned(mat, 1)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	body := bs.bodies[0]
	if _, err := bs.cached.VerifyJSONRPC(ctx, body); err != nil {
		return nil, err
	}
	pub, ok := mat.hokCert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("bench: HoK key is not RSA")
	}
	key := mat.hokKey.(crypto.Signer)
	digest := sha256.Sum256(body)
	sig, err := key.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	rsaOp, hok, err := sideBySide(d, 8,
		func(n int) error {
			for range n {
				h := sha256.Sum256(body)
				if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
					return err
				}
			}
			return nil
		},
		func(n int) error {
			for range n {
				if _, err := bs.cached.VerifyJSONRPC(ctx, body); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	out := []RatioResult{costRatio("HoK JSON-RPC cached (1 KiB) / one RSA-2048 verify", rsaOp, hok, benchHoKCachedBar, fmt.Sprintf("%v vs %v per request", hok, rsaOp))}

	const runs = 2000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		if _, err := bs.cached.VerifyJSONRPC(ctx, body); err != nil {
			return nil, err
		}
	}
	runtime.ReadMemStats(&after)
	bytesPer := float64(after.TotalAlloc-before.TotalAlloc) / runs
	allocsPer := float64(after.Mallocs-before.Mallocs) / runs
	out = append(out,
		RatioResult{Name: "bytes per cached HoK verification", Ratio: bytesPer, Bar: benchMaxBytesPerOp, Pass: bytesPer <= benchMaxBytesPerOp, AtMost: true, Detail: "B/op"},
		RatioResult{Name: "allocations per cached HoK verification", Ratio: allocsPer, Bar: benchMaxAllocsPer, Pass: allocsPer <= benchMaxAllocsPer, AtMost: true, Detail: "allocs/op"},
	)
	return out, nil
}
