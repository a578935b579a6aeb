--[[
  reserve (1 key)

  Takes up to `want` sends from a channel's budget for the current minute
  (fixed window). What is taken is spent whether the sends succeed or not,
  so a channel never gets more than `limit` messages in one minute.

  KEYS[1]  counter   <prefix>:{notifier}:rate:<channel>:<minute>
  ARGV[1]  want
  ARGV[2]  limit per minute
  ARGV[3]  TTL of the counter (ms)
  Returns  how many were taken (0..want)
]]
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local take = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - used)
if take <= 0 then
  return 0
end
redis.call('INCRBY', KEYS[1], take)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return take
