--[[
  An empty, unpaused queue idle long enough goes: deleted when it has no job and no dead
  letter, hidden otherwise (see ensureQueue in includes/queue-meta.lua).
    KEYS[1..11] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] idle ms
  Returns { 1 outcome (0 kept | 1 hidden | 2 deleted), 2 added, 3 delivered, 4 acked, 5 expired,
  6 requeued }: the totals of a deleted queue, for the deployment-wide totals (replies.ts decodeGc).
]]
--- @include "includes/queue"

if redis.call('EXISTS', M) == 0 then return { 2, 0, 0, 0, 0, 0 } end
local m = redis.call('HMGET', M, 'touched', 'pause', 'live', 'hidden', 'added', 'delivered', 'acked', 'expired', 'requeued')
if m[4] == '1' and tonumber(m[3]) > 0 then return { 1, 0, 0, 0, 0, 0 } end
if not (m[2] == 'none' and redis.call('ZCARD', R) == 0 and now - tonumber(m[1]) >= tonumber(ARGV[4])) then
  return { 0, 0, 0, 0, 0, 0 }
end
if tonumber(m[3]) == 0 and redis.call('LLEN', D) == 0 then
  dropQueueKeys()
  return { 2, m[5], m[6], m[7], m[8], m[9] }
end
redis.call('HSET', M, 'hidden', 1)
return { 1, 0, 0, 0, 0, 0 }
