package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
)

// Report is the result of a run, in the JSON form of "vapisec bench
// --format json".
type Report struct {
	Machine MachineInfo    `json:"machine"`
	Servers []ServerResult `json:"servers"`
	Ratios  []RatioResult  `json:"ratios"`
	// NoVerdicts makes Render print "not enforced" instead of PASS/FAIL
	// next to the bars (for noisy CI machines). It is not part of the
	// JSON form. Default: false, PASS or FAIL.
	NoVerdicts bool `json:"-"`
}

// MachineInfo says where and how a report was measured.
type MachineInfo struct {
	GOOS        string `json:"goos"`
	GOARCH      string `json:"goarch"`
	CPUs        int    `json:"cpus"`
	GoVersion   string `json:"go_version"`
	Concurrency int    `json:"concurrency"`
	Duration    string `json:"duration"`
	Rounds      int    `json:"rounds,omitempty"`
}

// ServerResult is what the load generator saw of one server.
type ServerResult struct {
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

// RatioResult is one micro-benchmark ratio next to its bar.
type RatioResult struct {
	Name   string  `json:"name"`
	Ratio  float64 `json:"ratio"`
	Bar    float64 `json:"bar"`
	Pass   bool    `json:"pass"`
	Detail string  `json:"detail,omitempty"`
	// AtMost: the ratio must not exceed Bar (cost ratios); otherwise it
	// must reach it (throughput ratios).
	AtMost bool `json:"at_most"`
}

// Format is a rendering of a Report.
type Format string

// The formats Render knows.
const (
	// FormatTable is a text table of the servers and of the ratios.
	FormatTable Format = "table"
	// FormatJSON is the JSON form of the Report, which ReadReport reads.
	FormatJSON Format = "json"
	// FormatSVG is a chart of req/s per server.
	FormatSVG Format = "svg"
)

// ParseFormat returns the Format named s, or ErrFormat.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatTable, FormatJSON, FormatSVG:
		return f, nil
	}
	return "", fmt.Errorf("%w: %.40q", ErrFormat, s)
}

// Render writes rep to w in format; an unknown format gives ErrFormat.
func (rep *Report) Render(w io.Writer, format Format) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case FormatSVG:
		return rep.writeSVG(w)
	case FormatTable:
		return rep.writeTable(w)
	}
	return fmt.Errorf("%w: %.40q", ErrFormat, format)
}

func (rep *Report) writeTable(w io.Writer) error {
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

// verdict is PASS or FAIL, or "not enforced" with NoVerdicts.
func (rep *Report) verdict(ok bool) string {
	if rep.NoVerdicts {
		return "not enforced"
	}
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// writeSVG draws req/s per server as horizontal bars, bare Echo first,
// with no external tools.
func (rep *Report) writeSVG(w io.Writer) error {
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

// ReadReport reads a report written in FormatJSON, so that one run can be
// rendered as a table and as a chart.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	return &rep, nil
}
