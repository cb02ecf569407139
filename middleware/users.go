package middleware

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/vapisec/vapisec"
)

// StaticUsers is a development helper: an Authenticator over a fixed set of
// users held in memory, for demos, tests and "vapisec serve". Passwords are
// kept as SHA-256 digests and compared in constant time; an unknown user
// costs the same comparison as a known one. Users are fixed once serving
// starts: there is no rotation, lockout or persistence.
//
// WARNING: not for production. A fixed in-memory user list with unsalted
// digests is not a user directory. In production implement Authenticator
// (or use AuthenticatorFunc) over your own directory: LDAP, an SSO or
// identity provider, or your application's user store.
type StaticUsers struct {
	users map[string]staticUser
	dummy [sha256.Size]byte
}

type staticUser struct {
	digest [sha256.Size]byte
	groups []string
}

// NewStaticUsers returns a StaticUsers holding users, a map from user name to
// password. User names are compared exactly (case-sensitive). It returns an
// error for an empty user name or one containing a colon (RFC 7617 forbids
// it).
func NewStaticUsers(users map[string]string) (*StaticUsers, error) {
	s := &StaticUsers{users: make(map[string]staticUser, len(users)), dummy: sha256.Sum256([]byte("vapisec: no such user"))}
	for name, password := range users {
		if err := s.Add(name, password); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Add adds or replaces a user, with optional groups. It is not safe to call
// concurrently with Authenticate: build the set before serving.
func (s *StaticUsers) Add(name, password string, groups ...string) error {
	if name == "" || strings.ContainsRune(name, ':') {
		return fmt.Errorf("%w: user name %.40q must be non-empty and contain no colon", ErrInvalidConfig, name)
	}
	s.users[name] = staticUser{digest: sha256.Sum256([]byte(password)), groups: groups}
	return nil
}

// Authenticate implements Authenticator.
func (s *StaticUsers) Authenticate(_ context.Context, username, password string) (Identity, error) {
	u, ok := s.users[username]
	want := s.dummy
	if ok {
		want = u.digest
	}
	got := sha256.Sum256([]byte(password))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 || !ok {
		return Identity{}, ErrInvalidCredentials
	}
	return Identity{Principal: vapisec.ParsePrincipal(username), Groups: u.groups}, nil
}
