package interop

import (
	"bufio"
	"context"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/types"
)

// startRedis runs a real redis-server on a free loopback port for the test
// (in memory only) and returns its redis:// URL. Without redis-server the
// test is skipped, except in CI (CI=true), where it fails.
func startRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("redis-server not installed (CI=true: the Redis interop test must run): %v", err)
		}
		t.Skipf("redis-server not installed: %v", err)
	}
	for attempt := 0; attempt < 5; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_, port, _ := net.SplitHostPort(addr)
		_ = ln.Close()
		cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--loglevel", "warning")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		if redisPings(addr, done) {
			t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
			return "redis://" + addr + "/0"
		}
		_ = cmd.Process.Kill()
		<-done
	}
	t.Fatal("redis-server did not start")
	return ""
}

// redisPings waits up to 10 s for PING → +PONG at addr.
func redisPings(addr string, exited <-chan struct{}) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			_ = c.SetDeadline(time.Now().Add(time.Second))
			_, _ = c.Write([]byte("PING\r\n"))
			line, err := bufio.NewReader(c).ReadString('\n')
			_ = c.Close()
			if err == nil && strings.HasPrefix(line, "+PONG") {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// TestGovmomiSOAPTwoInstancesOneRedis: two vapisec instances share one
// real Redis: a govmomi login on A, a clone ticket acquired on A and
// redeemed on B, the ticket refused on A afterwards, and the clone on B
// dead after the parent's Logout on A.
func TestGovmomiSOAPTwoInstancesOneRedis(t *testing.T) {
	redisURL := startRedis(t)
	a := startServer(t, "--dev", "--user", "alice@vsphere.local:s3cret", "--redis", redisURL)
	b := startServer(t, "--dev", "--user", "alice@vsphere.local:s3cret", "--redis", redisURL)
	ctx := context.Background()

	_, onA := newSOAPClient(t, a)
	if err := onA.Login(ctx, url.UserPassword("alice@vsphere.local", "s3cret")); err != nil {
		t.Fatalf("Login on A: %v", err)
	}
	ticket, err := onA.AcquireCloneTicket(ctx)
	if err != nil {
		t.Fatalf("AcquireCloneTicket on A: %v", err)
	}
	_, onB := newSOAPClient(t, b)
	if err := onB.CloneSession(ctx, ticket); err != nil {
		t.Fatalf("CloneSession on B: %v", err)
	}
	if s := userSession(t, onB); s == nil || s.UserName != `VSPHERE.LOCAL\alice` {
		t.Fatalf("clone on B: %+v", s)
	}
	_, againA := newSOAPClient(t, a)
	if err := againA.CloneSession(ctx, ticket); !fault.Is(err, &types.InvalidLogin{}) {
		t.Fatalf("ticket redeemed on B, again on A: %v, want InvalidLogin", err)
	}
	if err := onA.Logout(ctx); err != nil {
		t.Fatalf("Logout on A: %v", err)
	}
	if s := userSession(t, onB); s != nil {
		t.Fatalf("the clone on B outlived the parent's Logout on A: %+v", s)
	}
}
