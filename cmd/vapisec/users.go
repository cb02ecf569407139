package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/middleware"
)

// maxUsersFile bounds the --users-file read (a user list, not a directory).
const maxUsersFile = 4 << 20

// maxUserLine bounds one line of --users-file.
const maxUserLine = 4 << 10

// userDB is the Authenticator of "serve": the users of --users-file and
// --user, each with a clear password (kept as a SHA-256 digest, compared in
// constant time) or a bcrypt hash (bcrypt.CompareHashAndPassword). An
// unknown user costs what a known one does: its password is compared
// against a dummy of the costliest kind the list holds.
type userDB struct {
	users map[string]userEntry
	// dummyBcrypt is compared against for an unknown user when the list
	// holds a bcrypt hash; nil otherwise (a digest is compared instead).
	dummyBcrypt []byte
	dummyDigest [sha256.Size]byte
}

type userEntry struct {
	bcrypt []byte            // a bcrypt hash, or nil
	digest [sha256.Size]byte // SHA-256 of the clear password when bcrypt is nil
}

func newUserDB() *userDB {
	return &userDB{users: map[string]userEntry{}, dummyDigest: sha256.Sum256([]byte("vapisec: no such user"))}
}

func (db *userDB) len() int { return len(db.users) }

func checkUserName(name string) error {
	if name == "" || strings.ContainsRune(name, ':') {
		return fmt.Errorf("user name %.40q must be non-empty and contain no colon", name)
	}
	if strings.TrimSpace(name) != name {
		return fmt.Errorf("user name %.40q has leading or trailing white space", name)
	}
	return nil
}

func (db *userDB) add(name string, e userEntry) error {
	if err := checkUserName(name); err != nil {
		return err
	}
	if _, dup := db.users[name]; dup {
		return fmt.Errorf("user %.40q given twice", name)
	}
	db.users[name] = e
	return nil
}

// addPlain adds a user with a clear password.
func (db *userDB) addPlain(name, password string) error {
	return db.add(name, userEntry{digest: sha256.Sum256([]byte(password))})
}

// addBcrypt adds a user with a bcrypt hash; the hash must parse.
func (db *userDB) addBcrypt(name string, hash []byte) error {
	cost, err := bcrypt.Cost(hash)
	if err != nil {
		return fmt.Errorf("user %.40q: not a valid bcrypt hash: %w", name, err)
	}
	if err := db.add(name, userEntry{bcrypt: append([]byte(nil), hash...)}); err != nil {
		return err
	}
	if db.dummyBcrypt == nil {
		// A hash of a random password nobody knows, at the cost of the
		// first hash in the list (the usual case: one cost for all).
		pass, err := randomPassword()
		if err != nil {
			return err
		}
		if db.dummyBcrypt, err = bcrypt.GenerateFromPassword([]byte(pass), cost); err != nil {
			return err
		}
	}
	return nil
}

// isBcryptHash reports whether a password field is a bcrypt hash.
func isBcryptHash(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}

// Authenticate implements middleware.Authenticator.
func (db *userDB) Authenticate(_ context.Context, username, password string) (middleware.Identity, error) {
	u, ok := db.users[username]
	var good bool
	switch {
	case ok && u.bcrypt != nil:
		good = bcrypt.CompareHashAndPassword(u.bcrypt, []byte(password)) == nil
	case ok:
		got := sha256.Sum256([]byte(password))
		good = subtle.ConstantTimeCompare(got[:], u.digest[:]) == 1
	case db.dummyBcrypt != nil:
		_ = bcrypt.CompareHashAndPassword(db.dummyBcrypt, []byte(password))
	default:
		got := sha256.Sum256([]byte(password))
		_ = subtle.ConstantTimeCompare(got[:], db.dummyDigest[:])
	}
	if !ok || !good {
		return middleware.Identity{}, middleware.ErrInvalidCredentials
	}
	return middleware.Identity{Principal: vapisec.ParsePrincipal(username)}, nil
}

// loadUsers builds the users of "serve" from --users-file and --user.
// Warnings (a group- or world-readable file) go to out.
func loadUsers(o serveOptions, out io.Writer) (*userDB, error) {
	db := newUserDB()
	if o.usersFile != "" {
		if err := db.readFile(o.usersFile, out); err != nil {
			return nil, err
		}
	}
	for _, u := range o.users {
		name, pass, ok := strings.Cut(u, ":")
		if !ok || name == "" {
			return nil, usagef("--user %q: want NAME:PASSWORD", u)
		}
		if err := db.addPlain(name, pass); err != nil {
			return nil, usagef("--user: %v", err)
		}
	}
	return db, nil
}

// readFile reads a users file: one NAME:PASSWORD or NAME:BCRYPT-HASH per
// line, blank lines and lines starting with # ignored. A file others may
// write to is refused (anyone who can add a line can log in); one others
// may read is used with a warning.
func (db *userDB) readFile(path string, out io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return usagef("--users-file: %v", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return usagef("--users-file: %v", err)
	}
	if !fi.Mode().IsRegular() {
		return usagef("--users-file %s: not a regular file", path)
	}
	if runtime.GOOS != "windows" {
		if perm := fi.Mode().Perm(); perm&0o022 != 0 {
			return usagef("--users-file %s: mode %04o lets others change it; chmod go-w (0600 is best)", path, perm)
		} else if perm&0o044 != 0 {
			fmt.Fprintf(out, "vapisec: warning: --users-file %s: mode %04o lets others read the passwords; chmod 0600\n", path, perm)
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxUsersFile+1))
	if err != nil {
		return usagef("--users-file: %v", err)
	}
	if len(data) > maxUsersFile {
		return usagef("--users-file %s: larger than %d bytes", path, maxUsersFile)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 256), maxUserLine)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		name, pass, ok := strings.Cut(line, ":")
		if !ok {
			return usagef("--users-file %s:%d: want NAME:PASSWORD or NAME:BCRYPT-HASH", path, n)
		}
		if isBcryptHash(pass) {
			err = db.addBcrypt(name, []byte(pass))
		} else {
			err = db.addPlain(name, pass)
		}
		if err != nil {
			return usagef("--users-file %s:%d: %v", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return usagef("--users-file %s: a line longer than %d bytes: %v", path, maxUserLine, err)
	}
	return nil
}
