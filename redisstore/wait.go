package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// WithWaitReplicas makes the Store's writes that must survive a failover
// wait for replicas: after a login, a derived session, a clone ticket or a
// channel credential is inserted (Insert), a session ends (Delete, with its
// cascade; DeleteUser), a ticket is redeemed (Redeem) and the shard key is
// created (UserTag), the Store sends WAIT n timeout on the same connection,
// in the same round trip as the script (a pipeline), so that the write is
// on n replicas before the caller is told it happened: a master that dies
// right after cannot take with it a login the client was given, nor bring
// back a session that was logged out or a ticket that was redeemed.
// Touch, the per-request path, never waits (a lost touch only makes a
// session idle out earlier by at most the replication lag).
//
// When fewer than n replicas acknowledge within timeout the operation fails
// with ErrNotReplicated, which matches session.ErrStoreUnavailable (the
// middleware answers 503): the write was made on the master and may or may
// not survive a failover, so the caller must not rely on it — a login's
// session id is not handed out (the orphaned session idles out), a logout
// is reported failed (the client may retry it). The operation's bound
// (WithTimeout) is extended by timeout for these writes.
//
// n must be ≥ 0 and timeout > 0 when n > 0 (otherwise ErrConfig; WAIT 0
// would block forever); n = 0 (the default) sends no WAIT. With Redis
// Cluster the WAIT goes to the master of the written key's slot.
// A ReplayCache ignores it (a lost replay entry is refused again by the
// signature's expiry window only).
//
// WARNING: WAIT makes a write durable against one failover only in the
// sense Redis gives it: a replica that acknowledged may still not be the
// one promoted (Sentinel and Cluster prefer the most up-to-date replica,
// so with n = the number of replicas it is).
func WithWaitReplicas(n int, timeout time.Duration) Option {
	return func(c *config) error {
		if n < 0 || (n > 0 && timeout <= 0) {
			return fmt.Errorf("%w: wait for %d replicas within %v", ErrConfig, n, timeout)
		}
		c.waitReplicas, c.waitTimeout = n, timeout
		return nil
	}
}

// runWrite is run for the writes WithWaitReplicas makes wait: the script
// and, when waiting is on, WAIT in one pipeline on the connection of the
// master of keys[0].
func (s *Store) runWrite(ctx context.Context, sc *redis.Script, keys []string, hexKey string, now time.Time, extra ...any) (any, error) {
	if s.waitReplicas == 0 {
		return s.run(ctx, sc, keys, hexKey, now, extra...)
	}
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout+s.waitTimeout)
		defer cancel()
	}
	args := make([]any, 0, 5+len(extra))
	args = append(args, s.head, "", "", strconv.FormatInt(millis(now), 10), hexKey)
	args = append(args, extra...)
	v, err := s.evalWait(ctx, sc, keys, args)
	if err != nil {
		if errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("%w: nil reply", ErrUnexpectedReply)
		}
		if errors.Is(err, ErrNotReplicated) {
			return nil, err
		}
		return nil, unavailable(err)
	}
	return v, nil
}

// evalWait runs sc then WAIT in one pipeline on the master that holds
// keys[0], and fails with ErrNotReplicated when WAIT counts fewer replicas
// than asked.
func (s *Store) evalWait(ctx context.Context, sc *redis.Script, keys []string, args []any) (any, error) {
	var node redis.Cmdable = s.client
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		n, err := cc.MasterForKey(ctx, keys[0])
		if err != nil {
			return nil, err
		}
		node = n
	}
	pipe := func(eval func(context.Context, redis.Scripter, []string, ...any) *redis.Cmd) (*redis.Cmd, *redis.Cmd, error) {
		var res *redis.Cmd
		var acks *redis.Cmd
		_, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
			res = eval(ctx, p, keys, args...)
			acks = p.Do(ctx, "wait", s.waitReplicas, s.waitTimeout.Milliseconds())
			return nil
		})
		return res, acks, err
	}
	res, acks, err := pipe(sc.EvalSha)
	if redis.HasErrorPrefix(res.Err(), "NOSCRIPT") {
		// The script did not run (a new master after a failover does not
		// know it yet): send its source.
		res, acks, err = pipe(sc.Eval)
	}
	if err != nil {
		s.failed() // a MOVED or a dead master: learn the new map
	}
	if res.Err() != nil {
		return nil, res.Err()
	}
	if acks.Err() != nil {
		return nil, acks.Err()
	}
	if n, err := acks.Int64(); err != nil || n < int64(s.waitReplicas) {
		return nil, fmt.Errorf("%w: %d of %d within %v", ErrNotReplicated, n, s.waitReplicas, s.waitTimeout)
	}
	return res.Val(), nil
}
