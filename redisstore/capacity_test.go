package redisstore_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/internal/redistest"
	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/session"
)

// The benchmarks of this file measure what docs/distributed.md's capacity
// model is built on: Redis memory per session, Redis CPU per request and
// the cost of WAIT.

// usedMemory returns INFO memory's used_memory.
func usedMemory(b *testing.B, c *redis.Client) int64 {
	info, err := c.Info(b.Context(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no used_memory")
	return 0
}

// BenchmarkSessionFootprint logs b.N users in (one session each, through a
// Manager) and reports the Redis memory they take per session: the sum of
// MEMORY USAGE of every key they created, and the growth of used_memory
// (which adds Redis's per-key dictionary and expiry overhead).
func BenchmarkSessionFootprint(b *testing.B) {
	srv := startRedis(b, false)
	c := srv.Client(b)
	store := newStore(b, c, redisstore.WithShardKey([]byte("capacity model shard key")))
	m, err := session.NewManager(store)
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	before := usedMemory(b, c)
	n := 0
	for b.Loop() {
		id := session.Identity{
			Principal: vapisec.Principal{Name: fmt.Sprintf("user%07d", n), Domain: "vsphere.local"},
			Groups:    []string{"Users", "Administrators"},
			Scheme:    vapisec.SchemeUserPass,
		}
		if _, err := m.Create(ctx, id); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.StopTimer()
	grown := usedMemory(b, c) - before
	var sum, keys int64
	iter := c.Scan(ctx, 0, "vapisec:*", 1000).Iterator()
	for iter.Next(ctx) {
		u, err := c.MemoryUsage(ctx, iter.Val(), 0).Result()
		if err != nil {
			b.Fatal(err)
		}
		sum += u
		keys++
	}
	if err := iter.Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(sum)/float64(n), "memory-usage-B/session")
	b.ReportMetric(float64(grown)/float64(n), "used-memory-B/session")
	b.ReportMetric(float64(keys)/float64(n), "keys/session")
}

// procCPU returns the user + system CPU time process pid used so far.
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	// Fields after the command name (which may hold spaces): state is
	// field 3, utime 14, stime 15, in clock ticks (USER_HZ, 100 on Linux).
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+2:])
	f := strings.Fields(rest)
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// BenchmarkTouchRedisCPU runs Touch, the per-request operation, from 16
// goroutines per core and reports the CPU time redis-server spent per
// Touch (from /proc/<pid>/stat: 10 ms ticks, so run it for seconds) and
// the Touches one fully busy Redis core would serve at that cost, with the
// store's defaults (pipelines, every Touch writes) and with serve's coarse
// touch (1/8: a fresh login session is one HMGET).
func BenchmarkTouchRedisCPU(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []redisstore.Option
	}{
		{"touch=0", nil},
		{"touch=1/8", []redisstore.Option{redisstore.WithTouchFraction(0.125)}},
	} {
		b.Run(bc.name, func(b *testing.B) { benchmarkTouchRedisCPU(b, bc.opts...) })
	}
}

// benchmarkTouchRedisCPU is BenchmarkTouchRedisCPU with store options opts.
func benchmarkTouchRedisCPU(b *testing.B, opts ...redisstore.Option) {
	srv := startRedis(b, false)
	store := newStore(b, srv.Client(b), append([]redisstore.Option{redisstore.WithShardKey([]byte("capacity model shard key"))}, opts...)...)
	m, err := session.NewManager(store)
	if err != nil {
		b.Fatal(err)
	}
	s, err := m.Create(b.Context(), session.Identity{Principal: vapisec.Principal{Name: "alice", Domain: "vsphere.local"}, Groups: []string{"Users"}})
	if err != nil {
		b.Fatal(err)
	}
	pid := srv.cmd.Process.Pid
	b.SetParallelism(16)
	b.ResetTimer()
	cpu0 := procCPU(b, pid)
	b.RunParallel(func(pb *testing.PB) {
		var out session.Session
		for pb.Next() {
			if err := m.LookupInto(b.Context(), s.ID, &out); err != nil {
				b.Error(err)
				return
			}
		}
	})
	cpu := procCPU(b, pid) - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "redis-cpu-µs/op")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "touch/s/redis-core")
	}
}

// BenchmarkLoginWait measures a login (Manager.Create: the insert script)
// on a master with one replica, without and with WithWaitReplicas(1, 1s),
// side by side in one run: the difference is what WAIT costs a login.
func BenchmarkLoginWait(b *testing.B) {
	master, _ := redistest.StartReplicated(b)
	for _, bc := range []struct {
		name string
		opts []redisstore.Option
	}{
		{"no-wait", nil},
		{"wait-1", []redisstore.Option{redisstore.WithWaitReplicas(1, time.Second)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opt, err := redisstore.ParseURL("redis://"+master.Addr()+"/0", 0)
			if err != nil {
				b.Fatal(err)
			}
			c := redis.NewClient(opt)
			b.Cleanup(func() { _ = c.Close() })
			store := newStore(b, c, append([]redisstore.Option{redisstore.WithShardKey([]byte("capacity model shard key"))}, bc.opts...)...)
			m, err := session.NewManager(store, session.WithMaxSessionsPerUser(0), session.WithMaxRecordsPerUser(1<<30))
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for b.Loop() {
				if _, err := m.Create(b.Context(), session.Identity{Principal: vapisec.Principal{Name: fmt.Sprintf("u%d", n)}}); err != nil {
					b.Fatal(err)
				}
				n++
			}
		})
	}
}
