package session_test

import (
	"strings"
	"testing"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

func TestUserKey(t *testing.T) {
	tests := []struct {
		name      string
		givenUser vapisec.Principal
		expectKey vapisec.Principal
	}{
		{name: "ok, folded already", givenUser: vapisec.Principal{Name: "alice", Domain: "corp"}, expectKey: vapisec.Principal{Name: "alice", Domain: "corp"}},
		{name: "ok, ASCII upper case", givenUser: vapisec.Principal{Name: "ADMINISTRATOR", Domain: "vSphere.Local"}, expectKey: vapisec.Principal{Name: "administrator", Domain: "vsphere.local"}},
		{name: "ok, no domain", givenUser: vapisec.Principal{Name: "Bob"}, expectKey: vapisec.Principal{Name: "bob"}},
		{name: "ok, Kelvin sign folds to k", givenUser: vapisec.Principal{Name: "\u212Aate"}, expectKey: vapisec.Principal{Name: "kate"}},
		{name: "ok, long s folds to s", givenUser: vapisec.Principal{Name: "\u017Fam"}, expectKey: vapisec.Principal{Name: "sam"}},
		{name: "ok, Greek final sigma", givenUser: vapisec.Principal{Name: "ΟΔΥΣΣΕΥΣ"}, expectKey: vapisec.Principal{Name: "οδυσσευσ"}},
		{name: "ok, other characters kept", givenUser: vapisec.Principal{Name: "a.b-c_1"}, expectKey: vapisec.Principal{Name: "a.b-c_1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := session.UserKey(tt.givenUser)
			if got != tt.expectKey {
				t.Fatalf("UserKey(%q) = %q, want %q", tt.givenUser, got, tt.expectKey)
			}
			// Every spelling strings.EqualFold equates has the same key.
			if !strings.EqualFold(tt.givenUser.Name, got.Name) || session.UserKey(got) != got {
				t.Fatalf("UserKey(%q) = %q: not a fold, or not idempotent", tt.givenUser, got)
			}
		})
	}
	if n := testing.AllocsPerRun(100, func() { _ = session.UserKey(vapisec.Principal{Name: "alice", Domain: "vsphere.local"}) }); n != 0 {
		t.Fatalf("UserKey of a folded name allocates %v times, want 0", n)
	}
}
