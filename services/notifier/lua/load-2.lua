--[[
  load (2 keys)

  What the notifier needs to apply one finding: was its id seen before, and
  the open incident of its group (revision and state), if any.

  KEYS[1]  seen marker    <prefix>:{notifier}:seen:<finding id>
  KEYS[2]  group pointer  <prefix>:{notifier}:grp:<group key>
  ARGV[1]  incident key prefix  <prefix>:{notifier}:inc:
  Returns  { seen (0/1), rev (0 when none), state JSON or '' }
]]
local seen = redis.call('EXISTS', KEYS[1])
local id = redis.call('GET', KEYS[2])
if not id then
  return { seen, 0, '' }
end
local h = redis.call('HMGET', ARGV[1] .. id, 'rev', 'json')
if not h[1] then
  return { seen, 0, '' }
end
return { seen, tonumber(h[1]), h[2] }
