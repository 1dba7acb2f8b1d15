--[[
  okq QACK … REDO: the job is queued ahead of every other one.
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] ref, [5] by (id, event, seq)
  Returns 1 if requeued, else 0.
]]
--- @include "includes/enqueue"
--- @include "includes/ref-id"

local id = refId(ARGV[4], ARGV[5])
local job = load(id)
if not job or held(job) then return 0 end
job.n = job.n + 1
unqueue(id, job)
ensureQueue()
job.k = redis.call('HINCRBY', M, 'front', -1)
requeueNow(id, job)
finish()
return 1
