--[[
  Runs the queue's due timers: delays and backoffs end, leases run out (a failure, see
  includes/failure.lua), TTLs expire, wait-repl orphans go, kept results expire (their entries
  `x:<bytes>:<id>` in the timers zset keep the meta's results/rbytes counts), a rate limit's slot
  comes (the entry `r:`, take-12.lua: a wake-up for the queue's fetchers).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] limit (most timers run), [5] the server's dead-letter cap
  Timers due at the same ms run in creation (seq) order, as the engine's (state.ts runJobTimersAt).
  Returns { 1 timers fetched (the batch was full when = limit), 2 the next timer (ms) or -1 }
  (replies.ts decodeDue).
]]
--- @include "includes/failure"

-- ZRANGEBYSCORE … WITHSCORES' { member, score, ... } as the members to run: those due at one ms
-- in seq order (a zset orders them by member, and ids are random; other entries count as seq 0).
-- A full batch leaves the ms it ends on to the next one (unless that ms is all of it), so that
-- one ms's timers are ordered together.
local function inTimerOrder(flat, full)
  local n = #flat / 2
  local tied = false
  for i = 2, n do
    if flat[2 * i] == flat[2 * i - 2] then tied = true break end
  end
  if full and flat[2] ~= flat[2 * n] then
    local last = flat[2 * n]
    while flat[2 * n] == last do n = n - 1 end
  end
  local order = {}
  for i = 1, n do
    local id, at, seq = flat[2 * i - 1], flat[2 * i], 0
    if tied and (at == flat[2 * i - 2] or at == flat[2 * i + 2]) then
      local raw = redis.call('HGET', J, id)
      if raw then seq = tonumber(cmsgpack.unpack(raw).s) end
    end
    order[i] = tied and { id, tonumber(at), seq } or id
  end
  if not tied then return order end
  table.sort(order, function(a, b)
    if a[2] ~= b[2] then return a[2] < b[2] end
    if a[3] ~= b[3] then return a[3] < b[3] end
    return a[1] < b[1]
  end)
  for i = 1, n do order[i] = order[i][1] end
  return order
end

local limit = tonumber(ARGV[4])
local fetched = redis.call('ZRANGEBYSCORE', T, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
local due = inTimerOrder(fetched, #fetched == 2 * limit)
for _, id in ipairs(due) do
  local bytes = string.match(id, '^x:(%d+):')
  local job = nil
  if id == 'r:' then
    -- a rate limit's next slot (take-12.lua): the queue's blocked fetchers look again
    redis.call('ZREM', T, id)
    woke = true
  elseif bytes then
    redis.call('ZREM', T, id)
    redis.call('HINCRBY', M, 'results', -1)
    redis.call('HINCRBY', M, 'rbytes', -tonumber(bytes))
  else
    job = load(id)
    if not job then redis.call('ZREM', T, id) end
  end
  if not job then
    -- done above
  elseif held(job) then
    -- an orphan of an add whose server died before RELEASE: its producer was never acknowledged
    if (job.hw ~= 0 and job.hw <= now) or expiresAt(job) <= now then remove(id, job, 'deleted')
    else schedule(id, job) end
  elseif expiresAt(job) <= now then
    redis.call('HINCRBY', M, 'expired', 1)
    remove(id, job, 'expired')
  elseif job.aw ~= 0 and job.aw <= now then
    job.aw = 0
    enqueue(id, job)
    store(id, job)
  elseif job.st ~= 'q' and job.rq ~= 0 and job.rq <= now then
    job.aw = 0
    if job.eq == 1 and job.ro == 1 then
      -- takeanumber's budget counts RETRY only: the job comes back, its budget left alone
      job.ad = job.ad + 1
      redis.call('HINCRBY', M, 'requeued', 1)
      enqueue(id, job)
      store(id, job)
    elseif job.eq == 1 then
      -- the lease ran out: a failure, queued again at once (the lease was the wait)
      redis.call('HINCRBY', M, 'requeued', 1)
      fail(id, job, { cause = 'lease', err = '', lease = true, back = false, said = false, defaultCap = ARGV[5] })
    else
      enqueue(id, job)
      store(id, job)
    end
  else
    store(id, job)
  end
end
finish()
local first = redis.call('ZRANGE', T, 0, 0, 'WITHSCORES')
if #first == 0 then return { #fetched / 2, -1 } end
return { #fetched / 2, first[2] }
