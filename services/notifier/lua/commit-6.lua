--[[
  commit (6 keys)

  Writes an incident's next state if nobody changed it since it was read
  (compare-and-set on its revision), with everything that goes with it:
  the group pointer (open incidents only), the open and recent indexes, the
  finding that caused it (bounded list) and that finding's seen marker.

  KEYS[1]  incident hash  <prefix>:{notifier}:inc:<id>       (rev, json)
  KEYS[2]  group pointer  <prefix>:{notifier}:grp:<group key>
  KEYS[3]  open set       <prefix>:{notifier}:open           (score = first seen)
  KEYS[4]  recent set     <prefix>:{notifier}:recent         (score = changed at)
  KEYS[5]  findings list  <prefix>:{notifier}:findings:<id>
  KEYS[6]  seen marker    <prefix>:{notifier}:seen:<finding id>  (ignored when ARGV[8] is '')
  ARGV[1]  expected revision (0: a new incident)
  ARGV[2]  state JSON
  ARGV[3]  incident id
  ARGV[4]  state: open | acknowledged | resolved
  ARGV[5]  changed at (ms)   ARGV[6] first seen (ms)
  ARGV[7]  TTL of the incident's keys (ms)
  ARGV[8]  finding JSON, or '' when no finding caused this
  ARGV[9]  TTL of the seen marker (ms)
  ARGV[10] how many incidents the recent set keeps
  ARGV[11] how many findings an incident keeps
  Returns  1 written; 0 the revision moved (read again); -1 the group has another open incident; -2 the finding was seen
]]
local expected = tonumber(ARGV[1])
local rev = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if rev ~= expected then
  return 0
end
local holder = redis.call('GET', KEYS[2])
if expected == 0 and holder and holder ~= ARGV[3] then
  return -1
end
if ARGV[8] ~= '' and redis.call('EXISTS', KEYS[6]) == 1 then
  return -2
end
local ttl = tonumber(ARGV[7])
redis.call('HSET', KEYS[1], 'rev', expected + 1, 'json', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl)
if ARGV[4] == 'resolved' then
  if holder == ARGV[3] then
    redis.call('DEL', KEYS[2])
  end
  redis.call('ZREM', KEYS[3], ARGV[3])
else
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[3])
end
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[3])
local keep = tonumber(ARGV[10])
if redis.call('ZCARD', KEYS[4]) > keep then
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -(keep + 1))
end
if ARGV[8] ~= '' then
  redis.call('LPUSH', KEYS[5], ARGV[8])
  redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[11]) - 1)
  redis.call('PEXPIRE', KEYS[5], ttl)
  redis.call('SET', KEYS[6], '1', 'PX', tonumber(ARGV[9]))
end
return 1
