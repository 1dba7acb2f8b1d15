--[[
  takeanumber RETRY: a failure (includes/failure.lua) that queues the job again at its own place
  at once, or dead-letters it once its retries are spent.
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] id, [5] the server's dead-letter cap
  Returns 'requeued', 'deadlettered' or false (unknown or held).
]]
--- @include "includes/failure"

local id = ARGV[4]
local job = load(id)
if not job or held(job) then return false end
local outcome = fail(id, job, { cause = 'nack', err = '', lease = false, back = false, said = false,
  defaultCap = ARGV[5] })
finish()
if outcome == 'deadlettered' then return 'deadlettered' end
return 'requeued'
