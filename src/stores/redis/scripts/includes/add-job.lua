--[[
  One job's add (add-12.lua, addMany-12.lua): `a` holds add-12.lua's ARGV (a[4] .. a[27], as its header
  names them; a[1..3] are the frame's), `keyKey` the idempotency key's key when a[25] names one.
  Returns add-12.lua's reply, or an error reply (a table with err) before anything was written.
  The caller runs finish() once (one wake-up per script run).
]]
--- @include "enqueue"
--- @include "new-job"

-- read once per run: an add changes neither the queue's policy nor its pause
local runPolicy, runPause

local function addJob(a, keyKey)
  -- seq stays a string: Lua would print large numbers in exponent notation
  local id, seq, body = a[4], a[5], a[6]
  local ttl, retry, delay, repl = tonumber(a[7]), tonumber(a[8]), tonumber(a[9]), tonumber(a[10])
  local maxlen, front, hasEvent, event = tonumber(a[11]), a[12] == '1', a[13] == '1', a[14]
  local holdUntil = tonumber(a[21])
  local keyName = a[25] or ''
  if keyName ~= '' then
    local held = redis.call('GET', keyKey)
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
  runPolicy = runPolicy or redis.call('HMGET', P, 'rs', 'bp', 'rt')
  local policy = runPolicy
  local retries = tonumber(a[15]) or tonumber(policy[1] or a[19])
  local backoff, runTimeout = a[17], tonumber(a[18])
  if backoff == '' then backoff = policy[2] end
  if not runTimeout then runTimeout = tonumber(policy[3] or '') end
  -- the TaskQ counter is read only by adds that have or get an event id
  local lastNumber = 0
  if hasEvent or a[16] == '1' then lastNumber = tonumber(redis.call('GET', N) or '0') end
  if a[16] == '1' then
    hasEvent = true
    event = string.format('%d', lastNumber + 1)
  end
  if hasEvent and redis.call('HEXISTS', E, event) == 1 then return redis.error_reply('ERR duplicate event ' .. event) end
  if maxlen > 0 then flushWrites() end
  if maxlen > 0 and redis.call('ZCARD', R) + tonumber(redis.call('HGET', M, 'ox') or '0') >= maxlen then
    return redis.error_reply('MAXLEN Queue is already longer than the specified MAXLEN count')
  end
  if runPause == nil then runPause = redis.call('HGET', M, 'pause') end
  local p = runPause
  if p == 'in' or p == 'all' then return redis.error_reply('PAUSED Queue paused in input, try later') end
  local created
  if delay > 0 then created = ensureHiddenQueue() else created = ensureQueue() end
  local rank
  if front then rank = bumpLater(M, 'front', -1) else rank = bumpLater(M, 'rank', 1) end
  local job = { s = seq, c = now, ttl = ttl, r = retry, dl = delay, rp = repl, k = rank, st = 'a', n = 0, ad = 0,
    aw = 0, rq = 0, eq = 0, rs = retries, rl = retries }
  if backoff then job.bp = backoff end
  if runTimeout then job.rt = runTimeout end
  if a[20] == '1' then job.ro = 1 end
  if a[22] and a[22] ~= '' then job.o = a[22] end
  -- scheduling options only on jobs that have them: a plain job's record and lane stay as they were
  if a[23] and a[23] ~= '' and tonumber(a[23]) ~= DEFAULT_PRIORITY then job.p = tonumber(a[23]) end
  if a[24] and a[24] ~= '' then
    -- its round is fixed at its add (as the engine's), kept by every put-back
    job.g = a[24]
    job.rd = lanes().roundFor(job.g)
  end
  if a[27] and a[27] ~= '' then job.sc = a[27] end
  if keyName ~= '' then
    local ttlMs = tonumber(a[26]) * 1000
    job.ik = keyName
    job.ke = now + ttlMs
    redis.call('SET', keyKey, id .. ' ' .. seq .. ' ' .. job.ke, 'PX', ttlMs)
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
  return { created, hasEvent and event or false }
end
