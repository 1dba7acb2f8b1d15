--- @include "job"

-- forget: out of every live index (the record itself is left to the caller)
local function forget(id, job)
  if not ordered(job) then zremLater(R, id)
  elseif job.st == 'q' then lanes().laneRemove(id, job) end
  zremLater(T, id)
  zremLater(A, id)
  hdelLater(I, id)
  hdelLater(S, job.s)
  if job.ev and redis.call('HGET', E, job.ev) == id then redis.call('HDEL', E, job.ev) end
  incrLater(M, 'live', -1)
  if job.st == 'w' then redis.call('HINCRBY', M, 'held', -1) end
  endBackoff(job)
  endLease(job)
end
-- outcome: what WAITJOB clients are told (acked, expired, deleted)
local function remove(id, job, outcome)
  forget(id, job)
  hdelLater(J, id)
  hdelLater(B, id)
  publishGone(id, job, outcome)
end
