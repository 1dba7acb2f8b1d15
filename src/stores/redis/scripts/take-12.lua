--[[
  Takes up to count ready jobs, oldest rank first (GETJOB and every dialect's fetch).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] count, [5] lease seconds (0 = the job's RETRY), [6] consume (0/1),
    [7] ensure (0/1: when nothing is taken, make the queue known, as a blocking GETJOB does)
    [8] note the fetch (0/1: EXPLAIN's fetch record, includes/fetches.lua), [9] n consumers, then n pairs
    (client id, address; '' when unnamed): the i-th job taken is leased to the i-th (the last for the rest),
    then the fetch's queue names (at most MAX_FETCH_QUEUES_KEPT)
  Returns { 1 created (1 if the queue was created), 2.. delivery, delivery, … } (replies.ts decodeTake;
  delivery shape in includes/replies.lua).
]]
--- @include "includes/enqueue"
--- @include "includes/remove"
--- @include "includes/replies"
--- @include "includes/fetches"

local count, lease, consume, ensure = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1', ARGV[7] == '1'
local noteIt, consumers = ARGV[8] == '1', tonumber(ARGV[9])
local fetchQueues = {}
for i = 10 + 2 * consumers, #ARGV do fetchQueues[#fetchQueues + 1] = ARGV[i] end
-- the consumer the n-th job taken goes to
local function consumerOf(n)
  local i = math.min(n, consumers)
  return ARGV[8 + 2 * i], ARGV[9 + 2 * i]
end
local function finishTake(out)
  if noteIt and consumers > 0 and redis.call('EXISTS', M) == 1 then
    local cid, caddr = consumerOf(1)
    noteFetch(cid, caddr, fetchQueues)
  end
  return out
end
if pausedOut() then return finishTake({ 0 }) end
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
        if consumers > 0 then startLease(job, consumerOf(#out - 1)) else startLease(job, '', '') end
        store(id, job)
      end
    end
  end
  want = count - (#out - 1)
end
if #out > 1 then touch() elseif ensure then out[1] = ensureQueue() end
return finishTake(out)
