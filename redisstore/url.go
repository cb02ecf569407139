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
// never contains the password. It takes one server only: NewUniversalClient
// takes Cluster and Sentinel URLs too.
func ParseURL(rawURL string, timeout time.Duration) (*redis.Options, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// net/url quotes the whole URL, password included: keep only the
		// cause. go-redis's own messages quote the part they reject.
		return nil, configError(err)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	opt.ContextTimeoutEnabled = true
	tune(&opt.DialerRetries, &opt.DialerRetryTimeout, timeout, &opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout)
	return opt, nil
}

// ClusterReloadInterval is how often a Cluster client of
// NewUniversalClient reloads the slot map (one CLUSTER SLOTS in the
// background).
const ClusterReloadInterval = time.Second

// NewUniversalClient returns a client for rawURL, in one of three forms:
//
//	redis://[user:pass@]host:port/db                      one server (ParseURL)
//	redis://[user:pass@]h1:p1?addr=h2:p2&addr=h3:p3       Redis Cluster: the seed nodes
//	                                                      (go-redis's ParseClusterURL)
//	redis://[user:pass@]s1:p1/db?master_name=mymaster&addr=s2:p2&addr=s3:p3
//	                                                      Sentinel: the Sentinels and
//	                                                      the monitored master's name
//	                                                      (go-redis's ParseFailoverURL;
//	                                                      the URL's user and password
//	                                                      are the Sentinels', the
//	                                                      master's go in username= and
//	                                                      password=)
//
// or rediss:// for TLS, each with go-redis's query options. A URL with a
// master_name is a Sentinel URL, else one with an addr is a Cluster URL.
// The client is set up like ParseURL's: ContextTimeoutEnabled, dial, read
// and write timeouts defaulting to timeout, two dial retries 20 ms apart;
// a Cluster client reloads the slot map every ClusterReloadInterval (and
// the Store makes it reload after a failed operation), so that requests
// for the slots of a master that died reach its promoted replica within
// about a second of the promotion.
// It fails with ErrConfig for an unusable URL (the message never contains
// the password); it does not contact Redis.
func NewUniversalClient(rawURL string, timeout time.Duration) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, configError(err)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	q := u.Query()
	switch {
	case q.Has("master_name"):
		opt, err := redis.ParseFailoverURL(rawURL)
		if err != nil {
			return nil, configError(err)
		}
		if opt.MasterName == "" {
			return nil, fmt.Errorf("%w: redis URL: empty master_name", ErrConfig)
		}
		opt.ContextTimeoutEnabled = true
		tune(&opt.DialerRetries, &opt.DialerRetryTimeout, timeout, &opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout)
		return redis.NewFailoverClient(opt), nil
	case q.Has("addr"):
		opt, err := redis.ParseClusterURL(rawURL)
		if err != nil {
			return nil, configError(err)
		}
		opt.ContextTimeoutEnabled = true
		tune(&opt.DialerRetries, &opt.DialerRetryTimeout, timeout, &opt.DialTimeout, &opt.ReadTimeout, &opt.WriteTimeout)
		if opt.ClusterStateReloadInterval == 0 {
			// go-redis learns a new slot map from MOVED replies only, or
			// every 60 s: a master that died refuses connections and
			// sends no MOVED, so its slots would fail for a minute
			// after its replica took over.
			opt.ClusterStateReloadInterval = ClusterReloadInterval
		}
		return redis.NewClusterClient(opt), nil
	}
	opt, err := ParseURL(rawURL, timeout)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opt), nil
}

// configError wraps an error of URL parsing with ErrConfig, without the
// URL net/url quotes (it holds the password).
func configError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%w: redis URL: %w", ErrConfig, err)
}

// tune sets the dial retries (unless set) and the zero timeouts of a
// client's options to the stores' defaults.
func tune(retries *int, retryTimeout *time.Duration, timeout time.Duration, timeouts ...*time.Duration) {
	if *retries == 0 {
		*retries, *retryTimeout = 2, 20*time.Millisecond
	}
	for _, d := range timeouts {
		if *d == 0 {
			*d = timeout
		}
	}
}
