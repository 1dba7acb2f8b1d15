--[[
  The second step of a REPLICATE n > 1 add, run after WAIT confirmed the add on n-1 replicas:
  the wait-repl job becomes queued (or delayed).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] id
  Returns 1 if released, 0 if it is no longer held.
]]
--- @include "includes/enqueue"

local id = ARGV[4]
local job = load(id)
if not job or not held(job) then return 0 end
job.hw = nil
redis.call('HINCRBY', M, 'held', -1)
job.st = 'a'
if job.aw == 0 then enqueue(id, job) end
store(id, job)
finish()
return 1
