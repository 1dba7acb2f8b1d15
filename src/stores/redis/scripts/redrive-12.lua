--[[
  Dead letters come back as fresh jobs (REDRIVE), oldest first: new ids, their budget given
  afresh, no attempts, their backoff policy, run time-out, origin, priority and group kept.
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] 'oldest' or 'ids', [5] n, [6 .. 5+2n] pairs (new id, new seq), used in order; a new id's
    last four characters become its letter's (TTL and RETRY, as every id carries them);
    with 'ids', [6+2n]... the dead letters wanted (the others stay)
  Returns how many came back.
]]
--- @include "includes/failure"
--- @include "includes/new-job"

local n = tonumber(ARGV[5])
local used = 0
local function revive(old)
  used = used + 1
  local id, seq = string.sub(ARGV[4 + 2 * used], 1, 36) .. string.sub(old, 37), ARGV[5 + 2 * used]
  local dead = cmsgpack.unpack(redis.call('HGET', J, old))
  local body = redis.call('HGET', B, old) or ''
  dropDeadLetter(old)
  ensureQueue()
  local job = { s = seq, c = now, ttl = dead.ttl, r = dead.r, dl = 0, rp = dead.rp,
    k = redis.call('HINCRBY', M, 'rank', 1), st = 'a', n = 0, ad = 0, aw = 0, rq = 0, eq = 0,
    rs = dead.rs, rl = dead.rs, bp = dead.bp, rt = dead.rt, ro = dead.ro, o = dead.o, p = dead.p }
  -- its priority and group stay, as on the engine (not its key: that still names the job that died)
  if dead.g then job.g = dead.g; job.rd = lanes().roundFor(dead.g) end
  if dead.ev and redis.call('HEXISTS', E, dead.ev) == 0 then job.ev = dead.ev; redis.call('HSET', E, dead.ev, id) end
  indexNewJob(id, seq, body)
  enqueue(id, job)
  store(id, job)
end

local chosen
if ARGV[4] == 'oldest' then
  chosen = redis.call('LRANGE', D, 0, n - 1)
else
  local wanted = {}
  for i = 6 + 2 * n, #ARGV do wanted[ARGV[i]] = true end
  chosen = {}
  for _, id in ipairs(redis.call('LRANGE', D, 0, -1)) do
    if wanted[id] and #chosen < n then chosen[#chosen + 1] = id end
  end
end
for _, old in ipairs(chosen) do
  redis.call('LREM', D, 1, old)
  if redis.call('HEXISTS', J, old) == 1 then revive(old) end
end
finish()
return used
