package redisstore

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// ParseURL parses a Redis URL — redis://[user:password@]host:port/db, or
// rediss:// for TLS, with go-redis's query options (dial_timeout,
// read_timeout, pool_size, …; see redis.ParseURL) — into client options
// suited to the stores: ContextTimeoutEnabled is set, so that WithTimeout
// and the callers' deadlines cut a blocked call short, and the dial, read
// and write timeouts default to timeout instead of go-redis's seconds
// (timeout ≤ 0: DefaultTimeout), and a refused connection is retried twice
// 20 ms apart (go-redis: five times, 100 ms apart), so that an unreachable
// Redis turns into a 503 quickly. It fails with ErrConfig for an unusable URL; the message
// never contains the password.
func ParseURL(rawURL string, timeout time.Duration) (*redis.Options, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// net/url quotes the whole URL, password included: keep only the
		// cause. go-redis's own messages quote the part they reject.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: redis URL: %w", ErrConfig, err)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	opt.ContextTimeoutEnabled = true
	if opt.DialerRetries == 0 {
		opt.DialerRetries, opt.DialerRetryTimeout = 2, 20*time.Millisecond
	}
	for _, d := range []*time.Duration{&opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout} {
		if *d == 0 {
			*d = timeout
		}
	}
	return opt, nil
}
