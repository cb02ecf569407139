package interop

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildGovc builds internal/govc (govc's own command code from govmomi
// v0.52.0's cli packages, session commands only) into a temporary
// directory.
func buildGovc(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "govc")
	build := exec.Command("go", "build", "-o", bin, "./internal/govc")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building govc: %v\n%s", err, out)
	}
	return bin
}

// govc runs bin with args against the server at base as user:pass (no
// credentials when user is empty), with its session cache in home, and
// returns its standard output.
func govc(t *testing.T, bin, home, base, user, pass string, args ...string) (string, error) {
	t.Helper()
	u, err := url.Parse(base + "/sdk")
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		u.User = url.UserPassword(user, pass)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "GOVMOMI_HOME="+home, "GOVC_URL="+u.String(), "GOVC_INSECURE=1", "HOME="+home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &govcError{err: err, stderr: stderr.String()}
	}
	return stdout.String(), nil
}

type govcError struct {
	err    error
	stderr string
}

func (e *govcError) Error() string { return e.err.Error() + ": " + e.stderr }

// TestGovcSessionCommands runs govc's session commands against vapisec:
// session.login (SOAP), session.ls, session.login -r (REST, which first
// builds a SOAP client on /sdk), session.login -clone and -ticket (seed
// 000 on the command line), session.logout and session.logout -r.
func TestGovcSessionCommands(t *testing.T) {
	bin := buildGovc(t)
	base := startServer(t, "--dev", "--user", "alice@vsphere.local:s3cret")
	home, backendHome := t.TempDir(), t.TempDir()
	run := func(home, user, pass string, args ...string) string {
		t.Helper()
		out, err := govc(t, bin, home, base, user, pass, args...)
		if err != nil {
			t.Fatalf("govc %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	if _, err := govc(t, bin, t.TempDir(), base, "alice@vsphere.local", "wrong", "session.login"); err == nil || !strings.Contains(err.Error(), "incorrect user name or password") {
		t.Fatalf("govc session.login with a wrong password: %v", err)
	}
	run(home, "alice@vsphere.local", "s3cret", "session.login")
	ls := run(home, "alice@vsphere.local", "s3cret", "session.ls")
	if !strings.Contains(ls, `VSPHERE.LOCAL\alice`) {
		t.Fatalf("session.ls:\n%s", ls)
	}
	run(home, "alice@vsphere.local", "s3cret", "session.login", "-r")
	if ls := run(home, "alice@vsphere.local", "s3cret", "session.ls", "-r"); !strings.Contains(ls, `VSPHERE.LOCAL\alice (REST)`) {
		t.Fatalf("session.ls -r:\n%s", ls)
	}
	ticket := strings.TrimSpace(run(home, "alice@vsphere.local", "s3cret", "session.login", "-clone"))
	if !strings.HasPrefix(ticket, "cst-") {
		t.Fatalf("session.login -clone: %q", ticket)
	}
	run(backendHome, "", "", "session.login", "-ticket", ticket)
	if ls := run(backendHome, "", "", "session.ls", "-S"); !strings.Contains(ls, `VSPHERE.LOCAL\alice`) {
		t.Fatalf("session.ls -S of the clone:\n%s", ls)
	}
	if _, err := govc(t, bin, t.TempDir(), base, "", "", "session.login", "-ticket", ticket); err == nil {
		t.Fatal("govc redeemed the same ticket twice")
	}
	run(home, "alice@vsphere.local", "s3cret", "session.logout")
	run(home, "alice@vsphere.local", "s3cret", "session.logout", "-r")
	// The clone died with the session it was cloned from.
	if _, err := govc(t, bin, backendHome, base, "", "", "session.ls", "-S"); err == nil {
		t.Fatal("the backend's clone outlived the user's session.logout")
	}
}
