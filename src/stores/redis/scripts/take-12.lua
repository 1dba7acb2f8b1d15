--[[
  Takes up to count ready jobs, oldest rank first (GETJOB and every dialect's fetch).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] count, [5] lease seconds (0 = the job's RETRY), [6] consume (0/1),
    [7] ensure (0/1: when nothing is taken, make the queue known, as a blocking GETJOB does)
  Returns { 1 created (1 if the queue was created), 2.. delivery, delivery, … } (replies.ts decodeTake;
  delivery shape in includes/replies.lua).
]]
--- @include "includes/enqueue"
--- @include "includes/remove"
--- @include "includes/replies"

local count, lease, consume, ensure = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1', ARGV[7] == '1'
if pausedOut() then return { 0 } end
local out = { 0 }
local want = count
while want > 0 do
  local popped = redis.call('ZPOPMIN', R, want)
  if #popped == 0 then break end
  for i = 1, #popped, 2 do
    local id = popped[i]
    local job = load(id)
    if job and expiresAt(job) <= now then
      -- Expired, not yet collected by a timer run: never delivered.
      redis.call('HINCRBY', M, 'expired', 1)
      remove(id, job, 'expired')
    elseif job then
      job.st = 'a'
      armRequeue(job)
      redis.call('HINCRBY', M, 'out', 1)
      redis.call('HINCRBY', M, 'delivered', 1)
      if lease > 0 and job.r > 0 then job.rq = now + lease * 1000 end
      out[#out + 1] = delivery(id, job, redis.call('HGET', B, id) or '')
      if consume then
        remove(id, job, 'acked')
      else
        store(id, job)
      end
    end
  end
  want = count - (#out - 1)
end
if #out > 1 then touch() elseif ensure then out[1] = ensureQueue() end
return out
