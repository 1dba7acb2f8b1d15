--[[
  Adds a job (ADDJOB and every dialect's add).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] id, [5] seq, [6] body, [7] ttl, [8] retry, [9] delay, [10] repl, [11] maxlen (0 = none),
    [12] front (0/1), [13] hasEvent (0/1), [14] event id, [15] retry budget ('' = the queue's policy's,
    else [19]; -1 = unlimited), [16] numbered (0/1: the event id is the queue's next TaskQ task number,
    as core states the rule), [17] backoff policy, text form ('' = the queue's, else none),
    [18] run time-out ms ('' = the queue's, else none), [19] the server's default retry budget,
    [20] retry-only budget (0/1: takeanumber's, a lease that runs out spends nothing),
    [21] holdUntil (0 = deliverable now; else the job is added in the wait-repl state until RELEASE,
         and a timer run deletes it at holdUntil if still held; -1 = held, bounded by its TTL only)
    [22] origin, one letter ('r' RESP, 'h' HTTP, 't' TaskQ; '' or absent = unknown: includes/job.lua)
    [23] priority ('' = the default), [24] group ('' = none), [25] idempotency key ('' = none; then
    KEYS[13] is its key, keys.ts idempotencyKey), [26] the key's TTL, seconds, [27] the schedule that
    added it ('' or absent = none)
  An idempotency key is a string `<id> <seq> <forgotten at>` with PX = its TTL; Redis's expiry
  cleans up, `forgotten at` (the broker's clock) decides. While it lives a second add is a duplicate.
  Returns { 1 created (0/1), 2 the event id or false, 3 the first job's id when a duplicate (else
  false), 4 its seq, 5 its state letter (includes/job.lua st, 'b' backing off, 'g' gone) }
  (replies.ts decodeAdd).
  Errors: ERR duplicate event, MAXLEN, PAUSED.
]]
--- @include "includes/enqueue"
--- @include "includes/new-job"

-- seq stays a string: Lua would print large numbers in exponent notation
local id, seq, body = ARGV[4], ARGV[5], ARGV[6]
local ttl, retry, delay, repl = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local maxlen, front, hasEvent, event = tonumber(ARGV[11]), ARGV[12] == '1', ARGV[13] == '1', ARGV[14]
local holdUntil = tonumber(ARGV[21])
local keyName = ARGV[25] or ''
if keyName ~= '' then
  local held = redis.call('GET', KEYS[13])
  if held then
    local kid, kseq, kat = string.match(held, '^(%S+) (%S+) (%S+)$')
    if tonumber(kat) > now then
      local job = load(kid)
      local st = 'g'
      if job then st = job.st end
      if job and job.bk == 1 then st = 'b' end
      return { 0, false, kid, kseq, st }
    end
  end
end
-- failure settings: the add's, else the queue's policy, else (the budget) the server's (core/failures.ts jobFailureSettings)
local policy = redis.call('HMGET', P, 'rs', 'bp', 'rt')
local retries = tonumber(ARGV[15]) or tonumber(policy[1] or ARGV[19])
local backoff, runTimeout = ARGV[17], tonumber(ARGV[18])
if backoff == '' then backoff = policy[2] end
if not runTimeout then runTimeout = tonumber(policy[3] or '') end
-- the TaskQ counter is read only by adds that have or get an event id
local lastNumber = 0
if hasEvent or ARGV[16] == '1' then lastNumber = tonumber(redis.call('GET', N) or '0') end
if ARGV[16] == '1' then
  hasEvent = true
  event = string.format('%d', lastNumber + 1)
end
if hasEvent and redis.call('HEXISTS', E, event) == 1 then return redis.error_reply('ERR duplicate event ' .. event) end
if maxlen > 0 and redis.call('ZCARD', R) + tonumber(redis.call('HGET', M, 'ox') or '0') >= maxlen then
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
if backoff then job.bp = backoff end
if runTimeout then job.rt = runTimeout end
if ARGV[20] == '1' then job.ro = 1 end
if ARGV[22] and ARGV[22] ~= '' then job.o = ARGV[22] end
-- scheduling options only on jobs that have them: a plain job's record and lane stay as they were
if ARGV[23] and ARGV[23] ~= '' and tonumber(ARGV[23]) ~= DEFAULT_PRIORITY then job.p = tonumber(ARGV[23]) end
if ARGV[24] and ARGV[24] ~= '' then
  -- its round is fixed at its add (as the engine's), kept by every put-back
  job.g = ARGV[24]
  job.rd = lanes().roundFor(job.g)
end
if ARGV[27] and ARGV[27] ~= '' then job.sc = ARGV[27] end
if keyName ~= '' then
  local ttlMs = tonumber(ARGV[26]) * 1000
  job.ik = keyName
  job.ke = now + ttlMs
  redis.call('SET', KEYS[13], id .. ' ' .. seq .. ' ' .. job.ke, 'PX', ttlMs)
end
if hasEvent then
  job.ev = event
  redis.call('HSET', E, event, id)
  -- canonical decimal ids of 1 to 15 digits raise the counter (tonumber keeps them exact)
  if #event <= 15 and string.match(event, '^[1-9][0-9]*$') and tonumber(event) > lastNumber then
    redis.call('SET', N, event)
  end
end
indexNewJob(id, seq, body)
if holdUntil ~= 0 then
  job.st = 'w'
  job.hw = math.max(holdUntil, 0)
  redis.call('HINCRBY', M, 'held', 1)
end
if delay > 0 then job.aw = now + delay * 1000 else enqueue(id, job) end
store(id, job)
finish()
return { created, hasEvent and event or false }
