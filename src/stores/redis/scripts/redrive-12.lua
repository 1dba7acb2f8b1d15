--[[
  Dead letters come back as fresh jobs (REDRIVE): new ids, their budget given afresh, no attempts,
  their backoff policy and run time-out kept.
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] 'oldest' then [5]... pairs (new id, new seq): up to that many of the oldest;
    or 'ids' then [5]... triples (dead id, new id, new seq)
  Returns how many came back.
]]
--- @include "includes/failure"
--- @include "includes/new-job"

local function revive(old, id, seq)
  local dead = cmsgpack.unpack(redis.call('HGET', J, old))
  local body = redis.call('HGET', B, old) or ''
  dropDeadLetter(old)
  ensureQueue()
  local job = { s = seq, c = now, ttl = dead.ttl, r = dead.r, dl = 0, rp = dead.rp,
    k = redis.call('HINCRBY', M, 'rank', 1), st = 'a', n = 0, ad = 0, aw = 0, rq = 0, eq = 0,
    rs = dead.rs, rl = dead.rs, bp = dead.bp, rt = dead.rt }
  if dead.ev and redis.call('HEXISTS', E, dead.ev) == 0 then job.ev = dead.ev; redis.call('HSET', E, dead.ev, id) end
  indexNewJob(id, seq, body)
  enqueue(id, job)
  store(id, job)
end

local moved = 0
if ARGV[4] == 'oldest' then
  for i = 5, #ARGV - 1, 2 do
    local old = redis.call('LPOP', D)
    if not old then break end
    if redis.call('HEXISTS', J, old) == 1 then
      revive(old, ARGV[i], ARGV[i + 1])
      moved = moved + 1
    end
  end
else
  for i = 5, #ARGV - 2, 3 do
    if redis.call('LREM', D, 1, ARGV[i]) == 1 and redis.call('HEXISTS', J, ARGV[i]) == 1 then
      revive(ARGV[i], ARGV[i + 1], ARGV[i + 2])
      moved = moved + 1
    end
  end
end
finish()
return moved
