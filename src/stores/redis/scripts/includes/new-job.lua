--- @include "queue"

-- a new job's body and index entries, counted live and added (ADD, REDRIVE)
local function indexNewJob(id, seq, body)
  redis.call('HSET', B, id, body)
  redis.call('HSET', I, id, Q)
  redis.call('HSET', S, seq, id)
  redis.call('ZADD', A, seq, id)
  redis.call('HINCRBY', M, 'live', 1)
  redis.call('HINCRBY', M, 'added', 1)
end
