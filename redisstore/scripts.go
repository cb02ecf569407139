package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts behind the Store methods. Each Store method is one EVALSHA
// of one of them (redis.Script falls back to EVAL when the server does not
// know the script yet; the pipelines of batch.go send EVAL for the commands
// answered NOSCRIPT), so every operation is atomic on the server. The one
// exception is Touch with a touch fraction, which settles a fresh login
// session with one HMGET (atomic too) and runs touchScript otherwise.
//
// Every script receives the same first five arguments:
//
//	ARGV[1]  the key head "<prefix>:{"
//	ARGV[2]  unused ("")
//	ARGV[3]  unused (""; both kept so that the later arguments keep their
//	         numbers)
//	ARGV[4]  now, unix milliseconds of the caller's clock
//	ARGV[5]  the hex key of KEYS[1]'s record (where there is one)
//
// The keys of a record with hex key h and tag t (h's first 8 hex digits,
// its session.Tag) are
//
//	<prefix>:{t}:r:h          the record (a hash)
//	<prefix>:{t}:c:h          the keys of the records derived from it (a set)
//	<prefix>:{t}:u:<user hex> the user's set: every record of the user
//
// so everything of one user (whose records all carry the user's tag) is in
// one Redis Cluster slot, and users spread over the slots.
//
// A record is a hash with the fields (all always present, strings):
//
//	k kind  c created  l last accessed  i idle timeout  e expiry (ms)
//	p parent key (hex, "" for none)  s secret (32 bytes or "")
//	n principal name  o domain  h scheme  g groups (see encodeGroups)
//	u hex of the user set the record is indexed in (every kind)
//
// Scripts touch keys other than those in KEYS (parents, children, index
// sets): all of them are records of the user of KEYS[1], with its tag, so
// in Redis Cluster they live in the slot of KEYS[1], where that works.

// prelude is shared by every script: the expiry rule, the parent chain walk
// and the cascading delete.
const prelude = `
local H = ARGV[1]
local now = tonumber(ARGV[4])

-- rk, ck and uk name the record h, its children's set and the set of the
-- user u of h: all in the slot of h's tag.
local function rk(h) return H .. string.sub(h, 1, 8) .. '}:r:' .. h end
local function ck(h) return H .. string.sub(h, 1, 8) .. '}:c:' .. h end
local function uk(h, u) return H .. string.sub(h, 1, 8) .. '}:u:' .. u end
local MAXDEPTH = ` + maxDepthLua + `
local FIELDS = {'k', 'c', 'l', 'i', 'e', 'p', 's', 'n', 'o', 'h', 'g'}

-- alive: r holds last accessed, idle timeout and expiry as strings.
local function alive(last, idle, exp, t)
  return t < tonumber(exp) and t - tonumber(last) < tonumber(idle)
end

-- chain walks the parent chain from p up to its root: it returns the depth
-- of a record whose parent is p (1 for a child of a login session),
-- whether every record on the chain is a session alive at t, and the hex
-- key of the login session at the root.
local function chain(p, t)
  for depth = 1, MAXDEPTH + 1 do
    local r = redis.call('HMGET', rk(p), 'k', 'l', 'i', 'e', 'p')
    if not r[1] or tonumber(r[1]) > 1 or not alive(r[2], r[3], r[4], t) then
      return 0, false, ''
    end
    if r[5] == '' then
      return depth, true, p
    end
    p = r[5]
  end
  return 0, false, ''
end

-- remove deletes the record hex (if present), its index entries and,
-- recursively, every record derived from it. It reports whether hex itself
-- was present.
local function remove(hex)
  local present = false
  local stack = {hex}
  while #stack > 0 do
    local h = table.remove(stack)
    local r = redis.call('HMGET', rk(h), 'k', 'p', 'u')
    if r[1] then
      if h == hex then present = true end
      redis.call('DEL', rk(h))
      redis.call('SREM', uk(h, r[3]), h)
      if r[2] ~= '' then
        redis.call('SREM', ck(r[2]), h)
      end
    end
    local kids = redis.call('SMEMBERS', ck(h))
    if #kids > 0 then
      redis.call('DEL', ck(h))
      for _, kid in ipairs(kids) do
        stack[#stack + 1] = kid
      end
    end
  end
  return present
end

-- extend makes key live at least ms milliseconds more.
local function extend(key, ms)
  local cur = redis.call('PTTL', key)
  if cur < ms then
    redis.call('PEXPIRE', key, ms)
  end
end
`

// maxDepthLua is session.MaxDepth as Lua source; a test checks they agree.
const maxDepthLua = "4"

// Result codes of the scripts (integer replies); a record is returned as an
// array reply of the FIELDS in order.
const (
	codeOK            = 0
	codeUnknown       = 1
	codeExpired       = 2
	codeExists        = 3
	codeLimit         = 4
	codeDepth         = 5
	codeTicketExpired = 6
	codeChildLimit    = 7
	codeTicketLimit   = 8
	codeChannelLimit  = 9
	codeRecordLimit   = 10
)

// touchScript: KEYS[1] the record, ARGV[6] the touch fraction
// (WithTouchFraction). Checks kind, own expiry and the parent chain at now,
// slides LastAccessed (never backwards) and the TTL, and returns the
// record; deletes it (with its descendants) when it is dead. With a
// fraction f > 0 it slides only when the stored LastAccessed is more than
// f × idle timeout old, and otherwise writes nothing.
const touchScript = prelude + `
local f = redis.call('HMGET', KEYS[1], unpack(FIELDS))
if not f[1] or tonumber(f[1]) > 1 then
  return 1
end
if not alive(f[3], f[4], f[5], now) then
  remove(ARGV[5])
  return 2
end
if f[6] ~= '' then
  local _, ok = chain(f[6], now)
  if not ok then
    remove(ARGV[5])
    return 1
  end
end
local last = tonumber(f[3])
local slack = tonumber(ARGV[6]) * tonumber(f[4])
if slack > 0 and now - last <= slack then
  return f
end
if now > last then
  redis.call('HSET', KEYS[1], 'l', ARGV[4])
  f[3] = ARGV[4]
  last = now
end
redis.call('PEXPIRE', KEYS[1], math.min(last + tonumber(f[4]), tonumber(f[5])) - now)
return f
`

// insertScript: KEYS[1] the record, KEYS[2] the user's set (every record
// of the user, all kinds). ARGV[6…10] the limits (session.Limits: sessions,
// records, children, tickets, channels; ≤ 0 for none), ARGV[11] TTL of the
// record (ms), ARGV[12] lifetime left (ms, for the index sets), ARGV[13…]
// the record's field/value pairs; ARGV[4] (now) is the record's
// LastAccessed. The counts walk only what the limits bound (the user's set,
// one parent's set, the live sessions of one tree), and remove members of
// those sets whose record expired; in the user's set a record whose parent
// chain is dead does not count and is removed with its descendants.
const insertScript = prelude + `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 3
end
local kind, parent = 0, ''
for i = 13, #ARGV, 2 do
  if ARGV[i] == 'k' then kind = tonumber(ARGV[i + 1])
  elseif ARGV[i] == 'p' then parent = ARGV[i + 1] end
end
local maxSessions, maxRecords = tonumber(ARGV[6]), tonumber(ARGV[7])
local maxChildren, maxTickets, maxChannels = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])

-- members counts the members of set key of kind (any kind when nil) alive
-- at now, up to stop, dropping members whose record is gone; with into it
-- also appends the counted members to into.
local function members(key, want, stop, into)
  local n = 0
  for _, m in ipairs(redis.call('SMEMBERS', key)) do
    if n >= stop then break end
    local r = redis.call('HMGET', rk(m), 'k', 'l', 'i', 'e')
    if not r[1] then
      redis.call('SREM', key, m)
    elseif (want == nil or tonumber(r[1]) == want) and alive(r[2], r[3], r[4], now) then
      n = n + 1
      if into then into[#into + 1] = m end
    end
  end
  return n
end

if parent ~= '' then
  local depth, ok, root = chain(parent, now)
  if not ok then
    return 1
  end
  if kind ~= 3 and depth > MAXDEPTH then
    return 5
  end
  if kind == 2 and maxTickets > 0 and members(ck(parent), 2, maxTickets) >= maxTickets then
    return 8
  end
  if kind == 3 and maxChannels > 0 and members(ck(parent), 3, maxChannels) >= maxChannels then
    return 9
  end
  if kind == 1 and maxChildren > 0 then
    -- the live derived sessions of the whole tree below root
    local n, stack = 0, {root}
    while #stack > 0 and n < maxChildren do
      local found = {}
      n = n + members(ck(table.remove(stack)), 1, maxChildren - n, found)
      for _, m in ipairs(found) do stack[#stack + 1] = m end
    end
    if n >= maxChildren then
      return 7
    end
  end
end
if (kind <= 1 and maxSessions > 0) or maxRecords > 0 then
  -- A record counts when it is alive by its own times and its parent chain
  -- is alive: a credential or child whose session idled out (its key simply
  -- expired, nothing cascaded) is an orphan. Dead records and orphans are
  -- removed with their descendants. Each distinct parent's chain is walked
  -- once (at most MAXDEPTH + 1 HMGETs).
  local sessions, records = 0, 0
  local chains = {}
  for _, m in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    local r = redis.call('HMGET', rk(m), 'k', 'l', 'i', 'e', 'p')
    if not r[1] then
      redis.call('SREM', KEYS[2], m)
    elseif alive(r[2], r[3], r[4], now) then
      local ok = true
      if r[5] ~= '' then
        ok = chains[r[5]]
        if ok == nil then
          local _, live = chain(r[5], now)
          ok = live
          chains[r[5]] = ok
        end
      end
      if ok then
        records = records + 1
        if tonumber(r[1]) <= 1 then sessions = sessions + 1 end
      else
        remove(m)
      end
    else
      remove(m)
    end
  end
  if kind <= 1 and maxSessions > 0 and sessions >= maxSessions then
    return 4
  end
  if maxRecords > 0 and records >= maxRecords then
    return 10
  end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 13))
redis.call('PEXPIRE', KEYS[1], ARGV[11])
local life = tonumber(ARGV[12])
redis.call('SADD', KEYS[2], ARGV[5])
extend(KEYS[2], life)
if parent ~= '' then
  redis.call('SADD', ck(parent), ARGV[5])
  extend(ck(parent), life)
end
return 0
`

// deleteScript: KEYS[1] the record. Removes it and its descendants.
const deleteScript = prelude + `
if remove(ARGV[5]) then
  return 0
end
return 1
`

// redeemScript: KEYS[1] the ticket. Removes a KindTicket record and
// returns it when it and its parent chain are alive at now.
const redeemScript = prelude + `
local f = redis.call('HMGET', KEYS[1], unpack(FIELDS))
if not f[1] or tonumber(f[1]) ~= 2 then
  return 1
end
remove(ARGV[5])
if not alive(f[3], f[4], f[5], now) then
  return 6
end
local _, ok = chain(f[6], now)
if not ok then
  return 1
end
return f
`

// getScript: KEYS[1] the record, ARGV[6] the kind wanted. Read-only.
const getScript = prelude + `
local f = redis.call('HMGET', KEYS[1], unpack(FIELDS))
if not f[1] or f[1] ~= ARGV[6] or not alive(f[3], f[4], f[5], now) then
  return 1
end
if f[6] ~= '' then
  local _, ok = chain(f[6], now)
  if not ok then
    return 1
  end
end
return f
`

// listScript: KEYS[1] the user's set. Returns an array of {hex, FIELDS…}
// of the sessions alive (by their own times) at now. Read-only.
const listScript = prelude + `
local out = {}
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HMGET', rk(m), unpack(FIELDS))
  if f[1] and tonumber(f[1]) <= 1 and alive(f[3], f[4], f[5], now) then
    table.insert(f, 1, m)
    out[#out + 1] = f
  end
end
return out
`

// deleteUserScript: KEYS[1] the user's set. Removes every session in it
// with its descendants, and the set; returns how many were alive at now.
const deleteUserScript = prelude + `
local n = 0
local members = redis.call('SMEMBERS', KEYS[1])
for _, m in ipairs(members) do
  local r = redis.call('HMGET', rk(m), 'k', 'l', 'i', 'e')
  if r[1] and tonumber(r[1]) <= 1 and alive(r[2], r[3], r[4], now) then
    n = n + 1
  end
end
for _, m in ipairs(members) do
  remove(m)
end
redis.call('DEL', KEYS[1])
return n
`

// scripts are the compiled scripts of one Store.
type scripts struct {
	touch, insert, del, redeem, get, list, delUser, shardKey *redis.Script
}

func newScripts() scripts {
	return scripts{
		touch:    redis.NewScript(touchScript),
		insert:   redis.NewScript(insertScript),
		del:      redis.NewScript(deleteScript),
		redeem:   redis.NewScript(redeemScript),
		get:      redis.NewScript(getScript),
		list:     redis.NewScript(listScript),
		delUser:  redis.NewScript(deleteUserScript),
		shardKey: redis.NewScript(shardKeyScript),
	}
}
