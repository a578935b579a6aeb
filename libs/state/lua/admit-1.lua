--[[
  admit (1 key)

  Admits members into a capped hash: a member already there is admitted; a
  new one is added while the hash holds fewer than `cap` fields; once it is
  full, new members are refused. The detector uses it for the route
  templates of an api (a flood of random paths must not become a flood of
  keys).

  KEYS[1]  the hash
  ARGV[1]  cap
  ARGV[2]  TTL in ms, set when the hash is created (NX; Redis 7.0+)
  ARGV[3…] members
  Returns  one 1 (admitted) or 0 (refused) per member
]]
local key = KEYS[1]
local cap = tonumber(ARGV[1])
local len = redis.call('HLEN', key)
local out = {}
for i = 3, #ARGV do
  local member = ARGV[i]
  if redis.call('HEXISTS', key, member) == 1 then
    out[#out + 1] = 1
  elseif len < cap then
    redis.call('HSET', key, member, 1)
    len = len + 1
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
redis.call('PEXPIRE', key, ARGV[2], 'NX')
return out
