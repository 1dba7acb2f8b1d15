--[[
  The one failure path of the Redis store (docs/failures.md; the engine's fail() is the
  reference): a NACK, emq's nak, takeanumber RETRY, a lease that ran out. A failure records an
  attempt, spends a retry (core/failures.ts spendRetry), then dead-letters the job or queues it
  again at its place: at once, or after a wait in state backoff (woken by the timers zset).
]]
--- @include "enqueue"
--- @include "remove"

-- core/limits.ts MAX_ATTEMPTS_KEPT
local MAX_ATTEMPTS_KEPT = 10
local RETRIES_EXHAUSTED = 'retries exhausted'

-- core/failures.ts backoffDelayMs, mirrored (keep the two in step; the conformance suite holds
-- both stores to it). policy: formatBackoff's text; draw: uniform in [0, 1), drawn by the broker.
local function backoffDelayMs(policy, failures, draw)
  local kind, ms, rest = string.match(policy, '^(%a+):(%d+)(.*)$')
  ms = tonumber(ms)
  if kind == 'fixed' then return ms end
  local maxMs, jitter = string.match(rest, '^:(%d+)(.*)$')
  maxMs = tonumber(maxMs) or 3600000
  -- 2^40 is already beyond every cap; bounding the exponent keeps the product finite.
  local exponent = math.min(math.max(failures, 1) - 1, 40)
  local delay = math.min(maxMs, ms * 2 ^ exponent)
  if jitter == ':jitter' then return math.floor(draw * delay) end
  return delay
end

-- core/failures.ts spendRetry: false when none is left (dead letter), else true, budget, left
local function spendRetry(budget, left, earlier, retries)
  if budget < 0 and retries then
    budget = retries
    left = math.max(0, retries - earlier)
  end
  if budget < 0 then return true, -1, -1 end
  if left <= 0 then return false end
  return true, budget, left - 1
end

local function recordAttempt(job, cause, err)
  local kept = job.at or {}
  kept[#kept + 1] = { now, cause, err }
  while #kept > MAX_ATTEMPTS_KEPT do table.remove(kept, 1) end
  job.at = kept
end

-- a dead letter's record, body and id index entry go (purge, eviction, redrive)
local function dropDeadLetter(id)
  redis.call('HDEL', J, id)
  redis.call('HDEL', B, id)
  redis.call('HDEL', I, id)
end

-- the queue's dead-letter cap (its policy's, else the server's) holds: the oldest go first
local function evictDeadLetters(defaultCap)
  local cap = tonumber(redis.call('HGET', P, 'cap') or defaultCap)
  local over = redis.call('LLEN', D) - cap
  for _ = 1, over do
    dropDeadLetter(redis.call('LPOP', D))
    redis.call('HINCRBY', M, 'evicted', 1)
  end
end

-- the job leaves the live set for the dead-letter list; its record stays (st 'd'), findable by id
local function deadLetter(id, job, reason, defaultCap)
  forget(id, job)
  job.st = 'd'
  job.dr = reason
  job.da = now
  save(id, job)
  redis.call('HSET', I, id, Q)
  redis.call('RPUSH', D, id)
  redis.call('HINCRBY', M, 'deadlettered', 1)
  publishGone(id, job, 'deleted')
  evictDeadLetters(defaultCap)
end

--[[
  One failure of a live, not held job. f: cause ('nack', 'lease', 'timeout'), err (cut to
  MAX_ERROR_BYTES by the broker), lease (true: an additional delivery, else a nack), back (true:
  the queue's next rank, emq's nak), delayMs (nil: none), backoff (true: the job's policy, else
  defaultBackoff), draw, retries (NACK … RETRIES, or nil), said (the NACK gave any of docket's
  options), defaultCap.
  Returns 'requeued', 'backoff' or 'deadlettered'; the job is stored (or dead-lettered).
]]
local function fail(id, job, f)
  local earlier = job.n + job.ad
  -- core/failures.ts recordsAttempt: a plain failure of a plain Disque job keeps nothing (as Disque)
  local tracked = f.said or job.rs >= 0 or job.bp or job.rt or job.at
  if f.lease then job.ad = job.ad + 1 else job.n = job.n + 1 end
  local ok, budget, left = spendRetry(job.rs, job.rl, earlier, f.retries)
  if tracked then
    recordAttempt(job, f.cause, f.err)
    if f.cause == 'timeout' then redis.call('HINCRBY', M, 'timedout', 1) end
  end
  if not ok then
    -- NACK … RETRIES gave a job without a budget one, already spent: the dead letter shows it
    if job.rs < 0 and f.retries then job.rs = f.retries end
    job.rl = 0
    deadLetter(id, job, RETRIES_EXHAUSTED, f.defaultCap)
    return 'deadlettered'
  end
  job.rs = budget
  job.rl = left
  redis.call('HINCRBY', M, 'retried', 1)
  local wait = 0
  if f.delayMs then wait = f.delayMs
  elseif f.backoff then wait = backoffDelayMs(job.bp or f.defaultBackoff, job.n + job.ad, f.draw) end
  unqueue(id, job)
  if f.back then job.k = redis.call('HINCRBY', M, 'rank', 1) end
  if wait > 0 then
    startBackoff(job, now + wait)
    store(id, job)
    return 'backoff'
  end
  requeueNow(id, job)
  return 'requeued'
end
