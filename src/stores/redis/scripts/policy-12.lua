--[[
  The queue's failure policy (QPOLICY): read, or replaced as a whole.
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] 'get', or 'set' then [5] retry budget, [6] backoff (text form), [7] run time-out ms,
    [8] dead-letter cap ('' = not set); a lower cap applies at once (the oldest dead letters go),
    [9] rate limit ('count periodMs'), [10] GROUPLIMIT; both mirrored into the meta, where take reads
    them (includes/lanes.lua), and a changed GROUPLIMIT settles every group's head at once
  Returns { 1 retry budget, 2 backoff, 3 run time-out, 4 dead-letter cap, 5 rate, 6 GROUPLIMIT }
  (false: not set)
  (replies.ts decodePolicy).
]]
--- @include "includes/failure"

local FIELDS = { 'rs', 'bp', 'rt', 'cap', 'rate', 'gl' }
if ARGV[4] == 'set' then
  redis.call('DEL', P)
  for i, field in ipairs(FIELDS) do
    if (ARGV[4 + i] or '') ~= '' then redis.call('HSET', P, field, ARGV[4 + i]) end
  end
  if ARGV[8] ~= '' then evictDeadLetters(ARGV[8]) end
  if redis.call('EXISTS', M) == 1 then
    local before = redis.call('HGET', M, 'gl')
    for _, field in ipairs({ 'rate', 'gl' }) do
      local value = redis.call('HGET', P, field)
      if value then redis.call('HSET', M, field, value, 'sx', 1) else redis.call('HDEL', M, field) end
    end
    local after = redis.call('HGET', M, 'gl')
    if before ~= after then
      local L = lanes()
      L.setLimit(tonumber(after or ''))
      L.settleAllGroups()
    end
    -- looser limits may let waiting jobs go
    woke = true
    finish()
  end
end
return redis.call('HMGET', P, unpack(FIELDS))
