/**
 * The Lua scripts of the Redis store. Each runs atomically on the node that
 * owns its queue's slot and touches only the keys it declares: the eleven keys of
 * one queue (see keys.ts), in this order:
 *
 *   KEYS: 1 meta, 2 ready, 3 timers, 4 all, 5 jobs, 6 bodies, 7 events, 8 dead, 9 ids, 10 seqs,
 *         11 TaskQ task number
 *   ARGV: 1 queue name, 2 now (ms, from the broker's clock), 3 wake channel, 4… per script
 *
 * A job record (cmsgpack map in the jobs hash): s seq (a decimal string), c createdAt, ttl, r retry,
 * dl delay, rp repl, k rank, st state ("w" wait-repl, "q" queued, "a" active, "d" dead letter),
 * hw wait-repl deadline (0 = bounded by the TTL only),
 * n nacks, ad additional deliveries, aw awakeAt, rq requeueAt, eq ever queued,
 * ev okq event id, rs retries, rl retries left, w watched by WAITJOB, dr/da dead
 * reason and time. Times are absolute ms; 0 = unset.
 */

const COMMON = `
local M, R, T, A, J, B, E, D, I, S, N = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local Q = ARGV[1]
local now = tonumber(ARGV[2])
local chan = ARGV[3]
local woke = false

local function load(id)
  local raw = redis.call('HGET', J, id)
  if not raw then return nil end
  local job = cmsgpack.unpack(raw)
  if job.st == 'd' then return nil end
  return job
end
local function save(id, job) redis.call('HSET', J, id, cmsgpack.pack(job)) end
local function wakeAt(job)
  local at = job.c + job.ttl * 1000
  if job.aw ~= 0 and job.aw < at then at = job.aw end
  if job.st ~= 'q' and job.rq ~= 0 and job.rq < at then at = job.rq end
  if job.st == 'w' and job.hw ~= 0 and job.hw < at then at = job.hw end
  return at
end
local function schedule(id, job) redis.call('ZADD', T, wakeAt(job), id) end
local function touch() redis.call('HSET', M, 'touched', now) end
-- A queue exists while its meta does and is not hidden. An idle queue whose
-- jobs are all delivered is hidden rather than deleted (its rank counters and
-- live count must survive); queuing a job or naming it again brings it back fresh.
local function ensureQueue()
  if redis.call('EXISTS', M) == 1 then
    if redis.call('HGET', M, 'hidden') ~= '1' then return 0 end
    redis.call('HSET', M, 'hidden', 0, 'created', now, 'touched', now, 'pause', 'none', 'in', 0, 'out', 0)
    return 1
  end
  redis.call('HSET', M, 'created', now, 'touched', now, 'pause', 'none', 'rank', 0, 'front', 0, 'hidden', 0,
    'in', 0, 'out', 0, 'live', 0, 'added', 0, 'delivered', 0, 'acked', 0, 'expired', 0, 'requeued', 0)
  return 1
end
-- A queue holding only delayed jobs is not known yet (as in Disque, a queue is
-- created when a job is first queued): its meta is made hidden.
local function ensureHiddenQueue()
  if redis.call('EXISTS', M) == 1 then return 0 end
  ensureQueue()
  redis.call('HSET', M, 'hidden', 1)
  return 1
end
local function pausedOut()
  local p = redis.call('HGET', M, 'pause')
  return p == 'out' or p == 'all'
end
-- A wait-repl job is never made ready here: only RELEASE (after WAIT) does that.
local function enqueue(id, job)
  if job.st == 'w' then return end
  ensureQueue()
  job.st = 'q'
  job.eq = 1
  if job.r > 0 then job.rq = now + job.r * 1000 else job.rq = 0 end
  redis.call('ZADD', R, job.k, id)
  redis.call('HINCRBY', M, 'in', 1)
  touch()
  woke = true
end
-- Held for WAIT: not deliverable, not movable by NACK/ENQUEUE/RETRY until released.
local function held(job) return job.st == 'w' end
local function unqueue(id, job)
  if job.st == 'q' then
    redis.call('ZREM', R, id)
    job.st = 'a'
  end
end
local function nextRequeueAt(job)
  if job.rq == 0 or job.rq > now then return job.rq end
  local period = job.r * 1000
  return job.rq + math.ceil((now - job.rq + 1) / period) * period
end
-- forget: out of every live index (the record itself is left to the caller)
local function forget(id, job)
  redis.call('ZREM', R, id)
  redis.call('ZREM', T, id)
  redis.call('ZREM', A, id)
  redis.call('HDEL', I, id)
  redis.call('HDEL', S, job.s)
  if job.ev and redis.call('HGET', E, job.ev) == id then redis.call('HDEL', E, job.ev) end
  redis.call('HINCRBY', M, 'live', -1)
  if job.st == 'w' then redis.call('HINCRBY', M, 'held', -1) end
end
local function remove(id, job, outcome)
  forget(id, job)
  redis.call('HDEL', J, id)
  redis.call('HDEL', B, id)
  if job.w == 1 then redis.call('PUBLISH', chan .. ':gone', id .. ' ' .. outcome) end
end
local function finish()
  if woke then redis.call('PUBLISH', chan, Q) end
end
local function info(id, job)
  local ev = false
  if job.ev then ev = job.ev end
  local at = wakeAt(job)
  return { id, job.s, job.st, job.rp, job.ttl, job.c, job.dl, job.r, job.n, job.ad,
    nextRequeueAt(job), at, redis.call('HGET', B, id) or '', ev, job.rl, job.aw or 0 }
end
-- SHOW entries of the ids that are still live jobs, in order (QPEEK, JSCAN)
local function infos(ids)
  local out = {}
  for _, id in ipairs(ids) do
    local job = load(id)
    if job then out[#out + 1] = info(id, job) end
  end
  return out
end
-- the job id an okq/takeanumber/TaskQ reference names in this queue (by job id, event id or seq)
local function refId(ref, by)
  if by == 'event' then return redis.call('HGET', E, ref) or ref end
  if by == 'seq' then return redis.call('HGET', S, ref) or '' end
  return ref
end
local function delivery(id, job, body)
  local ev = false
  if job.ev then ev = job.ev end
  return { id, job.s, body, job.n, job.ad, ev, wakeAt(job) }
end
`;

/**
 * ARGV 4… id, seq, body, ttl, retry, delay, repl, maxlen (0 = none), front (0/1), hasEvent, event,
 * retries (-1 = unlimited), numbered (0/1: the event id is the queue's next TaskQ task number, as
 * engine/task-numbers.ts states the rule), holdUntil (0 = deliverable now; else the job is added in
 * the wait-repl state until RELEASE, and a timer run deletes it at holdUntil if still held; -1 = held,
 * bounded by its TTL only). Returns { created (0/1), the event id or false }.
 */
const ADD = `
-- seq stays a string: Lua would print large numbers in exponent notation
local id, seq, body = ARGV[4], ARGV[5], ARGV[6]
local ttl, retry, delay, repl = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local maxlen, front, hasEvent, event, retries = tonumber(ARGV[11]), ARGV[12] == '1', ARGV[13] == '1', ARGV[14], tonumber(ARGV[15])
local holdUntil = tonumber(ARGV[17])
-- the TaskQ counter is read only by adds that have or get an event id
local lastNumber = 0
if hasEvent or ARGV[16] == '1' then lastNumber = tonumber(redis.call('GET', N) or '0') end
if ARGV[16] == '1' then
  hasEvent = true
  event = string.format('%d', lastNumber + 1)
end
if hasEvent and redis.call('HEXISTS', E, event) == 1 then return redis.error_reply('ERR duplicate event ' .. event) end
if maxlen > 0 and redis.call('ZCARD', R) >= maxlen then
  return redis.error_reply('MAXLEN Queue is already longer than the specified MAXLEN count')
end
local p = redis.call('HGET', M, 'pause')
if p == 'in' or p == 'all' then return redis.error_reply('PAUSED Queue paused in input, try later') end
local created
if delay > 0 then created = ensureHiddenQueue() else created = ensureQueue() end
local rank
if front then rank = redis.call('HINCRBY', M, 'front', -1) else rank = redis.call('HINCRBY', M, 'rank', 1) end
local job = { s = seq, c = now, ttl = ttl, r = retry, dl = delay, rp = repl, k = rank, st = 'a', n = 0, ad = 0,
  aw = 0, rq = 0, eq = 0, rs = retries, rl = retries }
if hasEvent then
  job.ev = event
  redis.call('HSET', E, event, id)
  -- canonical decimal ids of 1 to 15 digits raise the counter (tonumber keeps them exact)
  if #event <= 15 and string.match(event, '^[1-9][0-9]*$') and tonumber(event) > lastNumber then
    redis.call('SET', N, event)
  end
end
redis.call('HSET', B, id, body)
redis.call('HSET', I, id, Q)
redis.call('HSET', S, seq, id)
redis.call('ZADD', A, seq, id)
redis.call('HINCRBY', M, 'live', 1)
redis.call('HINCRBY', M, 'added', 1)
if holdUntil ~= 0 then
  job.st = 'w'
  job.hw = math.max(holdUntil, 0)
  redis.call('HINCRBY', M, 'held', 1)
end
if delay > 0 then job.aw = now + delay * 1000 else enqueue(id, job) end
save(id, job)
schedule(id, job)
finish()
return { created, hasEvent and event or false }
`;

/**
 * ARGV 4 count, 5 lease seconds (0 = the job's RETRY), 6 consume (0/1), 7 ensure (0/1: when
 * nothing is taken, make the queue known, as a blocking GETJOB does).
 * Returns { 1 if the queue was created, delivery, delivery, … } with up to count deliveries.
 */
const TAKE = `
local count, lease, consume, ensure = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1', ARGV[7] == '1'
if pausedOut() then return { 0 } end
local out = { 0 }
local want = count
while want > 0 do
  local popped = redis.call('ZPOPMIN', R, want)
  if #popped == 0 then break end
  for i = 1, #popped, 2 do
    local id = popped[i]
    local job = load(id)
    if job and job.c + job.ttl * 1000 <= now then
      -- Expired, not yet collected by a timer run: never delivered.
      redis.call('HINCRBY', M, 'expired', 1)
      remove(id, job, 'expired')
    elseif job then
      job.st = 'a'
      if job.r > 0 then job.rq = now + job.r * 1000 else job.rq = 0 end
      redis.call('HINCRBY', M, 'out', 1)
      redis.call('HINCRBY', M, 'delivered', 1)
      if lease > 0 and job.r > 0 then job.rq = now + lease * 1000 end
      out[#out + 1] = delivery(id, job, redis.call('HGET', B, id) or '')
      if consume then
        remove(id, job, 'acked')
      else
        save(id, job)
        schedule(id, job)
      end
    end
  end
  want = count - (#out - 1)
end
if #out > 1 then touch() elseif ensure then out[1] = ensureQueue() end
return out
`;

/** ARGV 4 reason (ack, fastack, deljob), 5… ids: how many were removed */
const REMOVE = `
local reason = ARGV[4]
local outcome = 'deleted'
if reason == 'ack' then outcome = 'acked' end
local removed = 0
for i = 5, #ARGV do
  local id = ARGV[i]
  local job = load(id)
  if job then
    if reason == 'ack' then redis.call('HINCRBY', M, 'acked', 1) end
    remove(id, job, outcome)
    removed = removed + 1
  end
end
return removed
`;

/**
 * ARGV 4 how (nack, nack-to-back, enqueue, release), 5… ids: how many went back to the queue.
 * nack-to-back gives the job the queue's next rank (behind every job queued now); release
 * (a job taken but never handed over) changes no counter and may requeue an at-most-once job.
 */
const PUT_BACK = `
local how = ARGV[4]
local moved = 0
for i = 5, #ARGV do
  local id = ARGV[i]
  local job = load(id)
  if job and job.st ~= 'q' and not held(job) and (how == 'release' or not (job.r == 0 and job.eq == 1)) then
    if how == 'nack' or how == 'nack-to-back' then job.n = job.n + 1
    elseif how == 'enqueue' and job.eq == 1 then job.ad = job.ad + 1 end
    if how == 'nack-to-back' then job.k = redis.call('HINCRBY', M, 'rank', 1) end
    job.aw = 0
    enqueue(id, job)
    save(id, job)
    schedule(id, job)
    moved = moved + 1
  end
end
finish()
return moved
`;

/** ARGV 4… ids: how many left the ready list */
const DEQUEUE = `
local moved = 0
for i = 4, #ARGV do
  local id = ARGV[i]
  local job = load(id)
  if job and job.st == 'q' then
    job.rq = nextRequeueAt(job)
    unqueue(id, job)
    save(id, job)
    schedule(id, job)
    moved = moved + 1
  end
end
return moved
`;

/** ARGV 4 id: seconds the re-queue was postponed by */
const WORKING = `
local id = ARGV[4]
local job = load(id)
if not job then return redis.error_reply('NOJOB Job not known in the context of this node.') end
if now - job.c > job.ttl * 1000 / 2 then
  return redis.error_reply('TOOLATE Half of job TTL already elapsed, you are no longer allowed to postpone the next delivery.')
end
if job.r == 0 then return 0 end
unqueue(id, job)
job.rq = now + job.r * 1000
save(id, job)
schedule(id, job)
return job.r
`;

/**
 * ARGV 4 id: the second step of a REPLICATE n > 1 add, run after WAIT confirmed the add on n-1
 * replicas: the wait-repl job becomes queued (or delayed). 1 if released, 0 if it is no longer held.
 */
const RELEASE = `
local id = ARGV[4]
local job = load(id)
if not job or not held(job) then return 0 end
job.hw = nil
redis.call('HINCRBY', M, 'held', -1)
job.st = 'a'
if job.aw == 0 then enqueue(id, job) end
save(id, job)
schedule(id, job)
finish()
return 1
`;

/**
 * ARGV 4 id: undoes an add whose RELEASE WAIT failed, if no consumer has had the job yet
 * (still held, or queued/delayed and never delivered). 1 if deleted, 0 if it was delivered.
 */
const RETRACT = `
local id = ARGV[4]
local job = load(id)
if not job then return 1 end
local undelivered = held(job) or job.eq == 0 or (job.st == 'q' and job.ad == 0 and job.n == 0)
if not undelivered then return 0 end
remove(id, job, 'deleted')
return 1
`;

/** ARGV 4 limit: runs due timers; returns { processed, next timer or -1 } */
const DUE = `
local limit = tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', T, '-inf', now, 'LIMIT', 0, limit)
for _, id in ipairs(due) do
  local job = load(id)
  if not job then
    redis.call('ZREM', T, id)
  elseif held(job) then
    -- an orphan of an add whose server died before RELEASE: its producer was never acknowledged
    if (job.hw ~= 0 and job.hw <= now) or job.c + job.ttl * 1000 <= now then remove(id, job, 'deleted')
    else schedule(id, job) end
  elseif job.c + job.ttl * 1000 <= now then
    redis.call('HINCRBY', M, 'expired', 1)
    remove(id, job, 'expired')
  else
    if job.aw ~= 0 and job.aw <= now then
      job.aw = 0
      enqueue(id, job)
    elseif job.st ~= 'q' and job.rq ~= 0 and job.rq <= now then
      job.aw = 0
      if job.eq == 1 then
        job.ad = job.ad + 1
        redis.call('HINCRBY', M, 'requeued', 1)
      end
      enqueue(id, job)
    end
    save(id, job)
    schedule(id, job)
  end
end
finish()
local first = redis.call('ZRANGE', T, 0, 0, 'WITHSCORES')
if #first == 0 then return { #due, -1 } end
return { #due, first[2] }
`;

/** ARGV 4… ids: info arrays (false for unknown ids) */
const SHOW = `
local out = {}
for i = 4, #ARGV do
  local job = load(ARGV[i])
  if job then out[#out + 1] = info(ARGV[i], job) else out[#out + 1] = false end
end
return out
`;

/** ARGV 4 count (> 0 oldest first, < 0 newest first) */
const PEEK = `
local count = tonumber(ARGV[4])
local ids
if count > 0 then ids = redis.call('ZRANGE', R, 0, count - 1) else ids = redis.call('ZRANGE', R, 0, -count - 1, 'REV') end
return infos(ids)
`;

/**
 * queue stats: { visible (0: unknown or hidden), len, created, touched, pause, in, out, live, added,
 * delivered, acked, expired, requeued, held (wait-repl jobs) }
 */
const STAT = `
if redis.call('EXISTS', M) == 0 then return { 0, 0, 0, 0, 'none', 0, 0, 0, 0, 0, 0, 0, 0, 0 } end
local m = redis.call('HMGET', M, 'created', 'touched', 'pause', 'in', 'out', 'live', 'added', 'delivered', 'acked', 'expired', 'requeued', 'hidden', 'held')
local visible = 1
if m[12] == '1' then visible = 0 end
return { visible, redis.call('ZCARD', R), m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[13] or 0 }
`;

/** ARGV 4 new state or '' (read only): { the state after, 1 if the queue was created } */
const PAUSE = `
local state = ARGV[4]
local created = ensureQueue()
local before = redis.call('HGET', M, 'pause')
if state ~= '' and state ~= before then
  redis.call('HSET', M, 'pause', state)
  touch()
  if state ~= 'out' and state ~= 'all' then woke = true end
end
finish()
return { redis.call('HGET', M, 'pause'), created }
`;

/** ARGV 4 ref, 5 by (id, event, seq): removes the job (acked), 0 or 1 */
const ACK_IN_QUEUE = `
local id = refId(ARGV[4], ARGV[5])
local job = load(id)
if not job then return 0 end
redis.call('HINCRBY', M, 'acked', 1)
remove(id, job, 'acked')
return 1
`;

/** ARGV 4 ref, 5 by (id, event, seq): okq QACK … REDO, the job is queued ahead of every other one; 0 or 1 */
const REQUEUE_FIRST = `
local id = refId(ARGV[4], ARGV[5])
local job = load(id)
if not job or held(job) then return 0 end
job.n = job.n + 1
unqueue(id, job)
ensureQueue()
job.k = redis.call('HINCRBY', M, 'front', -1)
job.aw = 0
enqueue(id, job)
save(id, job)
schedule(id, job)
finish()
return 1
`;

/** ARGV 4 id: takeanumber RETRY; 'requeued', 'deadlettered' or false */
const RETRY = `
local id = ARGV[4]
local job = load(id)
if not job or held(job) then return false end
if job.rl == 0 then
  forget(id, job)
  job.st = 'd'
  job.dr = 'retries exhausted'
  job.da = now
  save(id, job)
  redis.call('RPUSH', D, id)
  if job.w == 1 then redis.call('PUBLISH', chan .. ':gone', id .. ' deleted') end
  return 'deadlettered'
end
if job.rl > 0 then job.rl = job.rl - 1 end
job.n = job.n + 1
unqueue(id, job)
job.aw = 0
enqueue(id, job)
save(id, job)
schedule(id, job)
finish()
return 'requeued'
`;

/**
 * okq QFLUSH: every job and dead letter of the queue goes.
 * Returns { live jobs removed, added, delivered, acked, expired, requeued } (the totals it drops).
 */
const FLUSH_QUEUE = `
local totals = redis.call('HMGET', M, 'added', 'delivered', 'acked', 'expired', 'requeued')
local removed = 0
local all = redis.call('HGETALL', J)
for i = 1, #all, 2 do
  local job = cmsgpack.unpack(all[i + 1])
  redis.call('HDEL', I, all[i])
  if job.st ~= 'd' then
    redis.call('HDEL', S, job.s)
    removed = removed + 1
    if job.w == 1 then redis.call('PUBLISH', chan .. ':gone', all[i] .. ' deleted') end
  end
end
redis.call('DEL', M, R, T, A, J, B, E, D)
return { removed, totals[1] or 0, totals[2] or 0, totals[3] or 0, totals[4] or 0, totals[5] or 0 }
`;

/** ARGV 4 count: the oldest dead letters */
const DEAD_LETTERS = `
local ids = redis.call('LRANGE', D, 0, tonumber(ARGV[4]) - 1)
local out = {}
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', J, id)
  if raw then
    local job = cmsgpack.unpack(raw)
    local ev = false
    if job.ev then ev = job.ev end
    out[#out + 1] = { id, job.s, redis.call('HGET', B, id) or '', ev, job.dr, job.da }
  end
end
return out
`;

/** ARGV 4… pairs (new id, new seq): up to that many dead letters come back as fresh jobs */
const REDRIVE = `
local moved = 0
for i = 4, #ARGV - 1, 2 do
  local old = redis.call('LPOP', D)
  if not old then break end
  local raw = redis.call('HGET', J, old)
  if raw then
    local dead = cmsgpack.unpack(raw)
    local body = redis.call('HGET', B, old) or ''
    redis.call('HDEL', J, old)
    redis.call('HDEL', B, old)
    local id, seq = ARGV[i], ARGV[i + 1]
    ensureQueue()
    local job = { s = seq, c = now, ttl = dead.ttl, r = dead.r, dl = 0, rp = dead.rp,
      k = redis.call('HINCRBY', M, 'rank', 1), st = 'a', n = 0, ad = 0, aw = 0, rq = 0, eq = 0,
      rs = dead.rs, rl = dead.rs }
    if dead.ev and redis.call('HEXISTS', E, dead.ev) == 0 then job.ev = dead.ev; redis.call('HSET', E, dead.ev, id) end
    redis.call('HSET', B, id, body)
    redis.call('HSET', I, id, Q)
    redis.call('HSET', S, seq, id)
    redis.call('ZADD', A, seq, id)
    redis.call('HINCRBY', M, 'live', 1)
    redis.call('HINCRBY', M, 'added', 1)
    enqueue(id, job)
    save(id, job)
    schedule(id, job)
    moved = moved + 1
  end
end
finish()
return moved
`;

/** ARGV 4 id: WAITJOB marks the job watched, so its removal is published; 1 if it is live */
const WATCH = `
local id = ARGV[4]
local job = load(id)
if not job then return 0 end
job.w = 1
save(id, job)
return 1
`;

/**
 * ARGV 4 idle ms: an empty, unpaused queue idle that long goes: deleted when it
 * has no job and no dead letter, hidden otherwise (see ensureQueue).
 * Returns { 0 kept | 1 hidden | 2 deleted, added, delivered, acked, expired, requeued }:
 * the totals of a deleted queue, for the deployment-wide totals.
 */
const GC = `
if redis.call('EXISTS', M) == 0 then return { 2, 0, 0, 0, 0, 0 } end
local m = redis.call('HMGET', M, 'touched', 'pause', 'live', 'hidden', 'added', 'delivered', 'acked', 'expired', 'requeued')
if m[4] == '1' and tonumber(m[3]) > 0 then return { 1, 0, 0, 0, 0, 0 } end
if not (m[2] == 'none' and redis.call('ZCARD', R) == 0 and now - tonumber(m[1]) >= tonumber(ARGV[4])) then
  return { 0, 0, 0, 0, 0, 0 }
end
if tonumber(m[3]) == 0 and redis.call('LLEN', D) == 0 then
  redis.call('DEL', M, R, T, A, J, B, E, D)
  return { 2, m[5], m[6], m[7], m[8], m[9] }
end
redis.call('HSET', M, 'hidden', 1)
return { 1, 0, 0, 0, 0, 0 }
`;

/**
 * JSCAN: ARGV 4 from, 5 to (excluded), 6 limit: { the first `limit` live jobs with from <= seq < to,
 * the first seq >= to (0: none) }
 */
const SCAN = `
local before = '(' .. ARGV[5]
local ids = redis.call('ZRANGE', A, ARGV[4], before, 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[6]))
local after = redis.call('ZRANGE', A, ARGV[5], '+inf', 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
local beyond = 0
if after[2] then beyond = tonumber(after[2]) end
return { infos(ids), beyond }
`;

/** queue counts: { live, ready, pausedOut, known (exists and not hidden) } */
const COUNTS = `
local m = redis.call('HMGET', M, 'live', 'pause', 'hidden')
local p = 0
if m[2] == 'out' or m[2] == 'all' then p = 1 end
local known = 0
if m[1] and m[3] ~= '1' then known = 1 end
return { tonumber(m[1] or '0'), redis.call('ZCARD', R), p, known }
`;

/** Per-tag lookups: KEYS 1 ids (id -> queue), 2 seqs (seq -> id). ARGV: 'id' or 'seq', then refs. */
const LOOKUP = `
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if ARGV[1] == 'seq' then id = redis.call('HGET', KEYS[2], ARGV[i]) end
  if id then
    local q = redis.call('HGET', KEYS[1], id)
    if q then out[#out + 1] = { id, q } else out[#out + 1] = false end
  else
    out[#out + 1] = false
  end
end
return out
`;

export const QUEUE_SCRIPTS = {
  add: ADD,
  release: RELEASE,
  retract: RETRACT,
  take: TAKE,
  remove: REMOVE,
  putBack: PUT_BACK,
  dequeue: DEQUEUE,
  working: WORKING,
  due: DUE,
  show: SHOW,
  peek: PEEK,
  stat: STAT,
  pause: PAUSE,
  ackInQueue: ACK_IN_QUEUE,
  requeueFirst: REQUEUE_FIRST,
  retry: RETRY,
  flushQueue: FLUSH_QUEUE,
  deadLetters: DEAD_LETTERS,
  redrive: REDRIVE,
  watch: WATCH,
  gc: GC,
  scan: SCAN,
  counts: COUNTS,
} as const;

export type QueueScriptName = keyof typeof QUEUE_SCRIPTS;

/** The full source of a queue script: the shared helpers, then its body. */
export function queueScriptSource(name: QueueScriptName): string {
  return COMMON + QUEUE_SCRIPTS[name];
}

export const LOOKUP_SCRIPT = LOOKUP;
