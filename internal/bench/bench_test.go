package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/vapisec/vapisec/session"
)

func TestRoundRatiosPairsRoundsAndTakesTheMedian(t *testing.T) {
	// Round 2 is a slow moment for the whole machine: the paired ratio is
	// unaffected, the ratio of totals would not be.
	subject := []float64{90, 45, 95, 92, 10}
	base := []float64{100, 50, 100, 100, 100}
	med, lo, hi := roundRatios(subject, base)
	if med != 0.9 || lo != 0.1 || hi != 0.95 {
		t.Fatalf("roundRatios = %v, %v, %v; want 0.9, 0.1, 0.95", med, lo, hi)
	}
	med, _, _ = roundRatios([]float64{1, 3}, []float64{1, 1})
	if med != 2 {
		t.Fatalf("even count: median %v, want 2", med)
	}
	if med, lo, hi := roundRatios(nil, []float64{1}); med != 0 || lo != 0 || hi != 0 {
		t.Fatalf("no rounds: %v %v %v", med, lo, hi)
	}
	if med, _, _ := roundRatios([]float64{1}, []float64{0}); med != 0 {
		t.Fatalf("zero baseline: %v", med)
	}
}

// TestBenchRunsEveryServer runs a very short bench: every server answers
// 200 to every request, every ratio has a bar, and the report renders in
// every format. No bar is checked: timings are not for unit tests.
func TestBenchRunsEveryServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs servers under load for a few seconds")
	}
	cfg := Config{Duration: 300 * time.Millisecond, Concurrency: 2, MaxRequests: 1000, Rounds: 2, Micro: 20 * time.Millisecond}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Servers) < 6 {
		t.Fatalf("%d servers, want at least 6", len(rep.Servers))
	}
	for _, s := range rep.Servers {
		if s.Requests == 0 || s.Errors != 0 || s.RPS <= 0 || s.Ratio <= 0 {
			t.Errorf("%s: %d requests, %d errors, %.0f req/s, ratio %.3f", s.Name, s.Requests, s.Errors, s.RPS, s.Ratio)
		}
		if s.RatioMin > s.Ratio || s.Ratio > s.RatioMax {
			t.Errorf("%s: ratio %.3f outside its rounds %.3f–%.3f", s.Name, s.Ratio, s.RatioMin, s.RatioMax)
		}
	}
	if len(rep.Ratios) < 6 {
		t.Fatalf("%d micro ratios, want at least 6", len(rep.Ratios))
	}
	for _, r := range rep.Ratios {
		if r.Ratio <= 0 || r.Bar <= 0 {
			t.Errorf("%s: ratio %v bar %v", r.Name, r.Ratio, r.Bar)
		}
	}
	var js bytes.Buffer
	if err := rep.Render(&js, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Servers) != len(rep.Servers) || back.Machine.Rounds != 2 {
		t.Fatalf("JSON does not read back: %v", err)
	}
	var table, svg bytes.Buffer
	if err := rep.Render(&table, FormatTable); err != nil || !strings.Contains(table.String(), "median of the per-round ratios") {
		t.Fatalf("table: %v\n%s", err, table.String())
	}
	if err := rep.Render(&svg, FormatSVG); err != nil || !strings.HasPrefix(svg.String(), "<svg") {
		t.Fatalf("svg: %v\n%.200s", err, svg.String())
	}
}

func TestSelectScenariosKeepsBaselines(t *testing.T) {
	all := []scenario{{name: "bare"}, {name: "session"}, {name: "basic"}, {name: "bare POST"}, {name: "HoK", baseline: "bare POST"}, {name: "session on Redis", baseline: "session"}}
	names := func(ss []scenario) string {
		var n []string
		for _, s := range ss {
			n = append(n, s.name)
		}
		return strings.Join(n, ",")
	}
	tests := []struct {
		givenExpr string
		expect    string
	}{
		{"", "bare,session,basic,bare POST,HoK,session on Redis"},
		{"Redis", "bare,session,session on Redis"},
		{"^HoK$", "bare,bare POST,HoK"},
		{"basic", "bare,basic"},
	}
	for _, tt := range tests {
		got, err := selectScenarios(all, tt.givenExpr)
		if err != nil || names(got) != tt.expect {
			t.Errorf("selectScenarios(%q) = %s, %v; want %s", tt.givenExpr, names(got), err, tt.expect)
		}
	}
	if _, err := selectScenarios(all, "nothing"); err == nil {
		t.Error("a selection matching nothing was accepted")
	}
	if _, err := selectScenarios(all, "("); err == nil {
		t.Error("an invalid regular expression was accepted")
	}
}

func TestRunRejectsABadConfig(t *testing.T) {
	valid := Config{Duration: time.Second, Concurrency: 1, MaxRequests: 1, Rounds: 1}
	tests := []struct {
		name        string
		givenConfig func(*Config)
		expectField string
	}{
		{"nok, zero duration", func(c *Config) { c.Duration = 0 }, "Duration"},
		{"nok, zero concurrency", func(c *Config) { c.Concurrency = 0 }, "Concurrency"},
		{"nok, zero rounds", func(c *Config) { c.Rounds = 0 }, "Rounds"},
		{"nok, zero max requests", func(c *Config) { c.MaxRequests = 0 }, "MaxRequests"},
		{"nok, negative micro", func(c *Config) { c.Micro = -1 }, "Micro"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.givenConfig(&cfg)
			_, err := Run(context.Background(), cfg)
			ce, ok := errors.AsType[*ConfigError](err)
			if !ok || ce.Field != tt.expectField {
				t.Fatalf("Run = %v; want a *ConfigError for %s", err, tt.expectField)
			}
		})
	}
}

func TestFloorRatiosPairsRoundsAndSubtractsTheBaseline(t *testing.T) {
	// Round 2 has no floor time: left out. Added CPU 30, 60, 45 over floors
	// of 30, 30, 30 → 1, 2, 1.5.
	med, lo, hi, added, floor := floorRatios([]float64{100, 999, 130, 115}, []float64{70, 1, 70, 70}, []float64{30, 0, 30, 30})
	if med != 1.5 || lo != 1 || hi != 2 || added != 45 || floor != 30 {
		t.Fatalf("floorRatios = %v, %v, %v, %v, %v; want 1.5, 1, 2, 45, 30", med, lo, hi, added, floor)
	}
	if med, _, _, _, _ := floorRatios([]float64{1}, nil, []float64{1}); med != 0 {
		t.Fatalf("no baseline rounds: %v", med)
	}
}

// BenchmarkHoKServer runs the bench's HoK server (cached token) and the
// bare server receiving the identical signed body in process, without
// HTTP, for CPU and allocation profiles of what verification adds
// (go test -bench HoKServer -cpuprofile/-memprofile). Its figures are not
// bars: "vapisec bench" measures those.
func BenchmarkHoKServer(b *testing.B) {
	mat, err := newBenchTokens()
	if err != nil {
		b.Fatal(err)
	}
	bs, err := newBenchSigned(mat, 1)
	if err != nil {
		b.Fatal(err)
	}
	newEcho := func() *echo.Echo {
		e := echo.New()
		e.HideBanner, e.HidePort = true, true
		return e
	}
	srv, err := newSignedServers(mat, bs, newEcho, func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	if err != nil {
		b.Fatal(err)
	}
	verify, err := rsaVerifyOp(mat, bs.bodies[0])
	if err != nil {
		b.Fatal(err)
	}
	b.Run("rsa-verify", func(b *testing.B) {
		for b.Loop() {
			if err := verify(1); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("VerifyJSONRPC", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := bs.cached.VerifyJSONRPC(context.Background(), bs.bodies[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	// added-over-rsa serves one request through the HoK server, one through
	// the bare server with the same body and runs one RSA verify, in turn,
	// and reports (HoK − bare) / RSA: the end-to-end row's ratio without
	// HTTP, measured so that machine noise hits all three alike.
	b.Run("added-over-rsa", func(b *testing.B) {
		serveOne := func(h http.Handler) {
			req := httptest.NewRequest(http.MethodPost, "/api", bytes.NewReader(bs.bodies[0]))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
		var hok, bare, rsaOp time.Duration
		for b.Loop() {
			t0 := time.Now()
			serveOne(srv.cached)
			t1 := time.Now()
			serveOne(srv.barePost)
			t2 := time.Now()
			if err := verify(1); err != nil {
				b.Fatal(err)
			}
			hok, bare, rsaOp = hok+t1.Sub(t0), bare+t2.Sub(t1), rsaOp+time.Since(t2)
		}
		b.ReportMetric(float64(hok-bare)/float64(rsaOp), "x-rsa-added")
	})
	for _, h := range []struct {
		name    string
		handler http.Handler
	}{{"bare", srv.barePost}, {"hok-cached", srv.cached}} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bs.bodies[0])))
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/api", bytes.NewReader(bs.bodies[0]))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// TestSessionRPCBodyCarriesTheSession: the session_id row's body is the
// bench body with the session in params.ctx.securityCtx, and the session
// server answers it 200 only because of that id (an unknown id is refused),
// so the row measures an authenticated call.
func TestSessionRPCBodyCarriesTheSession(t *testing.T) {
	scenarios, err := benchScenarios(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var rpc scenario
	for _, s := range scenarios {
		if s.name == "JSON-RPC session_id (body)" {
			rpc = s
		}
	}
	if rpc.handler == nil || rpc.baseline != benchBareSessionRPC {
		t.Fatalf("no session_id row with its bare baseline")
	}
	req, err := rpc.newRequest("http://127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(req.Body)
	if !bytes.Contains(body, []byte(`"securityCtx":{"schemeId":"com.vmware.vapi.std.security.session_id","sessionId":"`)) {
		t.Fatalf("body without the session: %s", body)
	}
	for _, tc := range []struct {
		name     string
		body     []byte
		expectOK bool
	}{{"the bench session", body, true}, {"an unknown session", benchSessionRPCBody(strings.Repeat("A", 43)), false}} {
		r := httptest.NewRequest(http.MethodPost, "/api", bytes.NewReader(tc.body))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		rpc.handler.ServeHTTP(rec, r)
		if reached := rec.Code == http.StatusOK && rec.Body.String() == "ok"; reached != tc.expectOK {
			t.Errorf("%s: %d %.200s; reached the handler %v, want %v", tc.name, rec.Code, rec.Body, reached, tc.expectOK)
		}
	}
}

// BenchmarkSessionRPCServer runs the session_id JSON-RPC row's server and
// its bare baseline in process, without HTTP, for profiles.
func BenchmarkSessionRPCServer(b *testing.B) {
	scenarios, err := benchScenarios(Config{})
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range scenarios {
		if s.name != "JSON-RPC session_id (body)" && s.name != benchBareSessionRPC {
			continue
		}
		b.Run(s.name, func(b *testing.B) {
			r, err := s.newRequest("http://127.0.0.1", 0)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(r.Body)
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/api", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				s.handler.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// TestRedisVariantsRunBesideTheRedisRow: --redis-compare's stores are
// measured in the same run as "session on Redis", each against the memory
// sessions, without a bar of their own.
func TestRedisVariantsRunBesideTheRedisRow(t *testing.T) {
	if testing.Short() {
		t.Skip("runs servers under load")
	}
	newStore := func() session.Store {
		s, err := session.NewMemoryStore()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cfg := Config{Duration: 300 * time.Millisecond, Concurrency: 2, MaxRequests: 500, Rounds: 2, Servers: "Redis",
		Redis: newStore(), RedisVariants: []RedisVariant{{Name: "a", Store: newStore()}, {Name: "b", Store: newStore()}}}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ServerResult{}
	for _, s := range rep.Servers {
		got[s.Name] = s
	}
	for _, name := range []string{"session", "session on Redis", "Redis option: a", "Redis option: b"} {
		s, ok := got[name]
		if !ok || s.Requests == 0 || s.Errors != 0 {
			t.Fatalf("%s: %+v (present %v)", name, s, ok)
		}
	}
	if b := got["session on Redis"].Bar; b == nil || *b != benchRedisBar {
		t.Fatalf("session on Redis: bar %v, want %v", b, benchRedisBar)
	}
	if got["Redis option: a"].Bar != nil {
		t.Fatalf("a variant has a bar")
	}
}
