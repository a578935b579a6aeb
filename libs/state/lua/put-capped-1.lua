--[[
  put-capped (1 key)

  HSET of field/value pairs into a hash that holds at most `cap` fields:
  existing fields are updated; new ones are written while there is room and
  dropped after. The detector writes subject checkpoints through it, so a
  flood of random clients cannot grow a checkpoint hash without bound.

  KEYS[1]  the hash
  ARGV[1]  cap
  ARGV[2]  TTL in ms, set when the hash is created (NX; Redis 7.0+)
  ARGV[3…] field, value, field, value, …
  Returns  the number of new fields dropped
]]
local key = KEYS[1]
local cap = tonumber(ARGV[1])
local len = redis.call('HLEN', key)
local dropped = 0
for i = 3, #ARGV, 2 do
  local field = ARGV[i]
  if len < cap then
    len = len + redis.call('HSET', key, field, ARGV[i + 1])
  elseif redis.call('HEXISTS', key, field) == 1 then
    redis.call('HSET', key, field, ARGV[i + 1])
  else
    dropped = dropped + 1
  end
end
redis.call('PEXPIRE', key, ARGV[2], 'NX')
return dropped
