package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec/verifier"
)

// ReplayCache is a verifier.ReplayCache on Redis, shared by every instance
// that points at the same Redis: a signed request (JSON-RPC body or SIGN
// nonce) accepted by one instance is rejected as replayed by all the
// others. Record is one SET key 1 NX PX ttl: atomic, one round trip, and
// the entry's lifetime is held by Redis's clock, the same for every
// instance.
//
// Each entry is its own key "prefix:replay:<hex>" without a hash tag, so
// in Redis Cluster the entries spread over every node. A ReplayCache is
// safe for concurrent use.
type ReplayCache struct {
	client  redis.UniversalClient
	timeout time.Duration
	prefix  string
}

var _ verifier.ReplayCache = (*ReplayCache)(nil)

// NewReplayCache returns a ReplayCache on client. It accepts the options of
// New (WithPrefix, WithTimeout) and fails with ErrConfig like New.
func NewReplayCache(client redis.UniversalClient, opts ...Option) (*ReplayCache, error) {
	c, err := newConfig(client, opts)
	if err != nil {
		return nil, err
	}
	return &ReplayCache{client: client, timeout: c.timeout, prefix: c.prefix + ":replay:"}, nil
}

// Record implements verifier.ReplayCache: it stores key for ttl (rounded up
// to whole milliseconds, at least one) unless it is stored already. It
// fails with verifier.ErrReplayed when the key is there, and with an error
// wrapping verifier.ErrStoreUnavailable when Redis could not be asked (the
// verifier then refuses the request).
func (r *ReplayCache) Record(ctx context.Context, key verifier.ReplayKey, ttl time.Duration) error {
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	ttl = max((ttl + time.Millisecond - 1).Truncate(time.Millisecond), time.Millisecond)
	stored, err := r.client.SetNX(ctx, r.prefix+key.String(), "1", ttl).Result()
	if err != nil {
		return fmt.Errorf("%w: redisstore: %w", verifier.ErrStoreUnavailable, err)
	}
	if !stored {
		return verifier.ErrReplayed
	}
	return nil
}
