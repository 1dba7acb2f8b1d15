--[[
  Postpones a job's next re-queue by its RETRY (WORKING).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] id
  Returns the seconds the re-queue was postponed by. Errors: NOJOB, TOOLATE.
]]
--- @include "includes/enqueue"

local id = ARGV[4]
local job = load(id)
if not job then return redis.error_reply('NOJOB Job not known in the context of this node.') end
if now - job.c > job.ttl * 1000 / 2 then
  return redis.error_reply('TOOLATE Half of job TTL already elapsed, you are no longer allowed to postpone the next delivery.')
end
if job.r == 0 then return 0 end
unqueue(id, job)
job.rq = now + job.r * 1000
if job.lt then job.lw = now end
store(id, job)
return job.r
