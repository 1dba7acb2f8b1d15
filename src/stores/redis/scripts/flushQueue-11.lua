--[[
  okq QFLUSH: every job and dead letter of the queue goes.
    KEYS[1..11] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
  Returns { 1 live jobs removed, 2 added, 3 delivered, 4 acked, 5 expired, 6 requeued }: the totals it
  drops (replies.ts decodeDroppedTotals).
]]
--- @include "includes/job"

local totals = redis.call('HMGET', M, 'added', 'delivered', 'acked', 'expired', 'requeued')
local removed = 0
local all = redis.call('HGETALL', J)
for i = 1, #all, 2 do
  local job = cmsgpack.unpack(all[i + 1])
  redis.call('HDEL', I, all[i])
  if job.st ~= 'd' then
    redis.call('HDEL', S, job.s)
    removed = removed + 1
    publishGone(all[i], job, 'deleted')
  end
end
dropQueueKeys()
return { removed, totals[1] or 0, totals[2] or 0, totals[3] or 0, totals[4] or 0, totals[5] or 0 }
