--[[
  Reply shapes shared by several scripts; replies.ts decodes them, field by field:
    info:     { 1 id, 2 seq, 3 st ('b' while backing off), 4 repl, 5 ttl, 6 createdAt, 7 delay, 8 retry, 9 nacks,
                10 additional deliveries, 11 next requeueAt, 12 wake time, 13 body, 14 event id or false,
                15 retries left (-1 unlimited), 16 awakeAt (a delay's or a backoff's end), 17 retry budget
                (-1 unlimited), 18 backoff policy or false, 19 run time-out ms (0 none),
                20 attempts ({ at, cause, error } each) or false, 21 origin letter or false (includes/job.lua),
                22 priority or false (the default), 23 group or false, 24 idempotency key or false,
                25 when the key is forgotten (ms) or false, 26 the schedule that added it or false }
    delivery: { 1 id, 2 seq, 3 body, 4 nacks, 5 additional deliveries, 6 event id or false, 7 wake time,
                8 retries left (-1: no budget), 9 run time-out ms (0 none), 10 priority or false,
                11 group or false (10 and 11 absent on a plain job) }
]]
--- @include "job"

local function info(id, job)
  local st = job.st
  if job.bk == 1 then st = 'b' end
  return { id, job.s, st, job.rp, job.ttl, job.c, job.dl, job.r, job.n, job.ad,
    nextRequeueAt(job), wakeAt(job), redis.call('HGET', B, id) or '', eventOf(job), job.rl, job.aw or 0,
    job.rs, job.bp or false, job.rt or 0, job.at or false, job.o or false, job.p or false, job.g or false,
    job.ik or false, job.ke or false, job.sc or false }
end
-- info entries of the ids that are still live jobs, in order (QPEEK, JSCAN)
local function infos(ids)
  local out = {}
  for _, id in ipairs(ids) do
    local job = load(id)
    if job then out[#out + 1] = info(id, job) end
  end
  return out
end
local function delivery(id, job, body)
  -- a plain job's delivery stays as it was: 10 and 11 only for a job with a priority or a group
  if job.p == nil and job.g == nil then
    return { id, job.s, body, job.n, job.ad, eventOf(job), wakeAt(job), job.rl, job.rt or 0 }
  end
  return { id, job.s, body, job.n, job.ad, eventOf(job), wakeAt(job), job.rl, job.rt or 0, job.p or false,
    job.g or false }
end
