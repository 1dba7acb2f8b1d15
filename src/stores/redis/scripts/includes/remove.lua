--- @include "job"

-- forget: out of every live index (the record itself is left to the caller)
local function forget(id, job)
  if not ordered(job) then redis.call('ZREM', R, id)
  elseif job.st == 'q' then lanes().laneRemove(id, job) end
  redis.call('ZREM', T, id)
  redis.call('ZREM', A, id)
  redis.call('HDEL', I, id)
  redis.call('HDEL', S, job.s)
  if job.ev and redis.call('HGET', E, job.ev) == id then redis.call('HDEL', E, job.ev) end
  redis.call('HINCRBY', M, 'live', -1)
  if job.st == 'w' then redis.call('HINCRBY', M, 'held', -1) end
  endBackoff(job)
  endLease(job)
end
-- outcome: what WAITJOB clients are told (acked, expired, deleted)
local function remove(id, job, outcome)
  forget(id, job)
  redis.call('HDEL', J, id)
  redis.call('HDEL', B, id)
  publishGone(id, job, outcome)
end
