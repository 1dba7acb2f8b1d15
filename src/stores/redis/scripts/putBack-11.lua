--[[
  Puts jobs back in the queue (NACK, ENQUEUE, and a taken job that was never handed over).
    KEYS[1..11] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] how (nack, nack-to-back, enqueue, release), [5]... ids
  nack-to-back gives the job the queue's next rank (behind every job queued now); release
  changes no counter and may requeue an at-most-once job.
  Returns how many went back to the queue.
]]
--- @include "includes/enqueue"

local how = ARGV[4]
local moved = 0
for i = 5, #ARGV do
  local id = ARGV[i]
  local job = load(id)
  if job and job.st ~= 'q' and not held(job) and (how == 'release' or not (job.r == 0 and job.eq == 1)) then
    if how == 'nack' or how == 'nack-to-back' then job.n = job.n + 1
    elseif how == 'enqueue' and job.eq == 1 then job.ad = job.ad + 1 end
    if how == 'nack-to-back' then job.k = redis.call('HINCRBY', M, 'rank', 1) end
    requeueNow(id, job)
    moved = moved + 1
  end
end
finish()
return moved
