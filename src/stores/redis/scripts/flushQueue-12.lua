--[[
  okq QFLUSH: every job and dead letter of the queue goes; its policy and kept results stay (a
  queue with kept results keeps a hidden meta that counts them, as idle GC leaves it).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
  Returns { 1 live jobs removed, 2.. the totals it drops (includes/queue.lua TOTALS) }
  (replies.ts decodeFlush).
]]
--- @include "includes/job"
--- @include "includes/queue-meta"

local out = { 0 }
for _, n in ipairs(totals()) do out[#out + 1] = n end
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
local results = redis.call('HMGET', M, 'results', 'rbytes')
local kept = redis.call('ZRANGEBYSCORE', T, '-inf', '+inf', 'WITHSCORES')
dropQueueKeys()
if tonumber(results[1] or '0') > 0 then
  ensureHiddenQueue()
  redis.call('HSET', M, 'results', results[1], 'rbytes', results[2] or 0)
  for i = 1, #kept, 2 do
    if string.sub(kept[i], 1, 2) == 'x:' then redis.call('ZADD', T, kept[i + 1], kept[i]) end
  end
end
out[1] = removed
return out
