--[[
  The queue's failure policy (QPOLICY): read, or replaced as a whole.
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] 'get', or 'set' then [5] retry budget, [6] backoff (text form), [7] run time-out ms,
    [8] dead-letter cap ('' = not set); a lower cap applies at once (the oldest dead letters go)
  Returns { 1 retry budget, 2 backoff, 3 run time-out, 4 dead-letter cap } (false: not set)
  (replies.ts decodePolicy).
]]
--- @include "includes/failure"

local FIELDS = { 'rs', 'bp', 'rt', 'cap' }
if ARGV[4] == 'set' then
  redis.call('DEL', P)
  for i, field in ipairs(FIELDS) do
    if ARGV[4 + i] ~= '' then redis.call('HSET', P, field, ARGV[4 + i]) end
  end
  if ARGV[8] ~= '' then evictDeadLetters(ARGV[8]) end
end
return redis.call('HMGET', P, unpack(FIELDS))
