--[[
  Reply shapes shared by several scripts; replies.ts decodes them, field by field:
    info:     { 1 id, 2 seq, 3 st, 4 repl, 5 ttl, 6 createdAt, 7 delay, 8 retry, 9 nacks,
                10 additional deliveries, 11 next requeueAt, 12 wake time, 13 body, 14 event id or false,
                15 retries left (-1 unlimited), 16 awakeAt }
    delivery: { 1 id, 2 seq, 3 body, 4 nacks, 5 additional deliveries, 6 event id or false, 7 wake time }
]]
--- @include "job"

local function info(id, job)
  return { id, job.s, job.st, job.rp, job.ttl, job.c, job.dl, job.r, job.n, job.ad,
    nextRequeueAt(job), wakeAt(job), redis.call('HGET', B, id) or '', eventOf(job), job.rl, job.aw or 0 }
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
  return { id, job.s, body, job.n, job.ad, eventOf(job), wakeAt(job) }
end
