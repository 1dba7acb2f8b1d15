--[[
  The queue's counts (QLEN, okq QSTATUS, QNOTIFY's look for ready jobs).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
  Returns { 1 live, 2 ready, 3 pausedOut (0/1), 4 known (exists and not hidden) } (replies.ts decodeCounts).
]]
--- @include "includes/queue"

local m = redis.call('HMGET', M, 'live', 'pause', 'hidden', 'ox')
local p = 0
if m[2] == 'out' or m[2] == 'all' then p = 1 end
local known = 0
if m[1] and m[3] ~= '1' then known = 1 end
return { tonumber(m[1] or '0'), redis.call('ZCARD', R) + tonumber(m[4] or '0'), p, known }
