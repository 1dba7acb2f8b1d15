--[[
  Undoes an add whose RELEASE WAIT failed, if no consumer has had the job yet
  (still held, or queued/delayed and never delivered).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] id
  Returns 1 if deleted (or already gone), 0 if it was delivered.
]]
--- @include "includes/remove"

local id = ARGV[4]
local job = load(id)
if not job then return 1 end
local undelivered = held(job) or job.eq == 0 or (job.st == 'q' and job.ad == 0 and job.n == 0)
if not undelivered then return 0 end
remove(id, job, 'deleted')
return 1
