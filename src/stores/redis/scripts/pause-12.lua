--[[
  Sets or reads the queue's pause state (QPAUSE); with '' it only makes the queue known.
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] new state (none, in, out, all) or '' (read only)
    ARGV[5], [6] who asks: client id and address ('' when the door names none), kept for EXPLAIN
  Returns { 1 the state after, 2 created (1 if the queue was created) } (replies.ts decodePause).
]]
--- @include "includes/queue-meta"

local state = ARGV[4]
local created = ensureQueue()
local before = redis.call('HGET', M, 'pause')
if state ~= '' and state ~= before then
  redis.call('HSET', M, 'pause', state)
  if state == 'none' then
    redis.call('HDEL', M, 'ps', 'pbi', 'pba')
  else
    redis.call('HSET', M, 'ps', now, 'pbi', ARGV[5] or '', 'pba', ARGV[6] or '')
  end
  touch()
  if state ~= 'out' and state ~= 'all' then woke = true end
end
finish()
return { redis.call('HGET', M, 'pause'), created }
