package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// benchOptions are the flags of "vapisec bench".
type benchOptions struct {
	duration    time.Duration
	concurrency int
	maxRequests int
	rounds      int
	micro       time.Duration
	format      string
	out         string
	redis       string
	from        string
	cpuProfile  string
	only        string
	noVerdicts  bool
}

func newBenchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the cost of each vapisec scheme against bare Echo and the cryptographic floor",
		Long: `bench starts, in this process and on loopback only, a bare Echo server and the same
server behind each vapisec middleware, drives each with a bounded load generator
(requests and time capped), and reports req/s, p50/p99 latency and the ratio to the
bare server. The servers are measured in interleaved rounds so that machine noise hits
all of them alike. It then runs in-process micro-benchmarks, each side by side with its
floor (json.Valid, one SHA-256, etree + goxmldsig, one RSA verify), and prints every
ratio next to its bar (DESIGN §8) with PASS or FAIL.

No traffic leaves the machine: every server listens on 127.0.0.1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.duration <= 0 || o.concurrency <= 0 || o.rounds <= 0 || o.maxRequests <= 0 || o.micro < 0 {
				return usagef("--duration, --concurrency, --rounds and --max-requests must be positive, --micro not negative")
			}
			switch o.format {
			case "table", "json", "svg":
			default:
				return usagef("--format %q: want table, json or svg", o.format)
			}
			var res *benchReport
			var err error
			if o.from != "" {
				res, err = readBenchReport(o.from)
			} else {
				if o.cpuProfile != "" {
					f, err := os.Create(o.cpuProfile)
					if err != nil {
						return err
					}
					defer f.Close()
					if err := pprof.StartCPUProfile(f); err != nil {
						return err
					}
					defer pprof.StopCPUProfile()
				}
				res, err = runBench(cmd.Context(), o, cmd.ErrOrStderr())
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if o.out != "" {
				f, err := os.Create(o.out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			res.noVerdicts = o.noVerdicts
			return writeBench(w, o.format, res)
		},
	}
	f := cmd.Flags()
	f.DurationVar(&o.duration, "duration", 5*time.Second, "load time per server (split over the rounds)")
	f.IntVar(&o.concurrency, "concurrency", 16, "concurrent client connections")
	f.IntVar(&o.maxRequests, "max-requests", 2_000_000, "cap on the requests sent to one server")
	f.IntVar(&o.rounds, "rounds", 5, "interleaved rounds over the servers (ratios are the median of the per-round ratios)")
	f.DurationVar(&o.micro, "micro", time.Second, "time per micro-benchmark (0 skips them)")
	f.StringVar(&o.format, "format", "table", "output format: table, json or svg (a req/s chart)")
	f.StringVar(&o.out, "out", "", "write the report to this file instead of stdout")
	f.StringVar(&o.from, "from", "", "render a JSON report written earlier (--format json) instead of running")
	f.StringVar(&o.redis, "redis", "", "also measure the session middleware on this Redis (redis://host:port/db)")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a pprof CPU profile of the run (servers, load generator and micro-benchmarks) to this file")
	f.BoolVar(&o.noVerdicts, "no-verdicts", false, "print \"not enforced\" instead of PASS/FAIL next to the bars (for noisy CI machines)")
	f.StringVar(&o.only, "servers", "", "measure only the servers whose names match this regular expression (and their baselines)")
	return cmd
}

// benchReport is the JSON form of a run.
type benchReport struct {
	Machine machineInfo    `json:"machine"`
	Servers []serverResult `json:"servers"`
	Ratios  []ratioResult  `json:"ratios"`
	// noVerdicts renders "not enforced" instead of PASS/FAIL (--no-verdicts).
	noVerdicts bool
}

type machineInfo struct {
	GOOS        string `json:"goos"`
	GOARCH      string `json:"goarch"`
	CPUs        int    `json:"cpus"`
	GoVersion   string `json:"go_version"`
	Concurrency int    `json:"concurrency"`
	Duration    string `json:"duration"`
	Rounds      int    `json:"rounds,omitempty"`
}

type serverResult struct {
	Name     string  `json:"name"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	RPS      float64 `json:"rps"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
	Ratio    float64 `json:"ratio"`
	// RatioMin and RatioMax are the extremes of the per-round ratios whose
	// median is Ratio: the noise of the run.
	RatioMin float64 `json:"ratio_min,omitempty"`
	RatioMax float64 `json:"ratio_max,omitempty"`
	// CPUus is the median CPU time of this process per request (µs) over
	// the rounds: load generator, server and Go runtime together.
	// CPURatio is the baseline's CPU per request over this server's, as
	// the median of per-round ratios: the throughput ratio a CPU-bound
	// machine would show, without the wall-clock noise of a shared one.
	// It leaves out other processes (Redis).
	CPUus    float64 `json:"cpu_us_per_req,omitempty"`
	CPURatio float64 `json:"cpu_ratio,omitempty"`
	// BytesPerReq and AllocsPerReq are the heap allocations of this
	// process per request (load generator and server together).
	BytesPerReq  float64  `json:"bytes_per_req,omitempty"`
	AllocsPerReq float64  `json:"allocs_per_req,omitempty"`
	Bar          *float64 `json:"bar,omitempty"`
	Pass         *bool    `json:"pass,omitempty"`
}

type ratioResult struct {
	Name   string  `json:"name"`
	Ratio  float64 `json:"ratio"`
	Bar    float64 `json:"bar"`
	Pass   bool    `json:"pass"`
	Detail string  `json:"detail,omitempty"`
	// AtMost: the ratio must not exceed Bar (cost ratios); otherwise it
	// must reach it (throughput ratios).
	AtMost bool `json:"at_most"`
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
}

// loadResult accumulates what the load generator saw for one scenario.
type loadResult struct {
	requests  int
	errors    int
	elapsed   time.Duration
	latencies []time.Duration
	// rounds holds the req/s of each measured round, cpuRounds the CPU
	// time this process spent per request in it (µs; client, server and
	// runtime together), when the platform reports it.
	rounds, cpuRounds []float64
	// allocBytes and allocs are what the process allocated while the
	// rounds ran (client and server together).
	allocBytes, allocs uint64
}

// roundRatios pairs the req/s of subject and base round by round (both were
// measured in the same round, close in time) and returns the median of the
// per-round ratios with the smallest and largest. A median of paired ratios
// is far less sensitive to a machine that speeds up or slows down during a
// run than the ratio of two totals.
func medianFloat(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func roundRatios(subject, base []float64) (med, lo, hi float64) {
	var rs []float64
	for i := range min(len(subject), len(base)) {
		if base[i] > 0 {
			rs = append(rs, subject[i]/base[i])
		}
	}
	if len(rs) == 0 {
		return 0, 0, 0
	}
	slices.Sort(rs)
	med = rs[len(rs)/2]
	if len(rs)%2 == 0 {
		med = (rs[len(rs)/2-1] + rs[len(rs)/2]) / 2
	}
	return med, rs[0], rs[len(rs)-1]
}

func runBench(ctx context.Context, o benchOptions, progress io.Writer) (*benchReport, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	scenarios, cleanup, err := benchScenarios(o)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	if scenarios, err = selectScenarios(scenarios, o.only); err != nil {
		return nil, err
	}

	// Start every server on loopback.
	type running struct {
		scenario
		base string
		srv  *http.Server
		res  loadResult
	}
	runs := make([]*running, len(scenarios))
	for i, s := range scenarios {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		runs[i] = &running{scenario: s, base: "http://" + ln.Addr().String(), srv: srv}
		if s.prepare != nil {
			if err := s.prepare(runs[i].base); err != nil {
				return nil, fmt.Errorf("bench: preparing %s: %w", s.name, err)
			}
		}
	}

	// One transport per server, so that no server's connections are
	// evicted from a shared idle pool by another's.
	clients := make([]*http.Client, len(runs))
	for i := range runs {
		clients[i] = &http.Client{Transport: &http.Transport{
			MaxIdleConns:        o.concurrency,
			MaxIdleConnsPerHost: o.concurrency,
			DisableCompression:  true,
		}, Timeout: 10 * time.Second}
		defer clients[i].CloseIdleConnections()
	}

	slot := o.duration / time.Duration(o.rounds)
	capPerSlot := max(1, o.maxRequests/o.rounds)
	// A warm-up slot per server, not counted: connections, caches, the
	// script cache of Redis, the heap size the load settles at.
	for i, run := range runs {
		var warm loadResult
		drive(ctx, clients[i], run.base, run.newRequest, o.concurrency, min(slot/2, 500*time.Millisecond), capPerSlot, &warm)
	}
	for r := 0; r < o.rounds; r++ {
		// Odd rounds go backwards (bare, a, b, …, b, a, bare, …) so that a
		// drift of the machine within a round does not favour the servers
		// measured first.
		order := make([]int, len(runs))
		for i := range order {
			order[i] = i
			if r%2 == 1 {
				order[i] = len(runs) - 1 - i
			}
		}
		for _, i := range order {
			run := runs[i]
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			fmt.Fprintf(progress, "bench: round %d/%d %s\n", r+1, o.rounds, run.name)
			// Collect the garbage of the previous slot (every server shares
			// this process's heap) before this one starts.
			runtime.GC()
			before := run.res
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			cpu0, cpuOK := processCPU()
			drive(ctx, clients[i], run.base, run.newRequest, o.concurrency, slot, capPerSlot, &run.res)
			cpu1, _ := processCPU()
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
			}
		}
	}

	rep := &benchReport{Machine: machineInfo{
		GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version(),
		Concurrency: o.concurrency, Duration: o.duration.String(), Rounds: o.rounds,
	}}
	byName := map[string]*running{}
	for _, run := range runs {
		byName[run.name] = run
	}
	for _, run := range runs {
		sr := serverResult{Name: run.name, Requests: run.res.requests, Errors: run.res.errors}
		if run.res.elapsed > 0 {
			sr.RPS = float64(run.res.requests) / run.res.elapsed.Seconds()
		}
		sr.P50ms, sr.P99ms = percentileMS(run.res.latencies, 0.50), percentileMS(run.res.latencies, 0.99)
		base := run.baseline
		if base == "" {
			base = "bare"
		}
		if b := byName[base]; b != nil {
			sr.Ratio, sr.RatioMin, sr.RatioMax = roundRatios(run.res.rounds, b.res.rounds)
			// CPU per request: the baseline's over this server's, so that
			// like Ratio it is below 1 when this server costs more.
			sr.CPURatio, _, _ = roundRatios(b.res.cpuRounds, run.res.cpuRounds)
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
		rep.Servers = append(rep.Servers, sr)
	}
	if o.micro == 0 {
		return rep, nil
	}
	fmt.Fprintln(progress, "bench: micro-benchmarks")
	ratios, err := microRatios(o.micro)
	if err != nil {
		return nil, err
	}
	rep.Ratios = ratios
	return rep, nil
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
		return nil, usagef("--servers: %v", err)
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
		return nil, usagef("--servers %q matches no server", expr)
	}
	return out, nil
}

// drive sends requests to base from concurrency workers for d (at most
// limit requests) and adds what it saw to res. A request counts as an error
// unless it answers 200.
func drive(ctx context.Context, client *http.Client, base string, newRequest func(string, int) (*http.Request, error), concurrency int, d time.Duration, limit int, res *loadResult) {
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next int
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1024)
			errs := 0
			for ctx.Err() == nil && time.Now().Before(deadline) {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= limit {
					break
				}
				req, err := newRequest(base, i)
				if err != nil {
					errs++
					continue
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs++
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					errs++
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.requests += len(lat)
			res.errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed += time.Since(start)
}

func percentileMS(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return float64(s[i].Microseconds()) / 1000
}

// sideBySide runs base and subject alternately in batches for about d and
// returns the median per-operation time of each, so that a busy machine
// slows both alike. Each function runs batch operations per call.
func sideBySide(d time.Duration, batch int, base, subject func(n int) error) (baseOp, subjectOp time.Duration, err error) {
	// Warm up both.
	if err := base(1); err != nil {
		return 0, 0, err
	}
	if err := subject(1); err != nil {
		return 0, 0, err
	}
	var bs, ss []time.Duration
	end := time.Now().Add(d)
	for len(bs) < 5 || time.Now().Before(end) {
		t0 := time.Now()
		if err := base(batch); err != nil {
			return 0, 0, err
		}
		t1 := time.Now()
		if err := subject(batch); err != nil {
			return 0, 0, err
		}
		t2 := time.Now()
		bs = append(bs, t1.Sub(t0))
		ss = append(ss, t2.Sub(t1))
		if len(bs) > 100000 {
			break
		}
	}
	return median(bs) / time.Duration(batch), median(ss) / time.Duration(batch), nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func costRatio(name string, base, subject time.Duration, bar float64, detail string) ratioResult {
	r := float64(subject) / float64(base)
	return ratioResult{Name: name, Ratio: r, Bar: bar, Pass: r <= bar, Detail: detail, AtMost: true}
}

func writeBench(w io.Writer, format string, rep *benchReport) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "svg":
		return writeBenchSVG(w, rep)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rounds := ""
	if rep.Machine.Rounds > 0 {
		rounds = fmt.Sprintf(" in %d rounds; ratio = median of the per-round ratios", rep.Machine.Rounds)
	}
	fmt.Fprintf(tw, "machine: %s/%s, %d CPUs, %s; %d connections, %s per server%s\n\n",
		rep.Machine.GOOS, rep.Machine.GOARCH, rep.Machine.CPUs, rep.Machine.GoVersion, rep.Machine.Concurrency, rep.Machine.Duration, rounds)
	fmt.Fprintln(tw, "server\treq/s\tp50 ms\tp99 ms\tratio\trounds\tCPU µs/req\tCPU ratio\tB/req\tallocs/req\tbar\tresult\t")
	for _, s := range rep.Servers {
		bar, result := "", ""
		if s.Bar != nil {
			bar = fmt.Sprintf("≥ %.2f", *s.Bar)
			result = rep.verdict(*s.Pass)
		}
		if s.Errors > 0 {
			result += fmt.Sprintf(" (%d errors)", s.Errors)
		}
		spread := ""
		if s.RatioMax > 0 {
			spread = fmt.Sprintf("%.3f–%.3f", s.RatioMin, s.RatioMax)
		}
		cpu, cpuRatio := "", ""
		if s.CPUus > 0 {
			cpu = fmt.Sprintf("%.1f", s.CPUus)
		}
		if s.CPURatio > 0 {
			cpuRatio = fmt.Sprintf("%.3f", s.CPURatio)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.3f\t%.3f\t%.3f\t%s\t%s\t%s\t%.0f\t%.1f\t%s\t%s\t\n", s.Name, s.RPS, s.P50ms, s.P99ms, s.Ratio, spread, cpu, cpuRatio, s.BytesPerReq, s.AllocsPerReq, bar, strings.TrimSpace(result))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "ratio\tvalue\tbar\tresult\tdetail\t")
	for _, r := range rep.Ratios {
		op := "≤"
		if !r.AtMost {
			op = "≥"
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%s %.2f\t%s\t%s\t\n", r.Name, r.Ratio, op, r.Bar, rep.verdict(r.Pass), r.Detail)
	}
	return tw.Flush()
}

// verdict is PASS or FAIL, or "not enforced" with --no-verdicts.
func (rep *benchReport) verdict(ok bool) string {
	if rep.noVerdicts {
		return "not enforced"
	}
	return passFail(ok)
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// writeBenchSVG draws req/s per server as horizontal bars, bare Echo first,
// with no external tools.
func writeBenchSVG(w io.Writer, rep *benchReport) error {
	servers := slices.Clone(rep.Servers)
	sort.SliceStable(servers, func(i, j int) bool { return servers[i].Name == "bare" && servers[j].Name != "bare" })
	maxRPS := 1.0
	for _, s := range servers {
		maxRPS = max(maxRPS, s.RPS)
	}
	const left, width, rowH, top = 190, 420, 28, 40
	h := top + rowH*len(servers) + 30
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="13">`+"\n", left+width+120, h)
	fmt.Fprintf(&b, `<text x="10" y="22" font-size="15" font-weight="bold">req/s per scheme (%d connections, %s, %d CPUs)</text>`+"\n", rep.Machine.Concurrency, rep.Machine.Duration, rep.Machine.CPUs)
	for i, s := range servers {
		y := top + i*rowH
		bw := int(float64(width) * s.RPS / maxRPS)
		color := "#4a7bd0"
		if s.Name == "bare" {
			color = "#888888"
		} else if s.Pass != nil && !*s.Pass {
			color = "#d05a4a"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-8, y+17, xmlEscape(s.Name))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="20" fill="%s"/>`+"\n", left, y+3, max(bw, 1), color)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%.0f (%.0f%%)</text>`+"\n", left+bw+6, y+17, s.RPS, s.Ratio*100)
	}
	fmt.Fprintf(&b, `<text x="10" y="%d" font-size="11" fill="#555">ratio = req/s relative to bare Echo, same handler, measured in interleaved rounds in one run</text>`+"\n", h-8)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// readBenchReport reads a report written with --format json, so that one run
// can be rendered as a table and as a chart.
func readBenchReport(path string) (*benchReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep benchReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	return &rep, nil
}
