--[[
  The queue's stats (QSTAT, INFO, QSCAN).
    KEYS[1..11] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
  Returns { 1 visible (0: unknown or hidden), 2 len, 3 created, 4 touched, 5 pause, 6 in, 7 out, 8 live,
  9 added, 10 delivered, 11 acked, 12 expired, 13 requeued, 14 held (wait-repl jobs) } (replies.ts decodeStat).
]]
--- @include "includes/queue"

if redis.call('EXISTS', M) == 0 then return { 0, 0, 0, 0, 'none', 0, 0, 0, 0, 0, 0, 0, 0, 0 } end
local m = redis.call('HMGET', M, 'created', 'touched', 'pause', 'in', 'out', 'live', 'added', 'delivered', 'acked', 'expired', 'requeued', 'hidden', 'held')
local visible = 1
if m[12] == '1' then visible = 0 end
return { visible, redis.call('ZCARD', R), m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[13] or 0 }
