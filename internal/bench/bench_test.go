package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

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
