package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"slices"
	"time"

	"github.com/vapisec/vapisec/session"
)

// Config says what Run measures and for how long. Its zero value is not
// usable: Duration, Concurrency, MaxRequests and Rounds are required.
type Config struct {
	// Duration is the load time per server, split evenly over the rounds.
	// Required: it must be positive.
	Duration time.Duration
	// Concurrency is the number of concurrent client connections per
	// server. Required: it must be positive.
	Concurrency int
	// MaxRequests caps the requests sent to one server over all rounds.
	// Required: it must be positive.
	MaxRequests int
	// Rounds is the number of interleaved rounds over the servers; every
	// ratio is the median of the per-round ratios. Required: it must be
	// positive.
	Rounds int
	// Micro is the time per micro-benchmark. Zero skips them; it must not
	// be negative.
	Micro time.Duration
	// Servers, when not empty, is a regular expression: only the servers
	// whose names match it are measured, with the baselines their ratios
	// need. Default: every server.
	Servers string
	// Redis, when not nil, is the session store of one more server,
	// "session on Redis", compared with the session middleware on the
	// memory store. Run uses it and does not close it. Default: nil, no
	// such server.
	Redis session.Store
	// RedisVariants, when not empty, are more servers like "session on
	// Redis", one per store, each named "Redis option: " + its Name and
	// compared with the memory store in the same rounds: a side-by-side
	// comparison of store configurations ("vapisec bench
	// --redis-compare"). Run does not close them. Default: none.
	RedisVariants []RedisVariant
	// RedisCPU, when not nil, returns the CPU time (user + system) the
	// Redis server has used so far (INFO cpu). The CPU per request of the
	// Redis servers then includes Redis's, read before and after each of
	// their slots, so that their CPU ratio compares all the work a request
	// costs on the machine. Default: nil, this process's CPU only.
	RedisCPU func() (time.Duration, error)
	// Progress receives one line per measured slot. Default: nil, which
	// discards them.
	Progress io.Writer
}

// RedisVariant is one Redis store configuration to compare (see
// Config.RedisVariants).
type RedisVariant struct {
	// Name describes the configuration, e.g. "pipelines=2".
	Name string
	// Store is the session store of the variant's server.
	Store session.Store
}

// validate reports the first field of c that Run cannot use.
func (c Config) validate() error {
	switch {
	case c.Duration <= 0:
		return &ConfigError{Field: "Duration", Err: errors.New("must be positive")}
	case c.Concurrency <= 0:
		return &ConfigError{Field: "Concurrency", Err: errors.New("must be positive")}
	case c.Rounds <= 0:
		return &ConfigError{Field: "Rounds", Err: errors.New("must be positive")}
	case c.MaxRequests <= 0:
		return &ConfigError{Field: "MaxRequests", Err: errors.New("must be positive")}
	case c.Micro < 0:
		return &ConfigError{Field: "Micro", Err: errors.New("must not be negative")}
	}
	return nil
}

// scenario is one server under load: its handler and how to build requests.
type scenario struct {
	name    string
	handler http.Handler
	// newRequest builds request i for base (the server's URL).
	newRequest func(base string, i int) (*http.Request, error)
	// bar is the minimum throughput ratio to bare Echo; 0 for none.
	bar float64
	// baseline names the scenario the ratio is taken against (the bare
	// server for the same method and body); "" means "bare".
	baseline string
	// prepare, when set, runs once against the started server before the
	// load (e.g. to sign requests for its address).
	prepare func(base string) error
	// floor, when set, runs n operations of the scheme's cryptographic
	// floor (one RSA-2048 verify of the request). After each of this
	// server's slots it runs for a short while in this process, and its CPU
	// time per operation is recorded, so that the CPU this server adds per
	// request over its baseline (same request) is divided by it round by
	// round: the ratio floorName of the report, with the bar floorBar.
	floor     func(n int) error
	floorName string
	floorBar  float64
	// externalCPU, when set, is the CPU time another process serving this
	// server's requests (Redis) has used so far, added to the slot's.
	externalCPU func() (time.Duration, error)
}

// running is a scenario's server once started, with what the load
// generator saw of it.
type running struct {
	scenario
	base   string
	client *http.Client
	res    loadResult
}

// Run builds the servers, measures them in cfg.Rounds interleaved rounds
// after one uncounted warm-up slot each, then runs the micro-benchmarks
// (unless cfg.Micro is zero) and returns the report. Every server listens
// on 127.0.0.1 and is closed before Run returns. A nil ctx means
// context.Background(); cancelling ctx stops the run between slots with
// ctx.Err(). A Config that Run cannot use gives a *ConfigError.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	scenarios, err := benchScenarios(cfg)
	if err != nil {
		return nil, err
	}
	if scenarios, err = selectScenarios(scenarios, cfg.Servers); err != nil {
		return nil, err
	}
	runs, stop, err := start(scenarios, cfg.Concurrency)
	defer stop()
	if err != nil {
		return nil, err
	}
	if err := measure(ctx, runs, cfg, progress); err != nil {
		return nil, err
	}
	rep := report(runs, cfg)
	if cfg.Micro == 0 {
		return rep, nil
	}
	fmt.Fprintln(progress, "bench: micro-benchmarks")
	ratios, err := microRatios(cfg.Micro)
	if err != nil {
		return nil, err
	}
	rep.Ratios = append(rep.Ratios, ratios...)
	return rep, nil
}

// start serves every scenario on its own loopback port, with one client
// (and transport) per server, so that no server's connections are evicted
// from a shared idle pool by another's, and runs the prepare steps. stop
// closes the servers and the clients' idle connections started so far; it
// must be called even when start fails.
func start(scenarios []scenario, concurrency int) (runs []*running, stop func(), err error) {
	var closers []func()
	stop = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	for _, s := range scenarios {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, stop, err
		}
		srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		closers = append(closers, func() { _ = srv.Close() })
		run := &running{scenario: s, base: "http://" + ln.Addr().String()}
		runs = append(runs, run)
		if s.prepare != nil {
			if err := s.prepare(run.base); err != nil {
				return nil, stop, fmt.Errorf("bench: preparing %s: %w", s.name, err)
			}
		}
	}
	for _, run := range runs {
		run.client = &http.Client{Transport: &http.Transport{
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			DisableCompression:  true,
		}, Timeout: 10 * time.Second}
		closers = append(closers, run.client.CloseIdleConnections)
	}
	return runs, stop, nil
}

// measure warms every server up for one uncounted slot (connections,
// caches, the script cache of Redis, the heap size the load settles at),
// then drives each for one slot per round.
func measure(ctx context.Context, runs []*running, cfg Config, progress io.Writer) error {
	slot := cfg.Duration / time.Duration(cfg.Rounds)
	capPerSlot := max(1, cfg.MaxRequests/cfg.Rounds)
	for _, run := range runs {
		var warm loadResult
		drive(ctx, run.client, run.base, run.newRequest, cfg.Concurrency, min(slot/2, 500*time.Millisecond), capPerSlot, &warm)
	}
	for r := 0; r < cfg.Rounds; r++ {
		for _, i := range roundOrder(r, len(runs)) {
			if err := ctx.Err(); err != nil {
				return err
			}
			run := runs[i]
			fmt.Fprintf(progress, "bench: round %d/%d %s\n", r+1, cfg.Rounds, run.name)
			measureSlot(ctx, run, cfg.Concurrency, slot, capPerSlot)
		}
	}
	return nil
}

// roundOrder is the order of the n servers in round r. Odd rounds go
// backwards (bare, a, b, …, b, a, bare, …) so that a drift of the machine
// within a round does not favour the servers measured first.
func roundOrder(r, n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
		if r%2 == 1 {
			order[i] = n - 1 - i
		}
	}
	return order
}

// measureSlot drives run for one slot and adds the slot's req/s, CPU time
// per request and allocations to run.res.
func measureSlot(ctx context.Context, run *running, concurrency int, slot time.Duration, limit int) {
	// Collect the garbage of the previous slot (every server shares this
	// process's heap) before this one starts.
	runtime.GC()
	before := run.res
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	ext0, extOK := externalCPU(run.externalCPU)
	cpu0, cpuOK := processCPU()
	drive(ctx, run.client, run.base, run.newRequest, concurrency, slot, limit, &run.res)
	cpu1, _ := processCPU()
	if ext1, ok := externalCPU(run.externalCPU); ok && extOK {
		cpu1 += ext1 - ext0
	} else if run.externalCPU != nil {
		cpuOK = false // a CPU figure without Redis's would look cheaper than it is
	}
	runtime.ReadMemStats(&ms1)
	n := run.res.requests - before.requests
	if d := run.res.elapsed - before.elapsed; d > 0 {
		run.res.rounds = append(run.res.rounds, float64(n)/d.Seconds())
	}
	if n > 0 {
		run.res.allocBytes += ms1.TotalAlloc - ms0.TotalAlloc
		run.res.allocs += ms1.Mallocs - ms0.Mallocs
	}
	if cpuOK && n > 0 {
		run.res.cpuRounds = append(run.res.cpuRounds, float64(cpu1-cpu0)/float64(time.Microsecond)/float64(n))
		if run.floor != nil {
			us, err := floorCPU(run.floor, min(max(slot/5, 50*time.Millisecond), 300*time.Millisecond))
			if err != nil && run.res.floorErr == nil {
				run.res.floorErr = err
			}
			run.res.floorRounds = append(run.res.floorRounds, us)
		}
	}
}

// floorCPU runs op in batches for about d and returns the CPU time of this
// process per operation, in µs (0 when the platform does not report it).
// The servers are idle meanwhile: nothing else runs.
func floorCPU(op func(n int) error, d time.Duration) (float64, error) {
	const batch = 16
	if err := op(1); err != nil {
		return 0, err
	}
	cpu0, ok := processCPU()
	if !ok {
		return 0, nil
	}
	n := 0
	for end := time.Now().Add(d); n == 0 || time.Now().Before(end); n += batch {
		if err := op(batch); err != nil {
			return 0, err
		}
	}
	cpu1, _ := processCPU()
	return float64(cpu1-cpu0) / float64(time.Microsecond) / float64(n), nil
}

// externalCPU reads f, reporting false for a nil f or an error.
func externalCPU(f func() (time.Duration, error)) (time.Duration, bool) {
	if f == nil {
		return 0, false
	}
	d, err := f()
	return d, err == nil
}

// report turns what the load generator saw into the servers' part of the
// report, each ratio taken against the server's baseline.
func report(runs []*running, cfg Config) *Report {
	rep := &Report{Machine: MachineInfo{
		GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version(),
		Concurrency: cfg.Concurrency, Duration: cfg.Duration.String(), Rounds: cfg.Rounds,
	}}
	byName := map[string]*running{}
	for _, run := range runs {
		byName[run.name] = run
	}
	for _, run := range runs {
		base := run.baseline
		if base == "" {
			base = "bare"
		}
		rep.Servers = append(rep.Servers, serverResult(run, byName[base]))
		if run.floor != nil && byName[base] != nil {
			rep.Ratios = append(rep.Ratios, addedOverFloor(run, byName[base]))
		}
	}
	return rep
}

// addedOverFloor is the ratio of run's floor: per round, the CPU per
// request run spent beyond its baseline (which received the same request)
// divided by the CPU of one floor operation measured right after run's
// slot; the median over the rounds, with the smallest and largest.
func addedOverFloor(run, base *running) RatioResult {
	med, lo, hi, added, floor := floorRatios(run.res.cpuRounds, base.res.cpuRounds, run.res.floorRounds)
	r := RatioResult{Name: run.floorName, Ratio: med, Bar: run.floorBar, AtMost: true,
		Pass:   med > 0 && med <= run.floorBar && run.res.errors == 0 && run.res.floorErr == nil,
		Detail: fmt.Sprintf("%.1f µs CPU added per request vs %.1f µs per verify; rounds %.2f–%.2f", added, floor, lo, hi)}
	if run.res.floorErr != nil {
		r.Detail = "floor failed: " + run.res.floorErr.Error()
	}
	return r
}

// floorRatios pairs, round by round, the CPU per request of a server and
// of its baseline with the CPU of one floor operation, and returns the
// median, smallest and largest of (subject − base) / floor, with the
// medians of the added CPU and of the floor. Rounds missing in one of the
// three, or with no floor time, are left out; none left gives zeros.
func floorRatios(subject, base, floor []float64) (med, lo, hi, added, floorMed float64) {
	var rs, as, fs []float64
	for i := range min(len(subject), len(base), len(floor)) {
		if floor[i] > 0 {
			a := subject[i] - base[i]
			rs, as, fs = append(rs, a/floor[i]), append(as, a), append(fs, floor[i])
		}
	}
	if len(rs) == 0 {
		return 0, 0, 0, 0, 0
	}
	med = medianFloat(rs)
	return med, slices.Min(rs), slices.Max(rs), medianFloat(as), medianFloat(fs)
}

// serverResult summarises run; base is its baseline, nil when it was not
// measured.
func serverResult(run, base *running) ServerResult {
	sr := ServerResult{Name: run.name, Requests: run.res.requests, Errors: run.res.errors}
	if run.res.elapsed > 0 {
		sr.RPS = float64(run.res.requests) / run.res.elapsed.Seconds()
	}
	sr.P50ms, sr.P99ms = percentileMS(run.res.latencies, 0.50), percentileMS(run.res.latencies, 0.99)
	if base != nil {
		sr.Ratio, sr.RatioMin, sr.RatioMax = roundRatios(run.res.rounds, base.res.rounds)
		// CPU per request: the baseline's over this server's, so that like
		// Ratio it is below 1 when this server costs more.
		sr.CPURatio, _, _ = roundRatios(base.res.cpuRounds, run.res.cpuRounds)
	}
	if run.res.requests > 0 {
		sr.BytesPerReq = float64(run.res.allocBytes) / float64(run.res.requests)
		sr.AllocsPerReq = float64(run.res.allocs) / float64(run.res.requests)
	}
	if len(run.res.cpuRounds) > 0 {
		sr.CPUus = medianFloat(run.res.cpuRounds)
	}
	if run.bar > 0 {
		bar, pass := run.bar, sr.Ratio >= run.bar && run.res.errors == 0
		sr.Bar, sr.Pass = &bar, &pass
	}
	return sr
}

// selectScenarios keeps the scenarios whose names match the regular
// expression expr, with the baselines their ratios need, in their order.
// An empty expr keeps all.
func selectScenarios(all []scenario, expr string) ([]scenario, error) {
	if expr == "" {
		return all, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, &ConfigError{Field: "Servers", Err: err}
	}
	byName := map[string]scenario{}
	for _, s := range all {
		byName[s.name] = s
	}
	keep := map[string]bool{}
	for _, s := range all {
		if !re.MatchString(s.name) {
			continue
		}
		for name := s.name; name != "" && !keep[name]; {
			keep[name] = true
			base := byName[name].baseline
			if base == "" && name != "bare" {
				base = "bare"
			}
			name = base
		}
	}
	var out []scenario
	for _, s := range all {
		if keep[s.name] {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, &ConfigError{Field: "Servers", Err: fmt.Errorf("%q matches no server", expr)}
	}
	return out, nil
}
