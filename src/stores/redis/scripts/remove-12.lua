--[[
  Removes jobs (ACKJOB, FASTACK, DELJOB); ACKJOB … RESULT keeps each acked job's result.
    KEYS[1..12] the queue's keys (includes/queue.lua), [13]... with a result: one result key per id
    (keys.ts Keys.result)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] reason (ack, fastack, deljob), [5] keep a result (0/1), [6] result TTL ms, [7] result bytes,
    [8]... ids
  A kept result is a hash (q queue, b bytes, c completed at, e expires at) that Redis expires after
  the TTL; its entry `x:<bytes>:<id>` in the timers zset keeps the meta's results/rbytes counts.
  Returns one flag per id, in order: 1 removed, 0 not (unknown, or named before in this run).
  The acks of one event-loop turn come as one run (turn-batches.ts): each request's ids are a slice.
  Without a result, a run of two ids or more on a plain queue defers its writes to its end
  (includes/deferred.lua; a queue that has had ordered jobs or delivery limits, `sx`, writes at
  once: ending a lease there reads `flight`).
]]
--- @include "includes/remove"

local reason = ARGV[4]
local outcome = 'deleted'
if reason == 'ack' then outcome = 'acked' end
local ttl = tonumber(ARGV[6])
local keep = ARGV[5] == '1' and reason == 'ack' and ttl > 0
local result = ARGV[7]
local removed = {}
-- ids removed in this run: their deletes may be deferred, so a second load would still find them
local gone = {}
if not keep and #ARGV > 8 then deferOnPlainQueue() end
for i = 8, #ARGV do
  local id = ARGV[i]
  local job = not gone[id] and load(id)
  removed[i - 7] = 0
  if job then
    gone[id] = true
    if reason == 'ack' then incrLater(M, 'acked', 1) end
    if keep then
      local key = KEYS[12 + i - 7]
      redis.call('DEL', key)
      redis.call('HSET', key, 'q', Q, 'b', result, 'c', now, 'e', now + ttl)
      redis.call('PEXPIRE', key, ttl)
      redis.call('ZADD', T, now + ttl, 'x:' .. #result .. ':' .. id)
      redis.call('HINCRBY', M, 'results', 1)
      redis.call('HINCRBY', M, 'rbytes', #result)
    end
    remove(id, job, outcome)
    removed[i - 7] = 1
  end
end
-- a job delivered under a GROUPLIMIT frees a place: blocked fetchers look again (includes/lanes.lua)
finish()
return removed
