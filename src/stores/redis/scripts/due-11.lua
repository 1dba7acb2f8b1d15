--[[
  Runs the queue's due timers: delays end, leases re-queue, TTLs expire, wait-repl orphans go.
    KEYS[1..11] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] limit (most timers run)
  Returns { 1 processed, 2 the next timer (ms) or -1 } (replies.ts decodeDue).
]]
--- @include "includes/enqueue"
--- @include "includes/remove"

local limit = tonumber(ARGV[4])
local due = redis.call('ZRANGEBYSCORE', T, '-inf', now, 'LIMIT', 0, limit)
for _, id in ipairs(due) do
  local job = load(id)
  if not job then
    redis.call('ZREM', T, id)
  elseif held(job) then
    -- an orphan of an add whose server died before RELEASE: its producer was never acknowledged
    if (job.hw ~= 0 and job.hw <= now) or expiresAt(job) <= now then remove(id, job, 'deleted')
    else schedule(id, job) end
  elseif expiresAt(job) <= now then
    redis.call('HINCRBY', M, 'expired', 1)
    remove(id, job, 'expired')
  else
    if job.aw ~= 0 and job.aw <= now then
      job.aw = 0
      enqueue(id, job)
    elseif job.st ~= 'q' and job.rq ~= 0 and job.rq <= now then
      job.aw = 0
      if job.eq == 1 then
        job.ad = job.ad + 1
        redis.call('HINCRBY', M, 'requeued', 1)
      end
      enqueue(id, job)
    end
    store(id, job)
  end
end
finish()
local first = redis.call('ZRANGE', T, 0, 0, 'WITHSCORES')
if #first == 0 then return { #due, -1 } end
return { #due, first[2] }
