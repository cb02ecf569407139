// Package redisstore is the distributed engine of vapisec (DESIGN §6): a
// session.Store and a verifier.ReplayCache on Redis through go-redis v9's
// redis.UniversalClient (standalone, Sentinel or Cluster). Every instance of
// a deployment behind a load balancer points at the same Redis; a session
// created on one instance is valid on all of them, a logout on one ends it
// on all of them at once, a clone ticket is redeemed exactly once wherever
// its redeemers arrive, and a signed request or SIGN nonce accepted by one
// instance is a replay on every other.
//
//	client, err := redisstore.NewUniversalClient("redis://127.0.0.1:6379/0", 0)
//	store, err := redisstore.New(client)
//	manager, err := session.NewManager(store)
//	replay, err := redisstore.NewReplayCache(client)
//
// # One atomic operation per method
//
// Each Store method is ONE Lua script run with EVALSHA (redis.Script falls
// back to EVAL once, when the server does not know the script yet), so no
// operation is ever a read-modify-write across round trips:
//
//   - Touch, the per-request path: read the record, check its kind, its own
//     expiry and its whole parent chain (at most MaxDepth+1 HMGETs in the
//     script), slide LastAccessed and the TTL (PEXPIRE). One command, sent in
//     a pipeline shared with concurrent requests (see Pipelines below); with
//     a touch fraction, a plain HMGET when that settles it.
//   - Insert: refuse an existing key, check the parent chain and depth,
//     count what the quotas (session.Limits) bound — the parent's tickets
//     or channel credentials, the live derived sessions of the login
//     session's tree, the user's live sessions and records of all kinds —
//     pruning the index sets of records that are gone, write the record
//     with its TTL and index it: the counts and the write are one step, so
//     concurrent inserts never exceed a quota.
//   - Redeem: read and delete the ticket in one step (the script form of
//     GETDEL): of concurrent redeemers on any number of instances exactly
//     one gets it.
//   - Delete and DeleteUser: the logout cascade — the record and, through a
//     per-record set of children, every record derived from it.
//   - Get and ListUser: read only.
//
// ReplayCache.Record is one script: refuse a stored key, count the token
// holder's live entries against its share, SET key 1 PX ttl and index it.
//
// # Pipelines and the coarse touch
//
// Touch and Get, the operations of every authenticated request, are queued
// and sent together: what concurrent requests queued while the previous
// pipeline was in flight goes out as one pipeline, with at most
// WithPipelines (default 1) pipelines in flight. Each request is still one
// command on Redis; what it saves is the system calls and loopback round
// trips per request, which bound a Redis-backed session on a small machine
// far more than Redis's own work. On a redis.ClusterClient every master has
// its queue and pipelines of its own (picked by the key's slot, which the
// user's tag decides), sent as go-redis cluster pipelines (MOVED and ASK
// followed): a hung or dead master fails its own users' lookups and never
// delays those of the users on the other masters. A failed lookup, batched
// or not, makes the Cluster client reload its slot map (see Failover). The
// writes WithWaitReplicas makes wait are never batched. A caller waits for its own
// reply only until its own deadline (WithTimeout, the context's): a hung
// Redis fails each request within the timeout, whatever the pipeline
// carrying it does; the pipeline itself runs with its callers' latest
// deadline, so its connection is freed then too. WithPipelines(0) sends
// every command on its own round trip.
//
// WithTouchFraction(f) makes the sliding idle expiry coarser: LastAccessed
// and the TTL are written only when the stored LastAccessed is more than
// f × IdleTimeout old. A login session that was written recently is then
// looked up with one HMGET, read only and several times cheaper on Redis
// than the script; anything else (a derived session, whose parent chain
// only the script checks, a record to slide, a dead one to delete) runs the
// touch script as before, a second command for that request. A session then
// idles out at most f × IdleTimeout early, never late. Default 0 (write on
// every use, exact); "vapisec serve" uses 1/8 (--redis-touch-fraction).
//
// # Keys
//
// With the prefix p (WithPrefix, default "vapisec") and t the 8 hex digits
// of the user's shard tag (session.Tag, the first 4 bytes of every key of
// the user's records):
//
//	p:{t}:r:<hex key>   a record: a hash of its fields (times in unix ms)
//	p:{t}:c:<hex key>   the keys of the records whose Parent is <hex key>
//	p:{t}:u:<hex>       the keys of a user's records, all kinds (SHA-256 of the
//	                    case-folded name and domain, session.UserKey; no user
//	                    name appears)
//	p:shard-key         the key of the users' tags (Store.UserTag), unless
//	                    WithShardKey gives it
//	p:replay:{<subject hex>}:<hex>          a replay entry (subject:
//	                  verifier.NewReplaySubject of the token's principal)
//	p:replay:{<subject hex>}                the user's live replay entries,
//	                  a sorted set scored by expiry
//	p:replay:{<subject hex>}:h:<owner hex>  the same per holder-of-key
//	                  certificate (owner: its SHA-256)
//
// Records are keyed by session.Key, the user's tag and 28 bytes of the
// SHA-256 of the session id or ticket: a dump, a replica, a backup or a
// MONITOR session shows no usable id. Channel credentials are stored as the
// SHA-256 of their secret.
//
// # Sharding by user
//
// The braces make the user's tag a Redis Cluster hash tag: one user's
// sessions, derived sessions, clone tickets, channel credentials and index
// live in one slot, so the scripts that follow parent chains, cascades and
// user indexes find all their keys on one node (they address keys other
// than the ones they declare, which Cluster permits within one slot), and
// different users spread over all the slots and masters. Every id the
// Manager issues starts with its user's tag (session.Sharder: the Store is
// one), so the slot of a request's session is known from its id alone, with
// no directory lookup: still one round trip per authenticated request. The
// tag is an HMAC of the case-folded user under a deployment key
// (session.UserTagOf): ids do not reveal whose they are to whoever lacks
// the key, though all ids of one user share their tag. Replay entries are
// tagged by their subject: one user's entries and indexes share a slot,
// different users spread over every node.
//
// # Cluster, Sentinel and failover
//
// NewUniversalClient takes one URL for a server, a Cluster or a Sentinel
// setup. When a master fails, the requests that reach it fail (503) until
// its replica took over; then they succeed again, none is ever answered
// wrongly. Replication is asynchronous: a write the master answered but
// had not yet sent to its replica is lost with it — a login (its id then
// names no session: 401), a logout (the session is alive again). With
// WithWaitReplicas those writes are answered only once a replica has them.
//
// # Clocks
//
// Expiry has two guards, and each instance's clock and Redis's clock each
// drive one of them:
//
//  1. The decision. The scripts compare the record's times with the now
//     the caller passes (the Manager's clock), exactly like the memory
//     store: a session is alive while now < LastAccessed + IdleTimeout and
//     now < Expiry. This keeps the two stores' behaviour identical (one
//     conformance suite runs against both) and keeps the Manager's clock
//     injectable. LastAccessed never moves backwards, so an instance whose
//     clock lags cannot shorten a session another instance extended.
//  2. The TTL. Every write sets the record's PEXPIRE to what is left of its
//     life as judged at that now — min(LastAccessed + IdleTimeout, Expiry)
//     − now, a duration — and Redis counts it down on its own clock, the
//     same for every instance. When it runs out the record is gone for
//     everybody at the same instant, whatever any instance's clock says.
//
// So an instance whose clock is ahead refuses (and deletes) sessions up to
// its skew early; an instance whose clock is behind can never keep a
// session beyond the TTL Redis holds. Only an instance whose clock is
// behind by δ that touches a session just before Redis would have expired
// it adds up to δ to that session's idle period — it never outlives
// its absolute Expiry by more than the skew. Keep the instances' clocks in
// NTP sync; the skew is the only error. Times are kept in whole
// milliseconds, rounded down, which only ever makes a record die earlier.
//
// Replay entries use only the second guard: their TTL, computed by the
// verifier from the signed request's expiry and skew, is held by Redis.
//
// # Failure: fail closed
//
// Every error of the client — a refused connection, a timeout
// (WithTimeout, default 500 ms per operation, and the caller's context
// deadline, honoured by the pipelines too), a queue of 16384 calls waiting
// for a pipeline, a cancelled context, a script error, a reply the store does
// not understand — is returned wrapped with session.ErrStoreUnavailable
// (verifier.ErrStoreUnavailable for the replay cache). The middleware
// answers 503 service_unavailable with the reason store_unavailable; no
// request that could not be checked is accepted, no ticket is redeemed, no
// signed request is let through unrecorded.
//
// Set redis.Options.ContextTimeoutEnabled (ParseURL does), otherwise
// go-redis ignores context deadlines and waits for its own read timeout
// (3 s by default).
//
// # Persistence
//
// What survives a Redis restart depends on Redis's persistence, not on this
// package. With persistence off (save "" and appendonly no) a restart loses
// every session, clone ticket, channel credential and replay entry: every
// user must log in again (their old ids get 401, unknown_session), and a
// signed request captured before the restart could be replayed once more
// within its validity window (at most the verifier's MaxWindow + skew).
// With an append-only file (appendonly yes; appendfsync always loses
// nothing, everysec at most a second) sessions created before the restart
// are valid after it. Their TTLs are stored as absolute times, so the time
// Redis was down counts against them.
package redisstore
