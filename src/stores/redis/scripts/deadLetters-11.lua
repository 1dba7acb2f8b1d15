--[[
  The oldest dead letters.
    KEYS[1..11] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] count
  Returns { 1 id, 2 seq, 3 body, 4 event id or false, 5 reason, 6 dead since (ms) } each
  (replies.ts decodeDeadLetter).
]]
--- @include "includes/job"

local ids = redis.call('LRANGE', D, 0, tonumber(ARGV[4]) - 1)
local out = {}
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', J, id)
  if raw then
    local job = cmsgpack.unpack(raw)
    out[#out + 1] = { id, job.s, redis.call('HGET', B, id) or '', eventOf(job), job.dr, job.da }
  end
end
return out
