--[[
  takeanumber RETRY: the job is queued again, or dead-lettered once its retries are spent.
    KEYS[1..11] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] id
  Returns 'requeued', 'deadlettered' or false (unknown or held).
]]
--- @include "includes/enqueue"
--- @include "includes/remove"

local id = ARGV[4]
local job = load(id)
if not job or held(job) then return false end
if job.rl == 0 then
  forget(id, job)
  job.st = 'd'
  job.dr = 'retries exhausted'
  job.da = now
  save(id, job)
  redis.call('RPUSH', D, id)
  publishGone(id, job, 'deleted')
  return 'deadlettered'
end
if job.rl > 0 then job.rl = job.rl - 1 end
job.n = job.n + 1
unqueue(id, job)
requeueNow(id, job)
finish()
return 'requeued'
