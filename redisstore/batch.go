package redisstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// batcher coalesces the script calls of concurrent requests (Touch and Get,
// the per-request path) into pipelines: a call joins a queue, and one of at
// most flushers goroutines sends everything queued as one pipeline (one
// write, one read for the whole batch) and hands each reply to its caller.
// On a redis.ClusterClient every master has a queue (and its at most
// flushers pipelines) of its own, chosen by the slot of the command's key
// from the client's slot map: a batch only ever waits for one master, so a
// master that hangs or dies holds back its own users' lookups (which fail
// at their deadline) and never those of the users on the other masters
// (go-redis's cluster pipeline, which carries each batch and still follows
// MOVED and ASK, returns only once every node of a batch answered or
// failed). A key whose master is unknown goes to a queue of its own.
//
// The caller never waits for the batch: it waits on its own channel and
// gives up at its own context deadline (the store's timeout included), so a
// hung Redis fails each request within its deadline however long the batch
// that carries it stays stuck. The pipeline itself runs with the latest
// deadline of the callers it carries (go-redis turns it into the
// connection's read and write deadlines when ContextTimeoutEnabled is set),
// so a stuck flusher is freed at that deadline too.
//
// Flusher goroutines exist only while there is work: the last one exits
// when the queue is empty, so a Store needs no Close.
type batcher struct {
	client   redis.UniversalClient
	flushers int // at most this many pipelines in flight

	// cluster is client when it is a Cluster client: calls then go to the
	// batcher of their key's master in nodes (by address), created on
	// first use; this batcher's own queue takes the keys whose master the
	// slot map does not know.
	cluster *redis.ClusterClient
	nodesMu sync.RWMutex
	nodes   map[string]*batcher

	mu      sync.Mutex
	queue   []*call
	running int // flusher goroutines alive
}

// maxBatch bounds the commands of one pipeline; maxQueue the calls waiting
// for a flusher. A call that finds the queue full fails at once as a store
// failure: a hung Redis cannot make the queue grow without bound.
const (
	maxBatch = 256
	maxQueue = 16384
)

// call is one command waiting for its reply.
type call struct {
	ctx context.Context
	// sc is the script to run with keys and args; nil means args is a
	// command of its own.
	sc   *redis.Script
	keys []string
	args []any
	// done receives the reply exactly once; buffered, so that the
	// flusher never blocks on a caller that gave up.
	done chan reply
}

// reply is what Redis answered to a call.
type reply struct {
	v   any
	err error
}

// callPool recycles calls: a caller that got its reply puts it back (one
// that gave up does not: the flusher may still send on done).
var callPool = sync.Pool{New: func() any { return &call{done: make(chan reply, 1)} }}

func newBatcher(client redis.UniversalClient, flushers int) *batcher {
	b := &batcher{client: client, flushers: flushers}
	if cc, ok := client.(*redis.ClusterClient); ok {
		b.cluster, b.nodes = cc, map[string]*batcher{}
	}
	return b
}

// route returns the batcher of the master of key: b itself unless the
// client is a Cluster client whose slot map knows that master.
func (b *batcher) route(ctx context.Context, key string) *batcher {
	if b.cluster == nil {
		return b
	}
	m, err := b.cluster.MasterForKey(ctx, key)
	if err != nil {
		return b
	}
	addr := m.Options().Addr
	b.nodesMu.RLock()
	nb := b.nodes[addr]
	b.nodesMu.RUnlock()
	if nb != nil {
		return nb
	}
	b.nodesMu.Lock()
	defer b.nodesMu.Unlock()
	if nb = b.nodes[addr]; nb == nil {
		nb = &batcher{client: b.cluster, flushers: b.flushers}
		b.nodes[addr] = nb
	}
	return nb
}

// errQueueFull is the cause of a call refused because too many calls are
// waiting already (a Redis that stopped answering).
var errQueueFull = errors.New("too many commands waiting for a pipeline")

// do runs sc with keys and args (or, for a nil sc, the command args, whose
// key is args[1]) in the next pipeline to the key's master and returns its
// reply, or ctx's error when ctx ends first.
func (b *batcher) do(ctx context.Context, sc *redis.Script, keys []string, args []any) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.cluster != nil {
		key := ""
		if sc != nil && len(keys) > 0 {
			key = keys[0]
		} else if len(args) > 1 {
			key, _ = args[1].(string)
		}
		b = b.route(ctx, key)
	}
	c := callPool.Get().(*call)
	c.ctx, c.sc, c.keys, c.args = ctx, sc, keys, args
	b.mu.Lock()
	if len(b.queue) >= maxQueue {
		b.mu.Unlock()
		c.ctx, c.keys, c.args = nil, nil, nil
		callPool.Put(c)
		return nil, errQueueFull
	}
	b.queue = append(b.queue, c)
	if b.running < b.flushers {
		b.running++
		go b.flush()
	}
	b.mu.Unlock()
	select {
	case r := <-c.done:
		c.ctx, c.keys, c.args = nil, nil, nil
		callPool.Put(c)
		return r.v, r.err
	case <-ctx.Done():
		// The flusher still owns c and sends to its buffered channel;
		// c is left to the garbage collector.
		return nil, ctx.Err()
	}
}

// flush sends the queue's calls in pipelines until the queue is empty.
func (b *batcher) flush() {
	batch := make([]*call, 0, 64)
	cmds := make([]*redis.Cmd, 0, 64)
	for {
		b.mu.Lock()
		n := min(len(b.queue), maxBatch)
		if n == 0 {
			b.running--
			b.mu.Unlock()
			return
		}
		batch = append(batch[:0], b.queue[:n]...)
		rest := copy(b.queue, b.queue[n:])
		clear(b.queue[rest:])
		b.queue = b.queue[:rest]
		b.mu.Unlock()
		cmds = b.exec(batch, cmds[:0])
		clear(batch)
	}
}

// exec sends batch as one pipeline and delivers the replies. Calls whose
// caller gave up already are left out.
func (b *batcher) exec(batch []*call, cmds []*redis.Cmd) []*redis.Cmd {
	live := batch[:0]
	var deadline time.Time
	bounded := true
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.done <- reply{err: err}
			continue
		}
		if d, ok := c.ctx.Deadline(); !ok {
			bounded = false
		} else if d.After(deadline) {
			deadline = d
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return cmds
	}
	ctx := context.Background()
	if bounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	pipe := b.client.Pipeline()
	for _, c := range live {
		if c.sc == nil {
			cmds = append(cmds, pipe.Do(ctx, c.args...))
		} else {
			cmds = append(cmds, c.sc.EvalSha(ctx, pipe, c.keys, c.args...))
		}
	}
	_, _ = pipe.Exec(ctx) // every command carries its own error
	// A server that does not know a script yet (first use, a restart, a
	// SCRIPT FLUSH) answers NOSCRIPT: send those again with EVAL, which
	// also loads the script.
	var retry []int
	for i, cmd := range cmds {
		if err := cmd.Err(); err != nil && live[i].sc != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			retry = append(retry, i)
		}
	}
	if len(retry) > 0 {
		pipe = b.client.Pipeline()
		for _, i := range retry {
			c := live[i]
			cmds[i] = c.sc.Eval(ctx, pipe, c.keys, c.args...)
		}
		_, _ = pipe.Exec(ctx)
	}
	for i, c := range live {
		v, err := cmds[i].Result()
		c.done <- reply{v: v, err: err}
	}
	clear(cmds)
	return cmds[:0]
}
