--[[
  Dead letters come back as fresh jobs, oldest first (REDRIVE).
    KEYS[1..11] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4]... pairs (new id, new seq): up to that many dead letters
  Returns how many came back.
]]
--- @include "includes/enqueue"
--- @include "includes/new-job"

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
    indexNewJob(id, seq, body)
    enqueue(id, job)
    store(id, job)
    moved = moved + 1
  end
end
finish()
return moved
