package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vapisec/vapisec"
	"github.com/vapisec/vapisec/session"
)

// Store is a session.Store on Redis, shared by every instance of a
// deployment that points at the same Redis (standalone, Sentinel or
// Cluster through redis.UniversalClient). Every method is one EVALSHA of a
// Lua script, so every operation is atomic on the server; Touch and Get,
// the per-request path, are one command each, sent in pipelines shared by
// concurrent requests (WithPipelines), and with WithTouchFraction a fresh
// login session's Touch is one HMGET. See the package documentation for
// the keys, the clock, the pipelines and what happens when Redis fails.
//
// A Store is safe for concurrent use. It holds no connection of its own
// (its pipelines borrow the client's, and their goroutines exit when no
// request waits): closing the client is the caller's business.
type Store struct {
	client  redis.UniversalClient
	timeout time.Duration
	// head starts every session key: "<prefix>:{", then the tag.
	head    string
	scripts scripts
	// shardKey is the key of the user tags (session.UserTagOf): from
	// WithShardKey, or read from Redis (shardKeyName) once and kept.
	shardMu      sync.Mutex
	shardKey     []byte
	shardKeyName string
	// waitReplicas > 0 makes the writes wait for replicas (runWrite).
	waitReplicas int
	waitTimeout  time.Duration
	// batch, when not nil, carries Touch and Get (WithPipelines).
	batch *batcher
	// touchFraction is ARGV[6] of the touch script, touchSlack the same
	// number (WithTouchFraction).
	touchFraction string
	touchSlack    float64
}

var (
	_ session.Store   = (*Store)(nil)
	_ session.Sharder = (*Store)(nil)
)

// New returns a Store on client. It fails with ErrConfig for a nil client,
// a nil option or an invalid option value (see WithPrefix, WithTimeout). It does not contact
// Redis: an unreachable server shows as session.ErrStoreUnavailable on the
// first operation (use client.Ping to check at start-up).
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	c, err := newConfig(client, opts)
	if err != nil {
		return nil, err
	}
	s := &Store{
		client:        client,
		timeout:       c.timeout,
		head:          c.prefix + ":{",
		scripts:       newScripts(),
		shardKey:      c.shardKey,
		shardKeyName:  c.prefix + ":shard-key",
		waitReplicas:  c.waitReplicas,
		waitTimeout:   c.waitTimeout,
		touchFraction: strconv.FormatFloat(c.touchFraction, 'g', -1, 64),
		touchSlack:    c.touchFraction,
	}
	if c.pipelines > 0 {
		s.batch = newBatcher(client, c.pipelines)
	}
	return s, nil
}

// userSet returns the name of the set of the user with hex name userHex
// whose records carry tag.
func (s *Store) userSet(tag session.Tag, userHex string) string {
	return s.head + tag.String() + "}:u:" + userHex
}

// recordKey returns the name of the record of hexKey (its first 8 hex
// digits are its tag).
func (s *Store) recordKey(hexKey string) string {
	return s.head + hexKey[:2*session.TagBytes] + "}:r:" + hexKey
}

// shardKeyScript: KEYS[1] the shard key; ARGV[6] a fresh key (after the
// common arguments, unused). Stores ARGV[6] there unless a key is stored
// already, and returns the stored key.
const shardKeyScript = `
redis.call('SET', KEYS[1], ARGV[6], 'NX')
return redis.call('GET', KEYS[1])
`

// UserTag implements session.Sharder: the tag of user is
// session.UserTagOf under the deployment's shard key. That key is the one
// WithShardKey gave or, without it, a random 32-byte key the first
// instance stores in Redis under "<prefix>:shard-key" (SET NX: every
// instance reads the same one), read once per Store and then kept: all
// later calls are computed locally.
func (s *Store) UserTag(ctx context.Context, user vapisec.Principal) (session.Tag, error) {
	key, err := s.loadShardKey(ctx)
	if err != nil {
		return session.Tag{}, err
	}
	return session.UserTagOf(key, user), nil
}

// loadShardKey returns the shard key, reading (or creating) it in Redis the
// first time.
func (s *Store) loadShardKey(ctx context.Context) ([]byte, error) {
	s.shardMu.Lock()
	defer s.shardMu.Unlock()
	if s.shardKey != nil {
		return s.shardKey, nil
	}
	var fresh [32]byte
	rand.Read(fresh[:])
	r, err := s.runWrite(ctx, s.scripts.shardKey, []string{s.shardKeyName}, "", time.Time{}, string(fresh[:]))
	if err != nil {
		return nil, err
	}
	v, _ := r.(string)
	if len(v) < minShardKey {
		return nil, fmt.Errorf("%w: shard key of %d bytes", ErrUnexpectedReply, len(v))
	}
	s.shardKey = []byte(v)
	return s.shardKey, nil
}

// newConfig checks client and applies opts.
func newConfig(client redis.UniversalClient, opts []Option) (config, error) {
	c := config{prefix: DefaultPrefix, timeout: DefaultTimeout, pipelines: DefaultPipelines, touchFraction: DefaultTouchFraction}
	if client == nil {
		return c, fmt.Errorf("%w: nil client", ErrConfig)
	}
	for _, opt := range opts {
		if opt == nil {
			return c, fmt.Errorf("%w: nil option", ErrConfig)
		}
		if err := opt(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}

// run runs script sc with the common arguments (see scripts.go) followed
// by extra, within the store's timeout. Every error is a store failure.
func (s *Store) run(ctx context.Context, sc *redis.Script, keys []string, hexKey string, now time.Time, extra ...any) (any, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.send(ctx, nil, sc, keys, hexKey, now, extra...)
}

// bound returns ctx limited by the store's timeout.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout > 0 {
		return context.WithTimeout(ctx, s.timeout)
	}
	return ctx, func() {}
}

// send is run without the store's timeout (the caller bounds ctx), through
// b when b is not nil (one command of a shared pipeline), else on its own
// round trip.
func (s *Store) send(ctx context.Context, b *batcher, sc *redis.Script, keys []string, hexKey string, now time.Time, extra ...any) (any, error) {
	args := make([]any, 0, 5+len(extra))
	args = append(args, s.head, "", "", strconv.FormatInt(millis(now), 10), hexKey)
	args = append(args, extra...)
	var v any
	var err error
	if b != nil {
		v, err = b.do(ctx, sc, keys, args)
	} else {
		v, err = sc.Run(ctx, s.client, keys, args...).Result()
	}
	return v, s.replyError(err)
}

// replyError maps an error of the client to the store's errors. An error
// other than a nil reply is a failure to reach Redis (s.failed), whether
// the command went on its own round trip or in a shared pipeline.
func (s *Store) replyError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		return fmt.Errorf("%w: nil reply", ErrUnexpectedReply)
	}
	s.failed()
	return unavailable(err)
}

// failed is called after an operation failed to reach Redis: a Cluster
// client reloads its slot map in the background (a master that died sends
// no MOVED to say where its slots went).
func (s *Store) failed() {
	if cc, ok := s.client.(*redis.ClusterClient); ok {
		cc.ReloadState(context.Background())
	}
}

// code returns the script's integer reply, or ok = false for an array.
func code(v any) (int64, bool) {
	n, ok := v.(int64)
	return n, ok
}

// Insert implements session.Store.
func (s *Store) Insert(ctx context.Context, key session.Key, rec session.Record, limits session.Limits) error {
	if !rec.Valid() {
		return session.ErrInvalidRecord
	}
	hexKey := key.String()
	life := max(millis(rec.Expiry)-millis(rec.LastAccessed), 1)
	ttl := min(rec.IdleTimeout.Milliseconds(), life)
	userKey := s.userSet(key.Tag(), userHex(rec.Identity.Principal))
	extra := append([]any{limits.Sessions, limits.Records, limits.Children, limits.Tickets, limits.Channels, max(ttl, 1), life}, encodeRecord(&rec)...)
	v, err := s.runWrite(ctx, s.scripts.insert, []string{s.recordKey(hexKey), userKey}, hexKey, rec.LastAccessed, extra...)
	if err != nil {
		return err
	}
	switch c, _ := code(v); c {
	case codeOK:
		return nil
	case codeExists:
		return session.ErrExists
	case codeUnknown:
		return session.ErrUnknownSession
	case codeDepth:
		return session.ErrDepthExceeded
	case codeLimit:
		return session.ErrSessionLimit
	case codeChildLimit:
		return session.ErrChildLimit
	case codeTicketLimit:
		return session.ErrTicketLimit
	case codeChannelLimit:
		return session.ErrChannelLimit
	case codeRecordLimit:
		return session.ErrUserRecordLimit
	}
	return fmt.Errorf("%w: insert answered %v", ErrUnexpectedReply, v)
}

// Touch implements session.Store: one command, on its own round trip or
// in a pipeline shared with concurrent calls (WithPipelines). With a touch
// fraction (WithTouchFraction) the command is a plain HMGET of the record
// when that settles the lookup — a login session alive by its own times
// whose LastAccessed is recent enough — and the touch script otherwise
// (a second command: a derived session, whose parent chain only the
// script can check; a record to slide or to delete).
func (s *Store) Touch(ctx context.Context, key session.Key, now time.Time) (session.Record, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if s.touchSlack > 0 {
		rec, done, err := s.peek(ctx, key, now)
		if done {
			return rec, err
		}
	}
	return s.record(ctx, s.batch, "touch", s.scripts.touch, key, now, touchErrors, s.touchFraction)
}

// peek reads the record of key with one HMGET and settles the lookup when
// it can without the script (see Touch): done reports that rec and err are
// the answer.
func (s *Store) peek(ctx context.Context, key session.Key, now time.Time) (rec session.Record, done bool, err error) {
	args := make([]any, 0, 2+fieldCount)
	args = append(args, "hmget", s.recordKey(key.String()))
	args = append(args, hmgetFields...)
	var v any
	if s.batch != nil {
		v, err = s.batch.do(ctx, nil, nil, args)
	} else {
		v, err = s.client.Do(ctx, args...).Result()
	}
	if err = s.replyError(err); err != nil {
		return rec, true, err
	}
	f, ok := v.([]any)
	if !ok || len(f) != fieldCount {
		return rec, true, fmt.Errorf("%w: hmget answered %T", ErrUnexpectedReply, v)
	}
	if f[0] == nil {
		return rec, true, session.ErrUnknownSession
	}
	if rec, err = decodeRecord(v); err != nil {
		return rec, true, err
	}
	if rec.Kind != session.KindSession {
		// A derived session (its parent chain), or a record Touch must
		// refuse: the script decides, as without a fraction.
		return rec, false, nil
	}
	// The script's arithmetic on the same millisecond values.
	t, last, idle := millis(now), millis(rec.LastAccessed), rec.IdleTimeout.Milliseconds()
	alive := t < millis(rec.Expiry) && t-last < idle
	fresh := float64(t-last) <= s.touchSlack*float64(idle)
	return rec, alive && fresh, nil
}

// hmgetFields are the arguments of peek's HMGET after the key: the fields
// the scripts return, in their order.
var hmgetFields = []any{"k", "c", "l", "i", "e", "p", "s", "n", "o", "h", "g"}

// codeError maps an integer reply of a script to the error it stands for.
type codeError struct {
	code int64
	err  error
}

// The integer replies of the scripts that otherwise answer a record.
var (
	touchErrors  = []codeError{{codeUnknown, session.ErrUnknownSession}, {codeExpired, session.ErrExpired}}
	redeemErrors = []codeError{{codeUnknown, session.ErrUnknownTicket}, {codeTicketExpired, session.ErrTicketExpired}}
	getErrors    = []codeError{{codeUnknown, session.ErrUnknownSession}}
)

// runRecord runs sc (named op in errors) on the record of key and returns
// the record it answers, or the error errs gives for its integer reply.
// It goes through b when b is not nil (see send).
func (s *Store) runRecord(ctx context.Context, b *batcher, op string, sc *redis.Script, key session.Key, now time.Time, errs []codeError, extra ...any) (session.Record, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.record(ctx, b, op, sc, key, now, errs, extra...)
}

// record is runRecord within ctx, without the store's timeout.
func (s *Store) record(ctx context.Context, b *batcher, op string, sc *redis.Script, key session.Key, now time.Time, errs []codeError, extra ...any) (session.Record, error) {
	hexKey := key.String()
	v, err := s.send(ctx, b, sc, []string{s.recordKey(hexKey)}, hexKey, now, extra...)
	if err != nil {
		return session.Record{}, err
	}
	return recordReply(op, v, errs)
}

// recordReply returns the record a script answered, or the error errs
// gives for its integer reply.
func recordReply(op string, v any, errs []codeError) (session.Record, error) {
	c, ok := code(v)
	if !ok {
		return decodeRecord(v)
	}
	for _, e := range errs {
		if c == e.code {
			return session.Record{}, e.err
		}
	}
	return session.Record{}, fmt.Errorf("%w: %s answered %v", ErrUnexpectedReply, op, v)
}

// Delete implements session.Store.
func (s *Store) Delete(ctx context.Context, key session.Key) error {
	hexKey := key.String()
	v, err := s.runWrite(ctx, s.scripts.del, []string{s.recordKey(hexKey)}, hexKey, time.Time{})
	if err != nil {
		return err
	}
	switch c, _ := code(v); c {
	case codeOK:
		return nil
	case codeUnknown:
		return session.ErrUnknownSession
	}
	return fmt.Errorf("%w: delete answered %v", ErrUnexpectedReply, v)
}

// Redeem implements session.Store.
// It is a write WithWaitReplicas waits for (a redeemed ticket must stay
// redeemed), never batched.
func (s *Store) Redeem(ctx context.Context, key session.Key, now time.Time) (session.Record, error) {
	hexKey := key.String()
	v, err := s.runWrite(ctx, s.scripts.redeem, []string{s.recordKey(hexKey)}, hexKey, now)
	if err != nil {
		return session.Record{}, err
	}
	return recordReply("redeem", v, redeemErrors)
}

// Get implements session.Store.
func (s *Store) Get(ctx context.Context, key session.Key, kind session.Kind, now time.Time) (session.Record, error) {
	return s.runRecord(ctx, s.batch, "get", s.scripts.get, key, now, getErrors, strconv.Itoa(int(kind)))
}

// ListUser implements session.Store.
// The user's set is found by the user's tag (UserTag).
func (s *Store) ListUser(ctx context.Context, user vapisec.Principal, now time.Time) ([]session.Entry, error) {
	tag, err := s.UserTag(ctx, user)
	if err != nil {
		return nil, err
	}
	v, err := s.run(ctx, s.scripts.list, []string{s.userSet(tag, userHex(user))}, "", now)
	if err != nil {
		return nil, err
	}
	rows, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: list answered %T", ErrUnexpectedReply, v)
	}
	entries := make([]session.Entry, 0, len(rows))
	for _, row := range rows {
		f, ok := row.([]any)
		if !ok || len(f) != fieldCount+1 {
			return nil, fmt.Errorf("%w: list row %T", ErrUnexpectedReply, row)
		}
		h, _ := f[0].(string)
		key, err := session.ParseKey(h)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnexpectedReply, err)
		}
		rec, err := decodeRecord(f[1:])
		if err != nil {
			return nil, err
		}
		entries = append(entries, session.Entry{Key: key, Record: rec})
	}
	return entries, nil
}

// DeleteUser implements session.Store.
// The user's set is found by the user's tag (UserTag).
func (s *Store) DeleteUser(ctx context.Context, user vapisec.Principal, now time.Time) (int, error) {
	tag, err := s.UserTag(ctx, user)
	if err != nil {
		return 0, err
	}
	v, err := s.runWrite(ctx, s.scripts.delUser, []string{s.userSet(tag, userHex(user))}, "", now)
	if err != nil {
		return 0, err
	}
	n, ok := code(v)
	if !ok || n < 0 {
		return 0, fmt.Errorf("%w: delete user answered %v", ErrUnexpectedReply, v)
	}
	return int(n), nil
}
