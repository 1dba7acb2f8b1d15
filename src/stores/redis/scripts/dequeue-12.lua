--[[
  Takes queued jobs out of the ready list (DEQUEUE).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4]... ids
  Returns how many left the ready list.
]]
--- @include "includes/enqueue"

local moved = 0
for i = 4, #ARGV do
  local id = ARGV[i]
  local job = load(id)
  if job and job.st == 'q' then
    job.rq = nextRequeueAt(job)
    unqueue(id, job)
    store(id, job)
    moved = moved + 1
  end
end
return moved
