--[[
  WAITJOB marks the job watched, so its removal is published on the gone channel.
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] id
  Returns 1 if the job is live, else 0.
]]
--- @include "includes/job"

local id = ARGV[4]
local job = load(id)
if not job then return 0 end
job.w = 1
save(id, job)
return 1
