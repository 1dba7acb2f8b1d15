--[[
  Acknowledges a job named by a dialect's reference (okq QACK, takeanumber, TaskQ).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] ref, [5] by (id, event, seq)
  Returns 1 if the job was removed (acked), else 0.
]]
--- @include "includes/remove"
--- @include "includes/ref-id"

local id = refId(ARGV[4], ARGV[5])
local job = load(id)
if not job then return 0 end
redis.call('HINCRBY', M, 'acked', 1)
remove(id, job, 'acked')
finish()
return 1
