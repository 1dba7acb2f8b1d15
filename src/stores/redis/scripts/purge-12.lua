--[[
  Drops dead letters: the oldest, or these ids (DEADPURGE).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] 'oldest' then [5] count, or 'ids' then [5]... ids
  Returns how many were dropped.
]]
--- @include "includes/failure"

local dropped = 0
if ARGV[4] == 'oldest' then
  for _ = 1, tonumber(ARGV[5]) do
    local id = redis.call('LPOP', D)
    if not id then break end
    dropDeadLetter(id)
    dropped = dropped + 1
  end
else
  for i = 5, #ARGV do
    if redis.call('LREM', D, 1, ARGV[i]) == 1 then
      dropDeadLetter(ARGV[i])
      dropped = dropped + 1
    end
  end
end
return dropped
