--[[
  enqueue (3 keys)

  Adds an entry unless it is queued already or was delivered (sent marker):
  the same notification enqueued twice (a replayed finding) is sent once.

  KEYS[1]  entry key      <prefix>:{outbox}:e:<id>
  KEYS[2]  due set        <prefix>:{outbox}:due      (score = when it is due, ms)
  KEYS[3]  sent marker    <prefix>:{outbox}:sent:<id>
  ARGV[1]  id
  ARGV[2]  payload (JSON)
  ARGV[3]  due at (ms)
  Returns  1 queued, 0 already queued or delivered
]]
if redis.call('EXISTS', KEYS[3]) == 1 or redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'payload', ARGV[2], 'attempts', 0, 'enqueuedAt', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
