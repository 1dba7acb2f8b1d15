--[[
  Dead letters: the oldest, or these ids (DEADLETTERS, DEADLETTER id).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] 'oldest' then [5] the first's index, [6] count; or 'ids' then [5]... ids
  Returns { 1 id, 2 seq, 3 body, 4 event id or false, 5 reason, 6 dead since (ms), 7 retry budget,
  8 attempts ({ at, cause, error } each) or false } each, for the ids that are dead letters here
  (replies.ts decodeDeadLetter).
]]
--- @include "includes/job"

local ids
if ARGV[4] == 'oldest' then
  ids = redis.call('LRANGE', D, tonumber(ARGV[5]), tonumber(ARGV[5]) + tonumber(ARGV[6]) - 1)
else
  ids = {}
  for i = 5, #ARGV do ids[#ids + 1] = ARGV[i] end
end
local out = {}
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', J, id)
  if raw then
    local job = cmsgpack.unpack(raw)
    if job.st == 'd' then
      out[#out + 1] = { id, job.s, redis.call('HGET', B, id) or '', eventOf(job), job.dr, job.da, job.rs,
        job.at or false }
    end
  end
end
return out
