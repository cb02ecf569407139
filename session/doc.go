// Package session implements vAPI sessions (spec §4, DESIGN §6): a login
// creates a session and hands its id to the client, which sends it back in
// the vmware-api-session-id cookie or header; every request looks the id up;
// logout deletes it.
//
// # Lifecycle
//
// A Manager owns the lifecycle over a Store:
//
//   - Manager.Create starts a session for an authenticated Identity and
//     returns it with a fresh id. It is the only moment the server knows the
//     id: the store never sees it.
//   - Manager.Lookup (and LookupInto, which does not allocate) validates an
//     id, touches the session — its last-access time becomes now, so its
//     idle timeout starts again — and returns it.
//   - Manager.Delete ends a session (logout).
//   - Manager.Sessions, Terminate and TerminateUser are the administrator's
//     view: a user's live sessions by Key, and ending one or all of them.
//
// # Expiry
//
// A session is alive at time now while
//
//	now < LastAccessed + IdleTimeout  &&  now < Created + MaxLifetime
//
// The idle timeout (WithIdleTimeout, default 30 minutes) slides with every
// successful lookup; the absolute lifetime (WithMaxLifetime, default 12
// hours) does not: a session used every 20 minutes lives exactly 12 hours.
// The boundaries are exclusive: at LastAccessed + IdleTimeout the session is
// dead. A dead session is deleted by the lookup that finds it and reported
// as ErrExpired (a store that loses expired records by itself, like Redis
// with TTLs, reports ErrUnknownSession); ErrExpired matches
// ErrUnknownSession, so a middleware answers 401 to both with one test and
// uses ReasonOf for the reason code. Time comes from the injected clock
// (WithClock); the Manager passes it to the store, so every instance of a
// distributed deployment judges by its own clock, and the store by the time
// it was given.
//
// A principal may hold at most WithMaxSessionsPerUser live sessions (default
// 550, vCenter's limit); Create fails with ErrSessionLimit beyond it and
// stores nothing. The store counts and inserts in one atomic step.
//
// # Quotas
//
// So that one user, or one session, cannot fill the store for everyone
// (DESIGN Q22), Store.Insert enforces Limits in the same atomic step: a
// session holds at most 16 live channel credentials
// (WithMaxChannelCredentialsPerSession, ErrChannelLimit) and 16 outstanding
// clone tickets (WithMaxCloneTicketsPerSession, ErrTicketLimit); a login
// session and everything derived from it hold at most 16 derived sessions
// (WithMaxChildSessions, ErrChildLimit), which also count toward the
// user's 550; and a user holds at most 1,000 records of all kinds
// (WithMaxRecordsPerUser, ErrUserRecordLimit). The quota errors match
// ErrQuotaExceeded; the middleware answers 429.
//
// # Ids and keys
//
// An id is its user's shard tag (Tag, 4 bytes: Sharder) followed by 224
// bits from crypto/rand (WithRandom), encoded as 43 characters of unpadded
// base64url (RFC 4648 §5). Ids a client chooses are never
// adopted: Create always draws a new one. Anything that is not exactly of
// that form (ValidID) is rejected as ErrMalformedID before the store is
// asked, so garbage and oversized ids cost nothing but a length check.
//
// The store keys records by the tag and 28 bytes of the SHA-256 of the id
// (Key), so a store can place a record by its user's tag. A dump of the store (a
// heap dump, a Redis replica or backup, a MONITOR session) therefore holds no
// usable id: the id cannot be recovered from the key, and a key is not of the
// id form. Comparing keys in a map or in Redis leaks nothing useful through
// timing either: an attacker cannot choose the hashes it makes the store
// compare. Log keys (a prefix of Key.String, via KeyOf), never ids.
//
// # Concurrency
//
// Manager and MemoryStore are safe for concurrent use. Every Store method is
// one atomic operation, so two instances sharing a Redis store never race
// through a read-modify-write: Touch checks and slides the idle timeout in
// one step, Insert counts the user's sessions and inserts in one step.
// Records handed out share their Identity.Groups slice read-only; copy it
// before changing it.
//
// # The memory store
//
// MemoryStore is the embedded default: sharded maps with a read lock and an
// atomic compare-and-swap on the per-request path (no allocation). It is
// correct for ONE process only — behind a load balancer each instance would
// know only its own sessions; use package redisstore there. It is bounded
// (WithMaxEntries, default 1,000,000) and fails closed when full
// (ErrStoreFull, matching ErrStoreUnavailable) instead of evicting live
// sessions. Dead records are removed lazily by lookups, shard by shard while
// sessions are created, and by MemoryStore.Sweep; it runs no goroutine.
//
// # The Redis store
//
// Package redisstore implements Store on Redis (go-redis UniversalClient)
// for deployments with more than one instance: each Store method is one Lua
// script, so that every check and write of an operation is one atomic step
// (see its package documentation). The same conformance suite (package
// session/storetest) runs against both stores.
//
// # Derived sessions, clone tickets, channel credentials
//
// Derived sessions (DESIGN §6, seed: oVirt; Manager.Derive) and clones
// (Manager.CloneSession) are records of KindChild holding their parent's Key
// in Parent, at most MaxDepth links from their root login session. Touch of
// a child checks the whole parent chain in the same atomic step — each
// parent a session alive by its own times (not touched) — so a child is
// dead the instant its parent is: after a logout, an admin termination, or
// an expiry that no operation has noticed yet, before and independently of
// any cascade delete. Ending a parent also deletes its descendants (Delete
// and DeleteUser cascade; the memory store keeps a parent→children index
// under its insert lock, so a child inserted concurrently with its parent's
// delete is either refused or found by the cascade), as a clean-up, not for
// correctness. The Redis store does the same in one Lua script per
// operation: Touch reads the record, walks its Parent keys (at most
// MaxDepth+1 GETs inside the script), checks each alive, and only then
// sets LastAccessed and the TTL; Delete walks a per-parent set of children.
//
// Clone tickets (seed: vCenter AcquireCloneTicket/CloneSession) are records
// of KindTicket under the SHA-256 of the ticket, which is TicketPrefix plus
// 256 random bits and so never of the session id form (ValidID). They live
// WithCloneTicketTTL (default 60 s), are bound to their parent (dead with
// it), and Store.Redeem takes one in one atomic get-and-delete (GETDEL in
// Redis, a delete under the shard lock here): of any number of concurrent
// redeemers exactly one gets the child session. Touch treats a ticket as
// unknown, so a ticket sent as a session id authenticates nothing.
// Hand-off tokens are tickets redeemed from a query parameter on routes that
// opt in (package middleware).
//
// Channel credentials (seed: zhmcclient's session-credential;
// Manager.IssueChannelCredential) are secrets minted for a named secondary
// channel: a random user name and password of their own, of which only
// hashes are stored, in a KindChannel record under ChannelKey(user,
// channel) with the session as Parent. A channel authenticates with that
// user name and password, never with the session id, so the channel's
// operator learns no usable session; Store.Get finds the record by user
// name and channel and checks its chain in one atomic step, and the secret
// is compared in constant time, so a credential dies with its session even
// before its record is deleted.
package session
