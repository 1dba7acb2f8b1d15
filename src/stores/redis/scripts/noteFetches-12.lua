--[[
  EXPLAIN's records of fetches that blocked without a take (a GETJOB on a queue this server knew
  empty: blocking.ts), sent later in one run per queue (fetch-notes.ts); each is written as the
  take would have written it when the fetch came (includes/fetches.lua).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4..] per fetch, oldest first: its time (ms), client id, address ('' when unnamed), n, then its
    n queue names
  Returns the number of fetches recorded (0 when the queue is not known: a take notes nothing then).
]]
--- @include "includes/queue"
--- @include "includes/fetches"

if redis.call('EXISTS', M) == 0 then return 0 end
local n = 0
local i = 4
while i <= #ARGV do
  local nq = tonumber(ARGV[i + 3])
  local queues = {}
  for k = 1, nq do queues[k] = ARGV[i + 3 + k] end
  now = tonumber(ARGV[i])
  noteFetch(ARGV[i + 1], ARGV[i + 2], queues, true)
  n = n + 1
  i = i + 4 + nq
end
saveNotes()
return n
