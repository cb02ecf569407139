package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec/verifier"
)

// ReplayCache is a verifier.ReplayCache on Redis, shared by every instance
// that points at the same Redis: a signed request (JSON-RPC body or SIGN
// nonce) accepted by one instance is rejected as replayed by all the
// others, and each user's share (verifier.WithReplaySubjectShare) and each
// token holder's share within it (verifier.WithReplayShare) are counted
// across all of them (DESIGN Q22).
//
// Record is one Lua script, one round trip, atomic: it refuses a key that
// is stored, drops the expired entries from the subject's and the
// holder's indexes, refuses the entry when the subject or the holder
// already has its share of live ones, and otherwise stores the entry with
// SET PX ttl and adds it to both indexes. Lifetimes are held by Redis's
// clock (TIME and PX), the same for every instance; a script that reads
// TIME and then writes needs Redis 5 or later (script effects
// replication).
//
// Keys, all tagged with the subject so that they share one Redis Cluster
// slot (entries of different users spread over the cluster):
//
//	prefix:replay:{<subject hex>}:<key hex>     the entry, string "1", PX ttl
//	prefix:replay:{<subject hex>}               the subject's index: a sorted
//	                                            set of entry keys (raw 32
//	                                            bytes) scored by expiry in
//	                                            Unix ms, PEXPIRE its longest
//	                                            entry
//	prefix:replay:{<subject hex>}:h:<owner hex> the holder's index within the
//	                                            subject, the same shape
//
// The holder's share is therefore counted per subject: a certificate bound
// to tokens of several subjects gets a share under each, every one within
// its subject's share. There is no cache-wide bound: a global count would
// be one key that every Record touches, which is neither atomic with the
// entries across Cluster slots nor cheap; Redis maxmemory (with
// maxmemory-policy noeviction: a full Redis refuses the write, and Record
// fails closed) and the per-subject shares bound it instead, at about
// subjects × subject share × bytes per entry (docs/distributed.md).
//
// About 550 bytes of Redis memory per live entry (measured on Redis
// 7.0.15 with 20,000 entries: the entry key, its member in the subject's
// index and, ~140 of it, its member in the holder's index;
// docs/distributed.md). A ReplayCache is safe for concurrent use.
type ReplayCache struct {
	client  redis.UniversalClient
	timeout time.Duration
	prefix  string
	script  *redis.Script
}

var _ verifier.ReplayCache = (*ReplayCache)(nil)

// recordReplayScript: KEYS[1] the entry, KEYS[2] the subject's index,
// KEYS[3] the holder's index; ARGV[1] the TTL in ms, ARGV[2] the holder's
// share, ARGV[3] the subject's share (0: unbounded), ARGV[4] the index
// member. Returns 1 stored, 0 replayed, -1 holder's share used up, -2
// subject's share used up.
const recordReplayScript = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local share = tonumber(ARGV[2])
local subjectShare = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if subjectShare > 0 and redis.call('ZCARD', KEYS[2]) >= subjectShare then
  return -2
end
if share > 0 and redis.call('ZCARD', KEYS[3]) >= share then
  return -1
end
redis.call('SET', KEYS[1], '1', 'PX', ttl)
for i = 2, 3 do
  redis.call('ZADD', KEYS[i], now + ttl, ARGV[4])
  if redis.call('PTTL', KEYS[i]) < ttl then
    redis.call('PEXPIRE', KEYS[i], ttl)
  end
end
return 1
`

// NewReplayCache returns a ReplayCache on client. It accepts the options of
// New (WithPrefix, WithTimeout) and fails with ErrConfig like New.
func NewReplayCache(client redis.UniversalClient, opts ...Option) (*ReplayCache, error) {
	c, err := newConfig(client, opts)
	if err != nil {
		return nil, err
	}
	return &ReplayCache{client: client, timeout: c.timeout, prefix: c.prefix + ":replay:", script: redis.NewScript(recordReplayScript)}, nil
}

// Record implements verifier.ReplayCache: it stores e.Key for e.TTL
// (rounded up to whole milliseconds, at least one) unless it is stored
// already, e.Subject holds e.SubjectShare live entries or e.Owner holds
// e.Share of them. It fails with verifier.ErrReplayed when the key is
// there, with verifier.ErrReplayQuota (and verifier.ErrStoreUnavailable)
// when a share is used up, and with an
// error wrapping verifier.ErrStoreUnavailable when Redis could not be asked
// (the verifier then refuses the request).
func (r *ReplayCache) Record(ctx context.Context, e verifier.ReplayEntry) error {
	if r.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.timeout)
		defer cancel()
	}
	ttl := max((e.TTL + time.Millisecond - 1).Truncate(time.Millisecond), time.Millisecond)
	index := r.prefix + "{" + e.Subject.String() + "}"
	keys := []string{index + ":" + e.Key.String(), index, index + ":h:" + e.Owner.String()}
	res, err := r.script.Run(ctx, r.client, keys, ttl.Milliseconds(), max(e.Share, 0), max(e.SubjectShare, 0), string(e.Key[:])).Int64()
	if err != nil {
		return fmt.Errorf("%w: redisstore: %w", verifier.ErrStoreUnavailable, err)
	}
	switch res {
	case 1:
		return nil
	case 0:
		return verifier.ErrReplayed
	case -1:
		return fmt.Errorf("%w: %w: redisstore: holder's share %d", verifier.ErrReplayQuota, verifier.ErrStoreUnavailable, e.Share)
	case -2:
		return fmt.Errorf("%w: %w: redisstore: user's share %d", verifier.ErrReplayQuota, verifier.ErrStoreUnavailable, e.SubjectShare)
	}
	return fmt.Errorf("%w: redisstore: replay script answered %s", verifier.ErrStoreUnavailable, strconv.FormatInt(res, 10))
}
