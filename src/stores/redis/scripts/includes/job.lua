--[[
  A job record (cmsgpack map in the jobs hash): s seq (a decimal string), c createdAt, ttl, r retry,
  dl delay, rp repl, k rank, st state ("w" wait-repl, "q" queued, "a" active, "d" dead letter),
  hw wait-repl deadline (0 = bounded by the TTL only), n nacks, ad additional deliveries,
  aw awakeAt, rq requeueAt, eq ever queued, ev okq event id, rs retries, rl retries left,
  w watched by WAITJOB, dr/da dead reason and time. Times are absolute ms; 0 = unset.
  Failure fields (docs/failures.md), present only on jobs that have them, so a plain Disque
  job's record keeps its size: bp backoff policy (core/failures.ts text form), rt run time-out
  (ms), at attempts (the last 10, oldest first, each { at, cause, error }), bk 1 while waiting
  out a backoff until aw (state "backoff"; not queued, its lease not armed), ro 1: takeanumber's
  budget, spent by RETRY only (a lease that runs out spends nothing).
  p priority (absent: the default), g group, rd round, lg: see includes/lanes.lua; ik idempotency key,
  ke when it is forgotten (ms), present only on jobs added with them.
  o the door that added it, one letter ('r' RESP, 'h' HTTP, 't' TaskQ; absent: unknown, e.g. a job
  stored before it was kept): 6 bytes more per plain record (docs/redis.md).
]]
--- @include "lanes"

-- the live job, or nil (unknown, or a dead letter)
local function load(id)
  local raw = redis.call('HGET', J, id)
  if not raw then return nil end
  local job = cmsgpack.unpack(raw)
  if job.st == 'd' then return nil end
  return job
end
local function save(id, job) setLater(J, id, cmsgpack.pack(job)) end
local function expiresAt(job) return job.c + job.ttl * 1000 end
local function wakeAt(job)
  local at = expiresAt(job)
  if job.aw ~= 0 and job.aw < at then at = job.aw end
  if job.st ~= 'q' and job.rq ~= 0 and job.rq < at then at = job.rq end
  if job.st == 'w' and job.hw ~= 0 and job.hw < at then at = job.hw end
  return at
end
local function schedule(id, job) zaddLater(T, wakeAt(job), id) end
-- the record written back and its timer moved to its next wake time
local function store(id, job)
  save(id, job)
  schedule(id, job)
end
-- Held for WAIT: not deliverable, not movable by NACK/ENQUEUE/RETRY until released.
local function held(job) return job.st == 'w' end
-- the next lease re-queue, RETRY seconds from now (0: at-most-once, never)
local function armRequeue(job)
  if job.r > 0 then job.rq = now + job.r * 1000 else job.rq = 0 end
end
local function nextRequeueAt(job)
  if job.rq == 0 or job.rq > now then return job.rq end
  local period = job.r * 1000
  return job.rq + math.ceil((now - job.rq + 1) / period) * period
end
-- the okq event id, or false (a nil would cut a reply array short)
local function eventOf(job) return job.ev or false end
-- WAITJOB clients of a watched job learn how it went
local function publishGone(id, job, outcome)
  if job.w == 1 then redis.call('PUBLISH', chan .. ':gone', id .. ' ' .. outcome) end
end
-- delivered now to consumer (id, addr; '' when unnamed)
local function startLease(job, consumerId, consumerAddr)
  if not job.lt then incrLater(M, 'flight', 1) end
  job.lt = now
  job.lc = consumerId
  job.la = consumerAddr
  job.lw = 0
end
-- every way out of delivery passes here: queued again, backing off, removed, dead-lettered
local function endLease(job)
  if job.lt then
    job.lt, job.lc, job.la, job.lw = nil, nil, nil, nil
    incrLater(M, 'flight', -1)
    if job.g or job.lg then lanes().limitedLeaseEnded(job) end
  end
end
-- the meta's 'backoff' counts jobs waiting out a backoff (QSTAT): every way out of it passes here
local function startBackoff(job, untilAt)
  if job.bk ~= 1 then redis.call('HINCRBY', M, 'backoff', 1) end
  endLease(job)
  job.bk = 1
  job.aw = untilAt
  job.rq = 0
end
local function endBackoff(job)
  if job.bk == 1 then
    job.bk = nil
    redis.call('HINCRBY', M, 'backoff', -1)
  end
end
