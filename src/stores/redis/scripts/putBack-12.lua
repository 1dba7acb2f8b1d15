--[[
  Puts jobs back in the queue (NACK, ENQUEUE, and a taken job that was never handed over).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] how (nack, nack-to-back, enqueue, release), [5] NACK … DELAY ms (-1: none),
    [6] NACK … BACKOFF (0/1), [7] error text, [8] cause (nack, timeout), [9] NACK … RETRIES (-1: none),
    [10] the server's default backoff (text form), [11] the server's dead-letter cap,
    [12] the NACK says anything docket adds (0/1: core/failures.ts recordsAttempt),
    [13]... pairs (id, jitter draw in [0, 1))
  A NACK is a failure (includes/failure.lua): it may wait out a backoff or dead-letter the job.
  nack-to-back gives the job the queue's next rank (behind every job queued now); release
  changes no counter and may requeue an at-most-once job.
  Returns how many were put back or failed (dead-lettered ones included).
]]
--- @include "includes/failure"

local how = ARGV[4]
local nacking = how == 'nack' or how == 'nack-to-back'
local f = { cause = ARGV[8], err = ARGV[7], lease = false, back = how == 'nack-to-back',
  backoff = ARGV[6] == '1', defaultBackoff = ARGV[10], defaultCap = ARGV[11], said = ARGV[12] == '1' }
if tonumber(ARGV[5]) >= 0 then f.delayMs = tonumber(ARGV[5]) end
if tonumber(ARGV[9]) >= 0 then f.retries = tonumber(ARGV[9]) end
local moved = 0
for i = 13, #ARGV - 1, 2 do
  local id = ARGV[i]
  local job = load(id)
  -- a job waiting out a backoff is not being worked on: a late NACK spends nothing
  if job and job.st ~= 'q' and not held(job) and (how == 'release' or not (job.r == 0 and job.eq == 1))
    and not (nacking and job.bk == 1) then
    if nacking then
      f.draw = tonumber(ARGV[i + 1])
      fail(id, job, f)
    else
      if how == 'enqueue' and job.eq == 1 then job.ad = job.ad + 1 end
      requeueNow(id, job)
    end
    moved = moved + 1
  end
end
finish()
return moved
