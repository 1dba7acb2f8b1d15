--[[
  The queue's stats (QSTAT, INFO, QSCAN).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
  Returns { 1 visible (0: unknown or hidden), 2 len, 3 created, 4 touched, 5 pause, 6 in, 7 out, 8 live,
  9 held (wait-repl jobs), 10 backing off, 11 dead letters, 12 results kept, 13 their bytes,
  14.. the totals (includes/queue.lua TOTALS), then in flight (delivered, EXPLAIN's leases) and the
  createdAt of the job at the head of the ready list (0: none) } (replies.ts decodeStat).
]]
--- @include "includes/queue"

if redis.call('EXISTS', M) == 0 then
  local out = { 0, 0, 0, 0, 'none', 0, 0, 0, 0, 0, redis.call('LLEN', D), 0, 0 }
  for i = 1, #TOTALS do out[#out + 1] = 0 end
  out[#out + 1] = 0
  out[#out + 1] = 0
  return out
end
local m = redis.call('HMGET', M, 'created', 'touched', 'pause', 'in', 'out', 'live', 'hidden', 'held', 'backoff',
  'results', 'rbytes', 'flight')
local visible = 1
if m[7] == '1' then visible = 0 end
local out = { visible, redis.call('ZCARD', R), m[1], m[2], m[3], m[4], m[5], m[6], m[8] or 0, m[9] or 0,
  redis.call('LLEN', D), m[10] or 0, m[11] or 0 }
for _, n in ipairs(totals()) do out[#out + 1] = n end
out[#out + 1] = m[12] or 0
local head = redis.call('ZRANGE', R, 0, 0)[1]
local oldest = 0
if head then
  local raw = redis.call('HGET', J, head)
  if raw then oldest = cmsgpack.unpack(raw).c end
end
out[#out + 1] = oldest
return out
