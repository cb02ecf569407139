package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/vapisec/vapisec/middleware"
)

// writeUsersFile writes content to a 0600 file in a t.TempDir.
func writeUsersFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func bcryptHash(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func TestUsersFile(t *testing.T) {
	hash := bcryptHash(t, "hunter2")
	file := "# users of the demo\n\nalice@vsphere.local:s3cret:with-colon\r\n  # indented comment\nbob:" + hash + "\ncarol:$2b$" + strings.TrimPrefix(hash, "$2a$") + "\n"
	db, err := loadUsers(serveOptions{usersFile: writeUsersFile(t, file, 0o600), users: []string{"dave:pw"}}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		givenUser     string
		givenPassword string
		expectOK      bool
	}{
		{name: "ok, clear password with a colon", givenUser: "alice@vsphere.local", givenPassword: "s3cret:with-colon", expectOK: true},
		{name: "ok, bcrypt $2a$", givenUser: "bob", givenPassword: "hunter2", expectOK: true},
		{name: "ok, bcrypt $2b$", givenUser: "carol", givenPassword: "hunter2", expectOK: true},
		{name: "ok, --user beside the file", givenUser: "dave", givenPassword: "pw", expectOK: true},
		{name: "nok, wrong clear password", givenUser: "alice@vsphere.local", givenPassword: "s3cret"},
		{name: "nok, wrong bcrypt password", givenUser: "bob", givenPassword: "hunter3"},
		{name: "nok, the hash is not the password", givenUser: "bob", givenPassword: hash},
		{name: "nok, unknown user", givenUser: "mallory", givenPassword: "hunter2"},
		{name: "nok, comment is not a user", givenUser: "# users of the demo", givenPassword: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := db.Authenticate(context.Background(), tc.givenUser, tc.givenPassword)
			if tc.expectOK {
				if err != nil || id.Principal.Name == "" {
					t.Fatalf("want success, got %v %+v", err, id)
				}
				return
			}
			if !errors.Is(err, middleware.ErrInvalidCredentials) {
				t.Fatalf("want ErrInvalidCredentials, got %v", err)
			}
		})
	}
}

func TestUsersFileErrors(t *testing.T) {
	tests := []struct {
		name        string
		givenFile   string
		givenUsers  []string
		expectInErr string
	}{
		{name: "nok, line without colon", givenFile: "alice:pw\n# ok\nbob\n", expectInErr: ":3: want NAME:PASSWORD"},
		{name: "nok, empty name", givenFile: ":pw\n", expectInErr: ":1: user name"},
		{name: "nok, name with spaces", givenFile: " alice:pw\n", expectInErr: ":1: user name"},
		{name: "nok, duplicate user", givenFile: "alice:a\nalice:b\n", expectInErr: ":2: user \"alice\" given twice"},
		{name: "nok, broken bcrypt hash", givenFile: "alice:$2a$10$tooshort\n", expectInErr: ":1: user \"alice\": not a valid bcrypt hash"},
		{name: "nok, file user also given with --user", givenFile: "alice:a\n", givenUsers: []string{"alice:b"}, expectInErr: "given twice"},
		{name: "nok, overlong line", givenFile: "alice:" + strings.Repeat("x", maxUserLine+1) + "\n", expectInErr: "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadUsers(serveOptions{usersFile: writeUsersFile(t, tc.givenFile, 0o600), users: tc.givenUsers}, io.Discard)
			var ue *usageError
			if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.expectInErr) {
				t.Fatalf("want a usage error with %q, got %v", tc.expectInErr, err)
			}
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("error shows a password: %v", err)
			}
		})
	}
	if _, err := loadUsers(serveOptions{usersFile: filepath.Join(t.TempDir(), "missing")}, io.Discard); err == nil {
		t.Error("a missing users file was accepted")
	}
}

// TestUsersFileWritableByOthersIsRefused: a users file another local
// account can write lets that account add a user of its own and log in.
func TestUsersFileWritableByOthersIsRefused(t *testing.T) {
	for _, mode := range []os.FileMode{0o620, 0o602, 0o666} {
		_, err := loadUsers(serveOptions{usersFile: writeUsersFile(t, "alice:pw\n", mode)}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "lets others change it") {
			t.Errorf("mode %04o: want a refusal, got %v", mode, err)
		}
	}
}

// TestUsersFileReadableByOthersWarns: readable by others is used, with a
// warning (container secrets are often 0644).
func TestUsersFileReadableByOthersWarns(t *testing.T) {
	var out bytes.Buffer
	if _, err := loadUsers(serveOptions{usersFile: writeUsersFile(t, "alice:pw\n", 0o644)}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "warning") || !strings.Contains(out.String(), "0644") {
		t.Errorf("no warning for a 0644 users file: %q", out.String())
	}
	out.Reset()
	if _, err := loadUsers(serveOptions{usersFile: writeUsersFile(t, "alice:pw\n", 0o600)}, &out); err != nil || out.Len() != 0 {
		t.Errorf("0600: %v %q", err, out.String())
	}
}

// TestUsersFileUnknownUserIsComparedAgainstDummyHash: with bcrypt users, an
// unknown user name must cost a bcrypt comparison too, or the answer time
// tells which user names exist (user enumeration). No timing is measured:
// the dummy hash must exist and have the cost of the file's hashes.
func TestUsersFileUnknownUserIsComparedAgainstDummyHash(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost+1)
	if err != nil {
		t.Fatal(err)
	}
	db, err := loadUsers(serveOptions{usersFile: writeUsersFile(t, "alice:"+string(hash)+"\n", 0o600)}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cost, err := bcrypt.Cost(db.dummyBcrypt)
	if err != nil || cost != bcrypt.MinCost+1 {
		t.Fatalf("dummy hash %q: cost %d, %v; want %d", db.dummyBcrypt, cost, err, bcrypt.MinCost+1)
	}
	if _, err := db.Authenticate(context.Background(), "nobody", "pw"); !errors.Is(err, middleware.ErrInvalidCredentials) {
		t.Fatal(err)
	}
}

// TestServeUsersFileLogin: serve --users-file logs in a bcrypt user, so no
// password has to appear on the command line (ps) at all.
func TestServeUsersFileLogin(t *testing.T) {
	path := writeUsersFile(t, "alice@vsphere.local:"+bcryptHash(t, "s3cret")+"\n", 0o600)
	ts := newDevServer(t, serveOptions{usersFile: path})
	for _, tc := range []struct {
		password string
		expect   int
	}{{"s3cret", http.StatusCreated}, {"wrong", http.StatusUnauthorized}} {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/session", nil)
		req.SetBasicAuth("alice@vsphere.local", tc.password)
		req.Header.Set("vmware-use-header-authn", "true")
		if got := status(t, req); got != tc.expect {
			t.Errorf("password %q: %d, want %d", tc.password, got, tc.expect)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"serve", "--users-file", filepath.Join(t.TempDir(), "nope")}, nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "--users-file") {
		t.Errorf("missing users file: exit %d, %s", code, stderr.String())
	}
}
