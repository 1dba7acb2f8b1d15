--[[
  EXPLAIN's facts of one job (core/explain.ts ExplainCause order; "done" is read by the broker first).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] id
  Returns { 1 cause, 2 until, 3 attempt, 4 error, 5 lease client id, 6 its address, 7 leased at,
  8 last WORKING, 9 position, 10 ready, 11 pause, 12 paused since, 13 paused by id, 14 its address,
  15 recent fetchers, 16 last fetch at, 17 its client id, 18 its address, 19 its queues (list),
  20 dead reason, 21 dead at, 22 group (group-limit; '' ungrouped), 23 GROUPLIMIT, 24 rate limit
  ('count periodMs', rate-limited; 2 is then its next slot) } with false where a fact does not apply
  (replies.ts decodeExplain). A ready job is held back by its group's GROUPLIMIT before the queue's
  rate limit counts (includes/lanes.lua, includes/rate.lua).
]]
--- @include "includes/job"
--- @include "includes/rate"
--- @include "includes/queue-meta"
--- @include "includes/fetches"

local out = { 'unknown', false, false, false, false, false, false, false, false, false, false, false, false,
  false, false, false, false, false, false, false, false, false, false, false }
local raw = redis.call('HGET', J, ARGV[4])
if not raw then return out end
local job = cmsgpack.unpack(raw)

local function lastAttempt()
  out[3] = (job.n or 0) + (job.ad or 0)
  local attempts = job.at or {}
  local last = attempts[#attempts]
  if last and last[3] and last[3] ~= '' then out[4] = last[3] end
end

if job.st == 'd' then
  out[1] = 'dead'
  lastAttempt()
  out[20] = job.dr or false
  out[21] = job.da or false
elseif job.st == 'w' then
  out[1] = 'wait-repl'
elseif job.st == 'q' then
  -- its place in the delivery order (includes/lanes.lua): R's and O's jobs ahead of it
  local id, ahead = ARGV[4], 0
  local orderedReady = tonumber(redis.call('HGET', M, 'ox') or '0')
  local L = lanes()
  if not ordered(job) then
    ahead = redis.call('ZRANK', R, id) or 0
    if orderedReady > 0 then ahead = ahead + redis.call('ZLEXCOUNT', L.O, '-', '(' .. L.plainMember(id, job.k)) end
  else
    ahead = redis.call('ZRANK', L.O, L.memberOf(id, job)) or 0
    local p = L.priorityOf(job)
    if p > DEFAULT_PRIORITY or (p == DEFAULT_PRIORITY and (job.rd or 0) > 0) then
      ahead = ahead + redis.call('ZCARD', R)
    elseif p == DEFAULT_PRIORITY then
      ahead = ahead + redis.call('ZCOUNT', R, '-inf', '(' .. job.k)
    end
  end
  out[9] = ahead + 1
  out[10] = redis.call('ZCARD', R) + orderedReady
  if pausedOut() then
    local m = redis.call('HMGET', M, 'pause', 'ps', 'pbi', 'pba')
    out[1] = 'paused'
    out[11] = m[1]
    out[12] = tonumber(m[2] or '') or false
    out[13] = m[3] or false
    out[14] = m[4] or false
  else
    local limits = redis.call('HMGET', M, 'gl', 'rate', 'tat', 'flight', 'gf')
    local limit = tonumber(limits[1] or '')
    local inFlight
    if limit and job.g then inFlight = L.groupState(job.g).flight
    elseif limit then inFlight = tonumber(limits[4] or '0') - tonumber(limits[5] or '0') end
    local rate = rates().parse(limits[2])
    local slot = rate and rates().slotAt(tonumber(limits[3] or '0'), now, rate)
    if limit and inFlight >= limit then
      out[1] = 'group-limit'
      out[22] = job.g or ''
      out[23] = limit
      return out
    end
    if slot and slot > now then
      out[1] = 'rate-limited'
      out[2] = slot
      out[24] = limits[2]
      return out
    end
    local m = redis.call('HMGET', M, 'fa', 'fi', 'fd', 'fq')
    out[1] = 'ready'
    out[15] = recentFetchers()
    if m[1] then
      out[16] = tonumber(m[1])
      out[17] = m[2]
      out[18] = m[3]
      out[19] = cmsgpack.unpack(m[4])
    end
  end
elseif job.bk == 1 then
  out[1] = 'backoff'
  out[2] = job.aw
  lastAttempt()
elseif not job.lt and job.aw ~= 0 then
  out[1] = 'delayed'
  out[2] = job.aw
else
  -- delivered (or DEQUEUEd): leased until its re-queue time (0: at-most-once, never re-queued)
  out[1] = 'leased'
  out[2] = nextRequeueAt(job)
  out[5] = job.lc or false
  out[6] = job.la or false
  out[7] = job.lt or false
  if job.lw and job.lw ~= 0 then out[8] = job.lw end
end
return out
