--- @include "job"
--- @include "queue-meta"

-- A wait-repl job is never made ready here: only RELEASE (after WAIT) does that.
local function enqueue(id, job)
  if job.st == 'w' then return end
  endBackoff(job)
  endLease(job)
  ensureQueue()
  job.st = 'q'
  job.eq = 1
  armRequeue(job)
  if ordered(job) then lanes().laneAdd(id, job) else zaddLater(R, job.k, id) end
  incrLater(M, 'in', 1)
  touch()
  woke = true
end
-- out of the ready list, if it was there
local function unqueue(id, job)
  if job.st == 'q' then
    if ordered(job) then lanes().laneRemove(id, job) else redis.call('ZREM', R, id) end
    job.st = 'a'
  end
end
-- queued now whatever its delay, and stored (NACK, ENQUEUE, QACK REDO, RETRY)
local function requeueNow(id, job)
  job.aw = 0
  enqueue(id, job)
  store(id, job)
end
