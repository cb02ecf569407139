//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestServeDevRemovesTempDirOnSignal: the ways a server is stopped —
// SIGTERM from a service manager, SIGHUP when its terminal or ssh session
// closes — also remove the temporary directory of development private keys
// (issue 14 item 11).
func TestServeDevRemovesTempDirOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) { testServeDevRemovesTempDirOn(t, sig) })
	}
}

func testServeDevRemovesTempDirOn(t *testing.T, sig syscall.Signal) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	rs := startServe(t, serveOptions{dev: true, users: []string{"u:p"}})
	dir := devDirOf(t, rs)
	if _, err := os.Stat(filepath.Join(dir, devHoKKey)); err != nil {
		t.Fatalf("while serving: %v", err)
	}
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rs.exited:
		if rs.result != nil {
			t.Fatal(rs.result)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not stop on %v within 15 s", sig)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after %v %s is still there (stat: %v)", sig, dir, err)
	}
}
