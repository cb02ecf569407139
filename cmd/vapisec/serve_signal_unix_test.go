//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestServeDevRemovesTempDirOnSIGTERM: the way a service manager stops the
// server (SIGTERM) also removes the temporary directory of development
// private keys (issue 14 item 11).
func TestServeDevRemovesTempDirOnSIGTERM(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	rs := startServe(t, serveOptions{dev: true, users: []string{"u:p"}})
	dir := devDirOf(t, rs)
	if _, err := os.Stat(filepath.Join(dir, devHoKKey)); err != nil {
		t.Fatalf("while serving: %v", err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rs.exited:
		if rs.result != nil {
			t.Fatal(rs.result)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on SIGTERM within 15 s")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after SIGTERM %s is still there (stat: %v)", dir, err)
	}
}
