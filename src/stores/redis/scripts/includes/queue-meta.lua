--- @include "queue"

-- A queue exists while its meta does and is not hidden. An idle queue whose
-- jobs are all delivered is hidden rather than deleted (its rank counters and
-- live count must survive); queuing a job or naming it again brings it back fresh.
-- 1 if the queue was created (or brought back).
local function showQueue()
  if redis.call('EXISTS', M) == 1 then
    if redis.call('HGET', M, 'hidden') ~= '1' then return 0 end
    redis.call('HSET', M, 'hidden', 0, 'created', now, 'touched', now, 'pause', 'none', 'in', 0, 'out', 0)
    redis.call('HDEL', M, 'ps', 'pbi', 'pba')
    return 1
  end
  -- the policy's delivery limits, mirrored so that a take reads them with the pause; `sx` right
  -- after `pause`, where a take finds it at once (includes/lanes.lua)
  local limits = redis.call('HMGET', P, 'rate', 'gl')
  local sx = 0
  if limits[1] or limits[2] then sx = 1 end
  redis.call('HSET', M, 'created', now, 'touched', now, 'pause', 'none', 'sx', sx, 'rank', 0, 'front', 0,
    'hidden', 0, 'in', 0, 'out', 0, 'live', 0, 'added', 0, 'delivered', 0, 'acked', 0, 'expired', 0,
    'requeued', 0)
  if limits[1] then redis.call('HSET', M, 'rate', limits[1]) end
  if limits[2] then redis.call('HSET', M, 'gl', limits[2]) end
  return 1
end
-- An add run (deferWrites) makes sure of its queue once: nothing in such a run hides it again.
local queueShown = false
local function ensureQueue()
  if deferring and queueShown then return 0 end
  local created = showQueue()
  queueShown = true
  return created
end
-- A queue holding only delayed jobs is not known yet (as in Disque, a queue is
-- created when a job is first queued): its meta is made hidden.
local function ensureHiddenQueue()
  if redis.call('EXISTS', M) == 1 then return 0 end
  ensureQueue()
  redis.call('HSET', M, 'hidden', 1)
  queueShown = false
  return 1
end
local function pausedOut()
  local p = redis.call('HGET', M, 'pause')
  return p == 'out' or p == 'all'
end
