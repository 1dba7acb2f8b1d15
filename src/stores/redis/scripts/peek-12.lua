--[[
  The first or last queued jobs (QPEEK), in delivery order (includes/lanes.lua): R's and O's merged,
  held-back jobs included.
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] count (> 0 oldest first, < 0 newest first)
  Returns info arrays (includes/replies.lua).
]]
--- @include "includes/replies"

local count = tonumber(ARGV[4])
local n, rev = math.abs(count), count < 0
local function range(key, withScores)
  if rev and withScores then return redis.call('ZRANGE', key, 0, n - 1, 'REV', 'WITHSCORES') end
  if rev then return redis.call('ZRANGE', key, 0, n - 1, 'REV') end
  if withScores then return redis.call('ZRANGE', key, 0, n - 1, 'WITHSCORES') end
  return redis.call('ZRANGE', key, 0, n - 1)
end
local ids
if tonumber(redis.call('HGET', M, 'ox') or '0') <= 0 then
  ids = range(R, false)
else
  local L = lanes()
  local plain, ordered = range(R, true), range(L.O, false)
  ids = {}
  local i, j = 1, 1
  while #ids < n and (i <= #plain or j <= #ordered) do
    local a = plain[i] and L.plainMember(plain[i], tonumber(plain[i + 1]))
    local b = ordered[j]
    if b and (not a or (b < a) ~= rev) then
      ids[#ids + 1] = L.idOfMember(b)
      j = j + 1
    else
      ids[#ids + 1] = plain[i]
      i = i + 2
    end
  end
end
return infos(ids)
