--[[
  JSCAN's look at one queue: live jobs by sequence number.
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] from, [5] to (excluded), [6] limit
  Returns { 1 info arrays of the first `limit` live jobs with from <= seq < to (includes/replies.lua),
  2 the first seq >= to (0: none) } (replies.ts decodeScan).
]]
--- @include "includes/replies"

local before = '(' .. ARGV[5]
local ids = redis.call('ZRANGE', A, ARGV[4], before, 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[6]))
local after = redis.call('ZRANGE', A, ARGV[5], '+inf', 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
local beyond = 0
if after[2] then beyond = tonumber(after[2]) end
return { infos(ids), beyond }
