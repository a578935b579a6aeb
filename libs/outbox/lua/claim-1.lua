--[[
  claim (1 key)

  Takes up to `limit` entries that are due and leases them: their due time
  moves `leaseMs` ahead, so if the claimer dies before it acks or retries,
  they come due again and another worker (or the restarted one) sends them.

  KEYS[1]  due set        <prefix>:{outbox}:due
  ARGV[1]  now (ms)
  ARGV[2]  limit
  ARGV[3]  lease (ms)
  ARGV[4]  entry key prefix  <prefix>:{outbox}:e:
  Returns  { id, payload, attempts, deferred (0 or 1), ... } flattened
]]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
local leaseUntil = tonumber(ARGV[1]) + tonumber(ARGV[3])
for _, id in ipairs(ids) do
  local entry = redis.call('HMGET', ARGV[4] .. id, 'payload', 'attempts', 'deferred')
  if entry[1] then
    redis.call('ZADD', KEYS[1], leaseUntil, id)
    out[#out + 1] = id
    out[#out + 1] = entry[1]
    out[#out + 1] = entry[2]
    out[#out + 1] = entry[3] or '0'
  else
    -- An id without its entry (acked elsewhere): drop it.
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
