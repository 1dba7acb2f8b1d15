--[[
  The jobs' records (SHOW).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4]... ids
  Returns one entry per id: an info array (includes/replies.lua) or false for an unknown id.
]]
--- @include "includes/replies"

local out = {}
for i = 4, #ARGV do
  local job = load(ARGV[i])
  if job then out[#out + 1] = info(ARGV[i], job) else out[#out + 1] = false end
end
return out
