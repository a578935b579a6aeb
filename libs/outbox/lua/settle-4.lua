--[[
  settle (4 keys)

  Records the outcome of one send attempt.
    ack:   delivered; the entry goes, a sent marker stays for `sentTtlMs` so a
           re-enqueue of the same id is ignored.
    retry: due again at `dueAt`, attempts + 1.
    defer: due again at `dueAt` without counting an attempt, marked deferred
           (a rate limit held it: it goes out in a digest).
    dead:  not retryable or out of attempts; moved to the dead set for people
           to look at (it is never silently dropped).

  KEYS[1]  entry key      KEYS[2] due set      KEYS[3] sent marker   KEYS[4] dead set
  ARGV[1]  id   ARGV[2] outcome (ack | retry | defer | dead)
  ARGV[3]  ack: sent-marker TTL (ms); retry, defer: due at (ms); dead: when (ms)
  ARGV[4]  reason of the failure (retry, dead)
  Returns  1 when the entry existed; 0 when it did not (its id leaves the due set)
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 0
end
if ARGV[2] == 'ack' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
elseif ARGV[2] == 'retry' then
  redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  redis.call('HSET', KEYS[1], 'lastError', ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
elseif ARGV[2] == 'defer' then
  redis.call('HSET', KEYS[1], 'deferred', 1)
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
else
  redis.call('HSET', KEYS[1], 'lastError', ARGV[4])
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
end
return 1
