package redisstore_test

import (
	"crypto/sha256"
	"testing"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/session"
)

// TestShardTagDoesNotRevealTheUserName: the tag every id carries must not
// let whoever sees ids look their user up in a list of names (an unkeyed
// hash would: "administrator" is the first guess). The Store keys the tags
// with a random deployment key it keeps in Redis: two Stores of one
// deployment agree on it (SET NX), another deployment has another one.
func TestShardTagDoesNotRevealTheUserName(t *testing.T) {
	srv := startRedis(t, false)
	other := startRedis(t, false)
	ctx := t.Context()
	admin := vapisec.Principal{Name: "Administrator", Domain: "vsphere.local"}
	a := newStore(t, srv.Client(t))
	b := newStore(t, srv.Client(t))
	c := newStore(t, other.Client(t))
	tags := map[string]session.Tag{}
	for name, s := range map[string]*redisstore.Store{"A": a, "B": b, "other deployment": c} {
		tag, err := s.UserTag(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		tags[name] = tag
	}
	if tags["A"] != tags["B"] {
		t.Fatalf("two instances of one deployment disagree on the tag: %v, %v", tags["A"], tags["B"])
	}
	if tags["A"] == tags["other deployment"] {
		t.Fatal("two deployments give one user the same tag: the tag is not keyed by the deployment")
	}
	// A dictionary attack with the obvious unkeyed derivations fails.
	folded := session.UserKey(admin)
	sum := sha256.Sum256([]byte(folded.Name + "\x00" + folded.Domain))
	for what, guess := range map[string]session.Tag{
		"HMAC under an empty key": session.UserTagOf(nil, admin),
		"SHA-256 of the user key": session.Tag(sum[:session.TagBytes]),
	} {
		if guess == tags["A"] {
			t.Fatalf("the tag is the %s: ids reveal their user", what)
		}
	}
	// With WithShardKey every instance uses the given key, without asking
	// Redis, and tags are UserTagOf under it.
	key := []byte("sixteen bytes or more")
	d := newStore(t, other.Client(t), redisstore.WithShardKey(key))
	tag, err := d.UserTag(ctx, admin)
	if err != nil || tag != session.UserTagOf(key, admin) {
		t.Fatalf("WithShardKey tag = %v, %v; want UserTagOf(key)", tag, err)
	}
}
