// Package redistest starts real Redis deployments for tests: a Redis
// Cluster of masters and replicas (redis-server --cluster-enabled, created
// with redis-cli --cluster create) and a Sentinel setup (a master, a
// replica and three redis-sentinel processes). Every process listens on a
// free loopback port, works in a temporary directory of the test and is
// stopped by its pid (SIGKILL) at the test's clean-up; every wait is
// bounded.
//
// The binaries are looked up in $PATH. A missing one skips the test on a
// developer's machine and fails it when CI=true (SkipOrFailMissing): in CI
// a test that silently skips is a test that silently stopped running.
package redistest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startTimeout bounds the start of one process, and readyTimeout the wait
// for a whole deployment to settle.
const (
	startTimeout = 10 * time.Second
	readyTimeout = 30 * time.Second
)

// SkipOrFailMissing skips the test for a missing binary, or fails it when
// CI is true.
func SkipOrFailMissing(t testing.TB, msg string) {
	t.Helper()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatalf("%s (CI=true: tests against a real Redis must run)", msg)
		return
	}
	t.Skip(msg)
}

// Binary returns the path of the named binary, or skips or fails the test
// (SkipOrFailMissing).
func Binary(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		SkipOrFailMissing(t, fmt.Sprintf("%s not installed: %v", name, err))
	}
	return bin
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Proc is one redis-server or redis-sentinel process.
type Proc struct {
	Port int
	Dir  string

	bin  string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	out  bytes.Buffer
}

// Addr returns host:port of the process.
func (p *Proc) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port)) }

// Pid returns the process id, 0 once it was killed.
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Kill stops the process with SIGKILL (no shutdown, no save) by its pid and
// waits until it is gone. Killing a killed process does nothing.
func (p *Proc) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	p.cmd = nil
}

// Client returns a plain client of this one process (no cluster routing),
// closed at clean-up.
func (p *Proc) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// start runs bin with args in a new temporary directory on a free port
// (args may use the port through portArg) and waits until it answers PING.
func start(t testing.TB, bin string, args func(port int, dir string) []string) *Proc {
	t.Helper()
	var lastErr error
	for range 5 {
		p := &Proc{Port: FreePort(t), Dir: t.TempDir(), bin: bin}
		p.args = args(p.Port, p.Dir)
		if lastErr = p.run(); lastErr == nil {
			t.Cleanup(p.Kill)
			return p
		}
		if p.Pid() == 0 {
			t.Fatalf("%s: %v", bin, lastErr)
		}
		p.Kill() // a port taken meanwhile: try another
	}
	t.Fatalf("%s: %v", filepath.Base(bin), lastErr)
	return nil
}

// run starts the process and waits until it answers PING.
func (p *Proc) run() error {
	p.mu.Lock()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir = p.Dir
	p.out.Reset()
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if err := cmd.Start(); err != nil {
		p.mu.Unlock()
		return err
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(p.done) }()
	p.mu.Unlock()
	return p.waitPing()
}

// Restart starts a killed process again with the same port, directory and
// arguments (a cluster node finds its nodes.conf again), and waits until
// it answers PING.
func (p *Proc) Restart(t testing.TB) {
	t.Helper()
	if p.Pid() != 0 {
		t.Fatalf("restart of %s: still running", p.Addr())
	}
	if err := p.run(); err != nil {
		t.Fatalf("restart of %s: %v", p.Addr(), err)
	}
}

// waitPing waits until the process answers PING, exits or startTimeout
// passes.
func (p *Proc) waitPing() error {
	c := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("exited: %w: %.2000s", err, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %v: %w", startTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serverArgs are the arguments of every redis-server: loopback, memory
// only, quiet.
func serverArgs(port int, dir string, extra ...string) []string {
	return append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"}, extra...)
}

// Eventually polls cond every 50 ms until it returns nil or timeout
// passes, then fails the test with cond's last error.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Cluster is a Redis Cluster started by StartCluster.
type Cluster struct {
	Nodes []*Proc
	t     testing.TB
}

// NodeTimeout is the cluster-node-timeout of the clusters StartCluster
// makes: a master that does not answer for that long is failed over.
const NodeTimeout = time.Second

// StartCluster starts masters × (1 + replicas) cluster-enabled
// redis-servers, makes them one cluster with redis-cli --cluster create
// (--cluster-replicas replicas) and waits until every node reports
// cluster_state:ok and every replica is in sync.
func StartCluster(t testing.TB, masters, replicas int) *Cluster {
	t.Helper()
	server := Binary(t, "redis-server")
	cli := Binary(t, "redis-cli")
	c := &Cluster{t: t}
	for range masters * (1 + replicas) {
		// The bus port defaults to port + 10000, which may be taken or
		// beyond 65535: give it a free port of its own.
		bus := FreePort(t)
		c.Nodes = append(c.Nodes, start(t, server, func(port int, dir string) []string {
			return serverArgs(port, dir, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
				"--cluster-node-timeout", strconv.Itoa(int(NodeTimeout.Milliseconds())), "--cluster-port", strconv.Itoa(bus))
		}))
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.Nodes {
		args = append(args, n.Addr())
	}
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v: %.3000s", err, out)
	}
	c.WaitHealthy(readyTimeout, masters)
	if replicas > 0 {
		// In sync is not yet acknowledging: wait until a write on every
		// master is acknowledged by its replicas (WAIT).
		Eventually(t, readyTimeout, "replicas acknowledge", func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			nodes, err := c.ClusterNodes(ctx)
			if err != nil {
				return err
			}
			for _, n := range nodes {
				if !n.Master {
					continue
				}
				cl := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
				acks, err := cl.Wait(ctx, replicas, 200*time.Millisecond).Result()
				_ = cl.Close()
				if err != nil || acks < int64(replicas) {
					return fmt.Errorf("master %s: %d of %d replicas acknowledge (%v)", n.Addr, acks, replicas, err)
				}
			}
			return nil
		})
	}
	return c
}

// URL returns the go-redis cluster URL of the cluster: the first node, the
// others as addr parameters.
func (c *Cluster) URL() string {
	u := "redis://" + c.Nodes[0].Addr() + "?"
	for i, n := range c.Nodes[1:] {
		if i > 0 {
			u += "&"
		}
		u += "addr=" + n.Addr()
	}
	return u
}

// Node is a line of CLUSTER NODES.
type Node struct {
	ID, Addr string
	Master   bool
	Failed   bool
	MasterID string // of a replica
	Slots    int
}

// ClusterNodes returns CLUSTER NODES as one live node sees it.
func (c *Cluster) ClusterNodes(ctx context.Context) ([]Node, error) {
	var lastErr error
	for _, p := range c.Nodes {
		if p.Pid() == 0 {
			continue
		}
		cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
		s, err := cl.ClusterNodes(ctx).Result()
		_ = cl.Close()
		if err != nil {
			lastErr = err
			continue
		}
		return parseNodes(s), nil
	}
	return nil, fmt.Errorf("no live node answers: %v", lastErr)
}

// parseNodes parses CLUSTER NODES.
func parseNodes(s string) []Node {
	var nodes []Node
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 8 {
			continue
		}
		addr, _, _ := strings.Cut(f[1], "@")
		n := Node{ID: f[0], Addr: addr, Master: strings.Contains(f[2], "master"), Failed: strings.Contains(f[2], "fail")}
		if f[3] != "-" {
			n.MasterID = f[3]
		}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") {
				continue // a slot being migrated
			}
			lo, hi, ok := strings.Cut(r, "-")
			a, _ := strconv.Atoi(lo)
			b := a
			if ok {
				b, _ = strconv.Atoi(hi)
			}
			n.Slots += b - a + 1
		}
		nodes = append(nodes, n)
	}
	return nodes
}

// Proc returns the process listening on addr, or nil.
func (c *Cluster) Proc(addr string) *Proc {
	for _, p := range c.Nodes {
		if p.Addr() == addr {
			return p
		}
	}
	return nil
}

// WaitHealthy waits until every live node reports cluster_state:ok, masters
// live masters serve all 16384 slots, and every live replica's link to its
// master is up.
func (c *Cluster) WaitHealthy(timeout time.Duration, masters int) {
	c.t.Helper()
	Eventually(c.t, timeout, "cluster healthy", func() error { return c.Healthy(masters) })
}

// Healthy reports why the cluster is not healthy (see WaitHealthy), or nil.
func (c *Cluster) Healthy(masters int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, p := range c.Nodes {
		if p.Pid() == 0 {
			continue
		}
		cl := redis.NewClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
		info, err := cl.ClusterInfo(ctx).Result()
		repl, err2 := cl.Info(ctx, "replication").Result()
		_ = cl.Close()
		if err != nil || err2 != nil {
			return fmt.Errorf("%s: %v %v", p.Addr(), err, err2)
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("%s: not cluster_state:ok", p.Addr())
		}
		if strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
			return fmt.Errorf("%s: replica not in sync", p.Addr())
		}
	}
	nodes, err := c.ClusterNodes(ctx)
	if err != nil {
		return err
	}
	live, slots := 0, 0
	for _, n := range nodes {
		if n.Master && !n.Failed && n.Slots > 0 {
			live++
			slots += n.Slots
		}
	}
	if live != masters || slots != 16384 {
		return fmt.Errorf("%d masters serve %d slots", live, slots)
	}
	return nil
}

// Sentinel is a master, a replica and three Sentinels started by
// StartSentinel.
type Sentinel struct {
	Master, Replica *Proc
	Sentinels       []*Proc
	t               testing.TB
}

// MasterName is the name the Sentinels monitor the master by.
const MasterName = "mymaster"

// SentinelDownAfter is down-after-milliseconds of the Sentinels.
const SentinelDownAfter = time.Second

// StartSentinel starts a master, one replica of it and three Sentinels
// (quorum 2, down after SentinelDownAfter, failover timeout 3 s), and
// waits until the replica is in sync and every Sentinel knows the replica
// and the two other Sentinels.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	sentinel := Binary(t, "redis-sentinel")
	s := &Sentinel{t: t}
	s.Master, s.Replica = StartReplicated(t)
	for range 3 {
		s.Sentinels = append(s.Sentinels, start(t, sentinel, func(port int, dir string) []string {
			conf := filepath.Join(dir, "sentinel.conf")
			body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s 127.0.0.1 %d 2\n"+
				"sentinel down-after-milliseconds %s %d\nsentinel failover-timeout %s 3000\nsentinel parallel-syncs %s 1\n",
				port, dir, MasterName, s.Master.Port, MasterName, SentinelDownAfter.Milliseconds(), MasterName, MasterName)
			if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{conf}
		}))
	}
	Eventually(t, readyTimeout, "sentinels ready", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for _, p := range s.Sentinels {
			sc := redis.NewSentinelClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1})
			m, err := sc.Master(ctx, MasterName).Result()
			_ = sc.Close()
			if err != nil {
				return err
			}
			if m["num-slaves"] != "1" || m["num-other-sentinels"] != "2" {
				return fmt.Errorf("sentinel %s: %s replicas, %s other sentinels", p.Addr(), m["num-slaves"], m["num-other-sentinels"])
			}
		}
		return nil
	})
	return s
}

// StartServer starts one redis-server, memory only.
func StartServer(t testing.TB) *Proc {
	t.Helper()
	return start(t, Binary(t, "redis-server"), func(port int, dir string) []string { return serverArgs(port, dir) })
}

// StartReplicated starts a master and one replica of it, and waits until
// the replica is in sync.
func StartReplicated(t testing.TB) (master, replica *Proc) {
	t.Helper()
	master = StartServer(t)
	replica = start(t, Binary(t, "redis-server"), func(port int, dir string) []string {
		return serverArgs(port, dir, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))
	})
	rc := replica.Client(t)
	Eventually(t, readyTimeout, "replica in sync", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		repl, err := rc.Info(ctx, "replication").Result()
		if err != nil || !strings.Contains(repl, "master_link_status:up") {
			return fmt.Errorf("replica not in sync: %v", err)
		}
		return nil
	})
	return master, replica
}

// URL returns the Sentinel URL of the setup (redisstore.NewUniversalClient).
func (s *Sentinel) URL() string {
	u := "redis://" + s.Sentinels[0].Addr() + "/0?master_name=" + MasterName
	for _, p := range s.Sentinels[1:] {
		u += "&addr=" + p.Addr()
	}
	return u
}

// MasterAddr returns the master's address as the first live Sentinel
// answering says.
func (s *Sentinel) MasterAddr(ctx context.Context) (string, error) {
	var lastErr error
	for _, p := range s.Sentinels {
		sc := redis.NewSentinelClient(&redis.Options{Addr: p.Addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
		a, err := sc.GetMasterAddrByName(ctx, MasterName).Result()
		_ = sc.Close()
		if err == nil && len(a) == 2 {
			return net.JoinHostPort(a[0], a[1]), nil
		}
		lastErr = err
	}
	return "", lastErr
}
