--[[
  An empty, unpaused queue idle long enough goes: deleted when it has no job, no dead letter and
  no kept result counted, hidden otherwise (see ensureQueue in includes/queue-meta.lua).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] idle ms
  Returns { 1 outcome (0 kept | 1 hidden | 2 deleted), 2.. the totals of a deleted queue
  (includes/queue.lua TOTALS), for the deployment-wide totals } (replies.ts decodeGc).
]]
--- @include "includes/queue"

local function outcome(n)
  local out = { n }
  for _ = 1, #TOTALS do out[#out + 1] = 0 end
  return out
end
if redis.call('EXISTS', M) == 0 then return outcome(2) end
local m = redis.call('HMGET', M, 'touched', 'pause', 'live', 'hidden', 'ox')
if m[4] == '1' and tonumber(m[3]) > 0 then return outcome(1) end
if not (m[2] == 'none' and redis.call('ZCARD', R) == 0 and tonumber(m[5] or '0') <= 0 and now - tonumber(m[1]) >= tonumber(ARGV[4])) then
  return outcome(0)
end
if tonumber(m[3]) == 0 and redis.call('LLEN', D) == 0 and redis.call('ZCARD', T) == 0 then
  local out = { 2 }
  for _, n in ipairs(totals()) do out[#out + 1] = n end
  dropQueueKeys()
  return out
end
redis.call('HSET', M, 'hidden', 1)
return outcome(1)
