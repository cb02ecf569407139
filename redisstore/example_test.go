package redisstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/session"
)

// Two Managers — two instances of a deployment — share their sessions
// through one Redis: a login on one is valid on the other, a logout on one
// ends the session on both.
func Example() {
	m, err := miniredis.Run() // a real deployment: redis.NewClient(redisstore.ParseURL(url, 0))
	if err != nil {
		panic(err)
	}
	defer m.Close()
	ctx := context.Background()

	instance := func() *session.Manager {
		client := redis.NewClient(&redis.Options{Addr: m.Addr()})
		store, err := redisstore.New(client)
		if err != nil {
			panic(err)
		}
		manager, err := session.NewManager(store)
		if err != nil {
			panic(err)
		}
		return manager
	}
	a, b := instance(), instance()

	s, err := a.Create(ctx, session.Identity{Principal: vapisec.Principal{Name: "alice", Domain: "vsphere.local"}})
	if err != nil {
		panic(err)
	}
	got, err := b.Lookup(ctx, s.ID)
	fmt.Println("B sees:", got.Principal, err)

	_ = a.Delete(ctx, s.ID)
	_, err = b.Lookup(ctx, s.ID)
	fmt.Println("after logout on A, B:", errors.Is(err, session.ErrUnknownSession))
	// Output:
	// B sees: alice@vsphere.local <nil>
	// after logout on A, B: true
}

// When Redis cannot be reached every operation fails closed with
// session.ErrStoreUnavailable, which the middleware answers with 503.
func ExampleStore_errorChecking() {
	m, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	client := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1})
	defer client.Close()
	store, err := redisstore.New(client)
	if err != nil {
		panic(err)
	}
	manager, err := session.NewManager(store)
	if err != nil {
		panic(err)
	}
	m.Close() // Redis goes away

	_, err = manager.Create(context.Background(), session.Identity{Principal: vapisec.Principal{Name: "alice"}})
	switch {
	case errors.Is(err, session.ErrStoreUnavailable):
		reason, _ := session.ReasonOf(err)
		fmt.Println("503:", reason)
	case err != nil:
		fmt.Println("other error")
	}
	// Output:
	// 503: store_unavailable
}
