package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec/redisstore"
	"github.com/vapisec/vapisec/session"
	"github.com/vapisec/vapisec/verifier"
)

// envRedisURL names the environment variable that --redis defaults to.
const envRedisURL = "VAPISEC_REDIS_URL"

// defaultRedisTouchFraction is the default of --redis-touch-fraction (see
// redisstore.WithTouchFraction): with the 30 min idle timeout, a session
// idles out between 26 min 15 s and 30 min after its last use.
const defaultRedisTouchFraction = 0.125

// redisPingTimeout bounds the check that Redis answers at start-up.
const redisPingTimeout = 3 * time.Second

// sharedState is where "vapisec serve" keeps what several instances must
// share: in this process's memory, or in Redis with --redis.
type sharedState struct {
	// store holds the sessions, clone tickets and channel credentials.
	store session.Store
	// replay is the replay cache of signed requests; nil means a verifier's
	// own in-memory cache (one instance only).
	replay verifier.ReplayCache
	// client is the Redis client, nil in memory mode.
	client redis.UniversalClient
}

// openSharedState returns the Redis store and replay cache on o.redisURL
// (or, when it is empty, $VAPISEC_REDIS_URL), after checking that Redis
// answers: a server that cannot reach its store does not start. With
// neither it returns the memory store. The URL is read from the
// environment here, not as the flag's default, so that --help never shows
// a password.
func openSharedState(o serveOptions) (*sharedState, error) {
	if o.redisURL == "" {
		o.redisURL = os.Getenv(envRedisURL)
	}
	if o.redisWait < 0 || (o.redisWait > 0 && o.redisWaitTimeout <= 0) {
		return nil, usagef("--redis-wait-replicas %d --redis-wait-timeout %v: want replicas ≥ 0 and a positive timeout", o.redisWait, o.redisWaitTimeout)
	}
	if o.redisURL == "" {
		if o.redisWait > 0 {
			return nil, usagef("--redis-wait-replicas needs --redis (or $%s)", envRedisURL)
		}
		store, err := session.NewMemoryStore()
		if err != nil {
			return nil, err
		}
		return &sharedState{store: store}, nil
	}
	client, err := redisstore.NewUniversalClient(o.redisURL, 0)
	if err != nil {
		return nil, usagef("--redis: %v", err)
	}
	storeOpts := []redisstore.Option{redisstore.WithTouchFraction(o.redisTouch)}
	if o.redisWait > 0 {
		storeOpts = append(storeOpts, redisstore.WithWaitReplicas(o.redisWait, o.redisWaitTimeout))
	}
	// New does not contact Redis: a bad fraction is a usage error even
	// when Redis is down (the wait options are checked above).
	store, err := redisstore.New(client, storeOpts...)
	if err != nil {
		_ = client.Close()
		return nil, usagef("--redis-touch-fraction: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), redisPingTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("--redis %s: %w", redactURL(o.redisURL), err)
	}
	replay, err := redisstore.NewReplayCache(client)
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	return &sharedState{store: store, replay: replay, client: client}, nil
}

// redactURL hides the passwords of a Redis URL for messages: the one in
// the user info and a Sentinel URL's password= (the master's).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
