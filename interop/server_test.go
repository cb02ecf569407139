package interop

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// vapisecBin is the vapisec binary built from the main module by TestMain.
var vapisecBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vapisec-interop")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vapisecBin = filepath.Join(dir, "vapisec")
	build := exec.Command("go", "build", "-o", vapisecBin, "./cmd/vapisec")
	build.Dir = ".."
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building vapisec:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// startServer runs "vapisec serve" on a free loopback port with args and
// returns its base URL. The server is stopped (SIGTERM, so that it shuts
// down as it would in production) when the test ends. With --dev and no
// --dev-dir the development keys go to a t.TempDir, so that no run leaves
// a directory behind even if the server is killed.
func startServer(t *testing.T, args ...string) string {
	t.Helper()
	if slices.Contains(args, "--dev") && !slices.Contains(args, "--dev-dir") {
		args = append(args, "--dev-dir", t.TempDir())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, vapisecBin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "vapisec: listening on "); ok {
				lines <- u
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case u := <-lines:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("vapisec serve did not report its address")
	}
	return ""
}
