package redisstore

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Defaults of the Store options.
const (
	// DefaultPrefix starts every key the store writes.
	DefaultPrefix = "vapisec"
	// DefaultTimeout bounds each operation (one round trip to Redis).
	DefaultTimeout = 500 * time.Millisecond
	// DefaultPipelines is the number of pipelines the Store's per-request
	// operations (Touch, Get) keep in flight at most (WithPipelines).
	DefaultPipelines = 1
	// DefaultTouchFraction is the share of the idle timeout by which the
	// stored LastAccessed may lag (WithTouchFraction): 0, every Touch
	// writes.
	DefaultTouchFraction = 0.0
)

// Option configures a Store (New) or a ReplayCache (NewReplayCache): both
// are connections to one Redis deployment and take the same options.
// Options are applied in order; an invalid value makes the constructor fail
// with ErrConfig.
type Option func(*config) error

type config struct {
	prefix   string
	timeout  time.Duration
	shardKey []byte
	// waitReplicas and waitTimeout: WithWaitReplicas.
	waitReplicas int
	waitTimeout  time.Duration
	// pipelines: WithPipelines; touchFraction: WithTouchFraction.
	pipelines     int
	touchFraction float64
}

// minShardKey is the shortest shard key accepted (WithShardKey).
const minShardKey = 16

// WithPrefix sets the prefix of every key, so that several deployments (or
// other applications) can share one Redis database. The session keys are
// "prefix:{<tag>}:r:<hex>" (records), "prefix:{<tag>}:c:<hex>" (children
// of a record) and "prefix:{<tag>}:u:<hex>" (a user's records), where
// <tag> is the user's shard tag (session.Tag, 8 hex digits, the start of
// <hex>): the braces make it a Redis Cluster hash tag, so one user's keys
// share one slot and different users spread over the cluster; the shard
// key is "prefix:shard-key" (see Store.UserTag). The replay
// entries are "prefix:replay:{<holder>}:<hex>", tagged by token holder, so
// that different holders spread over the cluster. The prefix must be
// non-empty and contain no brace; otherwise the constructor fails with
// ErrConfig. Default value DefaultPrefix ("vapisec").
func WithPrefix(prefix string) Option {
	return func(c *config) error {
		if prefix == "" || strings.ContainsAny(prefix, "{}") {
			return fmt.Errorf("%w: prefix %.40q is empty or has a brace", ErrConfig, prefix)
		}
		c.prefix = prefix
		return nil
	}
}

// WithTimeout bounds every operation: the context given to Redis expires
// after d (or earlier, with the caller's own deadline). A store that does
// not answer in time is reported unavailable (the middleware answers 503).
// The Redis client must respect context deadlines for this to cut a
// blocked read short: set redis.Options.ContextTimeoutEnabled (ParseURL
// does). Zero disables the store's own bound (the caller's context and the
// client's read and write timeouts still apply); negative values are a
// configuration error. Default value DefaultTimeout (500 ms).
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: negative timeout %v", ErrConfig, d)
		}
		c.timeout = d
		return nil
	}
}

// WithShardKey sets the key of the users' shard tags (session.UserTagOf):
// every instance of a deployment must be given the same one, of at least
// 16 bytes (a shorter one is a configuration error); keep it as secret as
// the Redis password (with it, whoever sees ids can tell whose they are).
// Changing it moves new logins of each user to another slot: the sessions
// created before keep working (their ids carry their tag), but the user's
// quota and Manager.Sessions count only those of the current key. Without
// it (the default) the Store reads the key from Redis, where the first
// instance to need it stores a random one (Store.UserTag). A ReplayCache
// ignores it.
func WithShardKey(key []byte) Option {
	return func(c *config) error {
		if len(key) < minShardKey {
			return fmt.Errorf("%w: shard key of %d bytes, want at least %d", ErrConfig, len(key), minShardKey)
		}
		c.shardKey = append([]byte(nil), key...)
		return nil
	}
}

// WithPipelines makes the per-request operations of a Store (Touch and Get)
// share round trips: the calls of concurrent requests are queued and sent
// together as one pipeline, with at most n pipelines in flight at a time
// (on a Cluster client: per master, each master's calls queued apart, so a
// failing master delays only its own users' calls; at most 16384 waiting
// per master). Each request still costs one command on Redis (one
// EVALSHA, or with WithTouchFraction mostly one HMGET), but
// far fewer system calls and loopback round trips under load, which is what
// bounds a Redis-backed session on a small machine (docs/performance.md).
// Every caller waits for its own reply only until its own deadline (the
// store's timeout, WithTimeout, or the caller's context): a hung Redis
// fails each request in time, whatever the pipeline carrying it does. At
// most 16384 calls wait for a pipeline; beyond, a call fails at once as
// store unavailable. n = 0 sends every call on its own round trip (one
// EVALSHA per call, as the other methods do); negative n is a
// configuration error. ReplayCache ignores it. Default value
// DefaultPipelines (1: the fewer pipelines in flight, the more requests
// each carries; 1 cost the least CPU per request on a 2-core machine, see
// docs/performance.md).
func WithPipelines(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: negative pipelines %d", ErrConfig, n)
		}
		c.pipelines = n
		return nil
	}
}

// WithTouchFraction makes the sliding idle expiry coarser, so that most
// requests only read: Touch writes the session's LastAccessed (and its TTL)
// only when the stored one is older than f × the session's idle timeout;
// otherwise the script reads and checks as always but writes nothing. The
// idle timeout stays exact to that fraction, and only ever shorter: a
// session idles out no later than IdleTimeout after its last use and at
// most f × IdleTimeout earlier (f = 1/8 with the 30 min default: between
// 26 min 15 s and 30 min), and the LastAccessed a lookup reports lags by as
// much. The absolute lifetime, logout, cascades and the parent-chain checks
// are exact whatever f is. f must be in [0, 1); otherwise the constructor
// fails with ErrConfig. Zero writes on every Touch. ReplayCache ignores it.
// Default value DefaultTouchFraction (0).
func WithTouchFraction(f float64) Option {
	return func(c *config) error {
		if math.IsNaN(f) || f < 0 || f >= 1 {
			return fmt.Errorf("%w: touch fraction %v not in [0, 1)", ErrConfig, f)
		}
		c.touchFraction = f
		return nil
	}
}
