package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/vapisec/vapisec/internal/bench"
	"github.com/vapisec/vapisec/redisstore"
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
	compare     bool
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
			return runBenchCmd(cmd, o)
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
	f.BoolVar(&o.compare, "redis-compare", false, "with --redis, also measure other Redis store configurations side by side (pipelines, touch fraction)")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a pprof CPU profile of the run (servers, load generator and micro-benchmarks) to this file")
	f.BoolVar(&o.noVerdicts, "no-verdicts", false, "print \"not enforced\" instead of PASS/FAIL next to the bars (for noisy CI machines)")
	f.StringVar(&o.only, "servers", "", "measure only the servers whose names match this regular expression (and their baselines)")
	return cmd
}

// runBenchCmd checks the flags, runs the bench (or reads --from) and
// writes the report.
func runBenchCmd(cmd *cobra.Command, o benchOptions) error {
	if o.duration <= 0 || o.concurrency <= 0 || o.rounds <= 0 || o.maxRequests <= 0 || o.micro < 0 {
		return usagef("--duration, --concurrency, --rounds and --max-requests must be positive, --micro not negative")
	}
	format, err := bench.ParseFormat(o.format)
	if err != nil {
		return usagef("--format %q: want table, json or svg", o.format)
	}
	var rep *bench.Report
	if o.from != "" {
		rep, err = bench.ReadReport(o.from)
	} else {
		rep, err = runBench(cmd.Context(), o, cmd.ErrOrStderr())
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
	rep.NoVerdicts = o.noVerdicts
	return rep.Render(w, format)
}

// benchFlags names the flag of each bench.Config field, for usage errors.
var benchFlags = map[string]string{
	"Duration": "--duration", "Concurrency": "--concurrency", "MaxRequests": "--max-requests",
	"Rounds": "--rounds", "Micro": "--micro", "Servers": "--servers",
}

// runBench runs the bench the flags describe, under a CPU profile with
// --cpuprofile and with the Redis of --redis.
func runBench(ctx context.Context, o benchOptions, progress io.Writer) (*bench.Report, error) {
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	cfg := bench.Config{
		Duration: o.duration, Concurrency: o.concurrency, MaxRequests: o.maxRequests, Rounds: o.rounds,
		Micro: o.micro, Servers: o.only, Progress: progress,
	}
	if o.redis != "" {
		// The same store "serve --redis" uses, with its defaults.
		shared, err := openSharedState(serveOptions{redisURL: o.redis, redisTouch: defaultRedisTouchFraction})
		if err != nil {
			return nil, err
		}
		defer func() {
			if shared.client != nil {
				_ = shared.client.Close()
			}
		}()
		cfg.Redis = shared.store
		cfg.RedisCPU = func() (time.Duration, error) { return redisCPU(ctx, shared.client) }
		if o.compare {
			if cfg.RedisVariants, err = redisVariants(shared.client); err != nil {
				return nil, err
			}
		}
	} else if o.compare {
		return nil, usagef("--redis-compare needs --redis")
	}
	rep, err := bench.Run(ctx, cfg)
	if ce, ok := errors.AsType[*bench.ConfigError](err); ok {
		return nil, usagef("%s: %v", benchFlags[ce.Field], ce.Err)
	}
	return rep, err
}

// redisVariants are the store configurations --redis-compare measures next
// to the shipped one ("session on Redis": the default pipelines and
// --redis-touch-fraction's default), on the same client.
func redisVariants(client redis.UniversalClient) ([]bench.RedisVariant, error) {
	configs := []struct {
		name string
		opts []redisstore.Option
	}{
		{"EVALSHA per request", []redisstore.Option{redisstore.WithPipelines(0)}},
		{"pipelines=1", []redisstore.Option{redisstore.WithPipelines(1)}},
		{"touch 1/8", []redisstore.Option{redisstore.WithPipelines(0), redisstore.WithTouchFraction(0.125)}},
		{"pipelines=2, touch 1/8", []redisstore.Option{redisstore.WithPipelines(2), redisstore.WithTouchFraction(0.125)}},
	}
	var variants []bench.RedisVariant
	for _, c := range configs {
		store, err := redisstore.New(client, c.opts...)
		if err != nil {
			return nil, err
		}
		variants = append(variants, bench.RedisVariant{Name: c.name, Store: store})
	}
	return variants, nil
}

// redisCPU returns the CPU time (user + system) the Redis server of client
// has used so far, from INFO cpu: on a Cluster client, the sum over every
// node (masters and replicas: replication costs CPU too).
func redisCPU(ctx context.Context, client redis.UniversalClient) (time.Duration, error) {
	cc, ok := client.(*redis.ClusterClient)
	if !ok {
		return nodeCPU(ctx, client)
	}
	var mu sync.Mutex
	var total time.Duration
	err := cc.ForEachShard(ctx, func(ctx context.Context, node *redis.Client) error {
		d, err := nodeCPU(ctx, node)
		mu.Lock()
		total += d
		mu.Unlock()
		return err
	})
	return total, err
}

// nodeCPU is redisCPU of one server.
func nodeCPU(ctx context.Context, client redis.Cmdable) (time.Duration, error) {
	info, err := client.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, err
	}
	return parseInfoCPU(info)
}

// parseInfoCPU returns used_cpu_user + used_cpu_sys (seconds) of the text
// of INFO cpu. It fails unless both are present once, as finite
// non-negative numbers.
func parseInfoCPU(info string) (time.Duration, error) {
	var total time.Duration
	seen := map[string]bool{}
	for _, line := range strings.Split(info, "\n") {
		name, value, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || (name != "used_cpu_user" && name != "used_cpu_sys") {
			continue
		}
		sec, err := strconv.ParseFloat(value, 64)
		if err != nil || seen[name] || !(sec >= 0 && sec < 1e9) {
			return 0, fmt.Errorf("INFO cpu: bad %s %.40q", name, value)
		}
		seen[name] = true
		total += time.Duration(sec * float64(time.Second))
	}
	if len(seen) != 2 {
		return 0, errors.New("INFO cpu: no used_cpu_user and used_cpu_sys")
	}
	return total, nil
}
