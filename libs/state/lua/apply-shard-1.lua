--[[
  apply-shard (1 key)

  Applies one shard's batch of state operations in one call: the detector's
  whole Redis write (and the reads it needs) for one api, atomically. The
  semantics are those of libs/state/src/types.ts, mirrored by memory.ts.

  KEYS[1]  the shard prefix, e.g. "vigil:{accounts}". Every key touched is
           KEYS[1] .. ":" .. suffix, so all share its hash slot (Redis Cluster).
  ARGV[1]  JSON {
             i = { {suffix, field, by, ttlMs}, ... },          -- HINCRBY
             m = { {suffix, field, value, ttlMs[, 1]}, ... },  -- keep the minimum
             a = { {suffix, field, value, ttlMs[, 1]}, ... },  -- keep the maximum
             s = { {suffix, {member, ...}, cap, ttlMs}, ... }, -- SADD up to cap members
             f = { {suffix, field, value, cap, ttlMs[, 1]}, ... }, -- HSETNX up to cap fields
             h = { {suffix, {member, ...}, ttlMs}, ... },      -- PFADD
             x = { {suffix, field, value, staleFrom, ttlMs, expected}, ... }, -- fences: keep the maximum
             r = { suffix, ... }                               -- HGETALL after the writes
           }
           Any of them may be missing (none of that op). A trailing 1 is
           `renew`: the op sets its key's TTL each time (see TTLs).
  Returns  JSON { i = {value...}, m = {value...}, a = {value...},
                  s = {cardinality...},
                  f = {{1 new | 0 known | -1 full, fields}...}, x = {value...},
                  r = {{field, value, ...}...} }
           or { moved = 1 }, with nothing written, when a fence is not at its
           expected value

  Checkpoints (ShardOps.texts) are plain HSETs sent beside this call, not
  through it: they need no read, and JSON would only wrap them twice.

  TTLs: a key gets its TTL when this script creates it (the largest asked
  for it in that call); later writes keep it. Fences are not time buckets:
  each write renews their TTL, and so does each m, a or f op marked renew
  (an f op whether its field is new, known or refused).

  Fences: a partition's offset the shard's counters hold the events up to,
  written here so that it moves with them atomically. The stored value is
  kept when larger (a replayed batch does not move it back), unless it is at
  or past staleFrom (the partition's high watermark; -1 for none): then it
  is from an earlier life of the topic and replaced. Each fence carries the
  value read before the batch (expected; -1 for none): if the stored value
  is another, a consumer that still held the partition counted it since,
  and the call writes nothing, so that the batch can be counted again from
  the new fence.
]]
local ops = cjson.decode(ARGV[1])
local prefix = KEYS[1] .. ':'
local ttls = {}
local function touch(key, ttl)
  local t = ttls[key]
  if t == nil or ttl > t then
    ttls[key] = ttl
  end
end

-- The TTL of an op's key: renewed now when the op is marked renew (1),
-- else set at the end if this call created the key.
local function expire(key, ttl, renew)
  if renew == 1 then
    redis.call('PEXPIRE', key, ttl)
  else
    touch(key, ttl)
  end
end

-- A hash field's integer value, or nil.
local function stored(key, field)
  local cur = redis.call('HGET', key, field)
  return cur and tonumber(cur)
end

for _, op in ipairs(ops.x or {}) do
  if (stored(prefix .. op[1], op[2]) or -1) ~= op[6] then
    return cjson.encode({ moved = 1 })
  end
end

local out_i, out_m, out_a, out_s, out_f, out_x, out_r = {}, {}, {}, {}, {}, {}, {}

for idx, op in ipairs(ops.i or {}) do
  local key = prefix .. op[1]
  out_i[idx] = redis.call('HINCRBY', key, op[2], op[3])
  touch(key, op[4])
end

for idx, op in ipairs(ops.m or {}) do
  local key = prefix .. op[1]
  local v = op[3]
  local cur = stored(key, op[2])
  if cur and cur < v then
    v = cur
  end
  redis.call('HSET', key, op[2], string.format('%d', v))
  out_m[idx] = v
  expire(key, op[4], op[5])
end

for idx, op in ipairs(ops.a or {}) do
  local key = prefix .. op[1]
  local v = op[3]
  local cur = stored(key, op[2])
  if cur and cur > v then
    v = cur
  end
  redis.call('HSET', key, op[2], string.format('%d', v))
  out_a[idx] = v
  expire(key, op[4], op[5])
end

for idx, op in ipairs(ops.s or {}) do
  local key = prefix .. op[1]
  local card = redis.call('SCARD', key)
  local cap = op[3]
  local members = op[2]
  if card + #members <= cap then
    -- Room for all: one SADD per 500 members.
    for first = 1, #members, 500 do
      card = card + redis.call('SADD', key, unpack(members, first, math.min(first + 499, #members)))
    end
  else
    for _, member in ipairs(members) do
      if card >= cap then
        break
      end
      card = card + redis.call('SADD', key, member)
    end
  end
  out_s[idx] = card
  touch(key, op[4])
end

for idx, op in ipairs(ops.f or {}) do
  local key = prefix .. op[1]
  local len = redis.call('HLEN', key)
  local status
  if redis.call('HEXISTS', key, op[2]) == 1 then
    status = 0
  elseif len >= op[4] then
    status = -1
  else
    redis.call('HSET', key, op[2], string.format('%d', op[3]))
    len = len + 1
    status = 1
  end
  out_f[idx] = { status, len }
  expire(key, op[5], op[6])
end

for _, op in ipairs(ops.h or {}) do
  local key = prefix .. op[1]
  local members = op[2]
  -- One PFADD per 500 members; none (and no key) when there are none.
  if #members > 0 then
    for first = 1, #members, 500 do
      redis.call('PFADD', key, unpack(members, first, math.min(first + 499, #members)))
    end
    touch(key, op[3])
  end
end

for idx, op in ipairs(ops.x or {}) do
  local key = prefix .. op[1]
  local v = op[3]
  local cur = stored(key, op[2])
  local stale = cur and op[4] >= 0 and cur >= op[4]
  if cur and cur > v and not stale then
    v = cur
  end
  redis.call('HSET', key, op[2], string.format('%d', v))
  redis.call('PEXPIRE', key, op[5])
  out_x[idx] = v
end

for key, ttl in pairs(ttls) do
  -- NX: the TTL is set when the key is created and not moved by later writes
  -- (keys are time buckets; this needs Redis 7.0 or newer).
  redis.call('PEXPIRE', key, ttl, 'NX')
end

for idx, suffix in ipairs(ops.r or {}) do
  out_r[idx] = redis.call('HGETALL', prefix .. suffix)
end

return cjson.encode({ i = out_i, m = out_m, a = out_a, s = out_s, f = out_f, x = out_x, r = out_r })
