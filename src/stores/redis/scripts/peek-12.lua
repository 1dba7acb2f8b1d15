--[[
  The first or last queued jobs (QPEEK).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] count (> 0 oldest first, < 0 newest first)
  Returns info arrays (includes/replies.lua).
]]
--- @include "includes/replies"

local count = tonumber(ARGV[4])
local ids
if count > 0 then ids = redis.call('ZRANGE', R, 0, count - 1) else ids = redis.call('ZRANGE', R, 0, -count - 1, 'REV') end
return infos(ids)
