--[[
  One fetch's take (take-12.lua, takeMany-12.lua): up to count ready jobs, oldest rank first.
  count, lease seconds (0 = the job's RETRY), consume, ensure (make the queue known when nothing is
  taken), noteIt (EXPLAIN's fetch record), who: { client id, address, … } ('' when unnamed; the i-th
  job taken is leased to the i-th pair, the last for the rest), fetchQueues: the fetch's queue names.
  Returns take-12.lua's reply.
]]
--- @include "enqueue"
--- @include "remove"
--- @include "replies"
--- @include "fetches"
--- @include "rate"

-- a run that defers its writes (takeMany on a plain queue) reads the pause once: takes do not change it
local runMeta

local function takeJobs(count, lease, consume, ensure, noteIt, who, fetchQueues)
  local consumers = #who / 2
  -- the consumer the n-th job taken goes to
  local function consumerOf(n)
    local i = math.min(n, consumers)
    return who[2 * i - 1], who[2 * i]
  end
  local function finishTake(out)
    if noteIt and consumers > 0 and redis.call('EXISTS', M) == 1 then
      local cid, caddr = consumerOf(1)
      noteFetch(cid, caddr, fetchQueues)
      -- a run that defers its writes saves its notes once, at its end (takeMany-12.lua)
      if not deferring then saveNotes() end
    end
    return out
  end
  -- One read tells a plain queue (`sx` not 1) from one that has had ordered jobs or delivery limits
  -- (includes/lanes.lua); only the latter reads their fields.
  local meta = runMeta or redis.call('HMGET', M, 'pause', 'sx')
  if deferring then runMeta = meta end
  if meta[1] == 'out' or meta[1] == 'all' then return finishTake({ 0, 0 }) end
  local extras = meta[2] == '1'
  if extras then meta = redis.call('HMGET', M, 'pause', 'ox', 'rate', 'gl') end
  local out = { 0, 0 }
  local want = count
  -- Plain: every ready job is in R, in rank order, popped in batches as before. Otherwise `pick` gives
  -- the next job that may go, one at a time (closures are built only here: on a plain queue's take
  -- they would cost more than the rest of the run; see docs/redis.md).
  local pick, picked
  if extras and ((tonumber(meta[2] or '0') or 0) > 0 or meta[3] or meta[4]) then
    local L, RT = lanes(), rates()
    local rate = RT.parse(meta[3])
    local groupLimit = tonumber(meta[4] or '')
    L.setLimit(groupLimit)
    local tat = 0
    if rate then tat = tonumber(redis.call('HGET', M, 'tat') or '0') end
    -- the next job that may be delivered: its id, whether it waits in R, else its member of Z
    local function nextReady()
      local best, bestId, plain, raw
      local f = { 0, 0 }
      if groupLimit then f = redis.call('HMGET', M, 'flight', 'gf') end
      if not groupLimit or (tonumber(f[1] or '0') - tonumber(f[2] or '0')) < groupLimit then
        local r = redis.call('ZRANGE', R, 0, 0, 'WITHSCORES')
        if r[1] then best, bestId, plain = L.plainMember(r[1], tonumber(r[2])), r[1], true end
        local u = redis.call('ZRANGEBYLEX', L.Z, '[\0', '(\1', 'LIMIT', 0, 1)[1]
        if u then
          local m = string.sub(u, 2)
          if not best or m < best then best, bestId, plain, raw = m, L.idOfMember(m), false, u end
        end
      end
      local h = redis.call('ZRANGEBYLEX', L.Z, L.HEADS, L.HEADS_END, 'LIMIT', 0, 1)[1]
      if h then
        local m = string.sub(h, 2)
        if not best or m < best then best, bestId, plain, raw = m, L.idOfMember(m), false, h end
      end
      return bestId, plain, raw
    end
    -- { id, job } of the next job, out of its lane (nil: none may go now)
    pick = function()
      while true do
        if rate and RT.slotAt(tat, now, rate) > now then
          if nextReady() then
            out[2] = RT.slotAt(tat, now, rate)
            -- the queue's fetchers are woken at the slot by the timer run (due-12.lua)
            redis.call('ZADD', T, out[2], 'r:')
          end
          return nil
        end
        local id, plain, zMember = nextReady()
        if not id then return nil end
        local job = load(id)
        if plain then redis.call('ZREM', R, id) elseif job then L.laneRemove(id, job) end
        if job then
          job.st = 'a'
          return id, job
        end
        -- a member without a record (never expected): dropped so the loop moves on
        redis.call('ZREM', L.Z, zMember)
        redis.call('ZREM', L.O, string.sub(zMember, 2))
      end
    end
    -- a job picked is being delivered: the rate limit's slot is used, its group has one more in flight
    picked = function(job)
      if rate then
        tat = RT.tatAfter(tat, now, rate)
        redis.call('HSET', M, 'tat', RT.text(tat))
      end
      if job.g then
        if consume then L.roundDelivered(job) else L.groupDelivered(job) end
      end
      if groupLimit and not consume then job.lg = 1 end
    end
  end
  while want > 0 do
    local popped, pickedJob
    if pick then
      local id
      id, pickedJob = pick()
      popped = { id, 0 }
      if not id then popped = {} end
    else
      popped = redis.call('ZPOPMIN', R, want)
    end
    if #popped == 0 then break end
    for i = 1, #popped, 2 do
      local id = popped[i]
      local job = pickedJob or load(id)
      if job and expiresAt(job) <= now then
        -- Expired, not yet collected by a timer run: never delivered.
        redis.call('HINCRBY', M, 'expired', 1)
        remove(id, job, 'expired')
      elseif job then
        if picked then picked(job) end
        job.st = 'a'
        armRequeue(job)
        incrLater(M, 'out', 1)
        incrLater(M, 'delivered', 1)
        if lease > 0 and job.r > 0 then job.rq = now + lease * 1000 end
        out[#out + 1] = delivery(id, job, redis.call('HGET', B, id) or '')
        if consume then
          remove(id, job, 'acked')
        else
          if consumers > 0 then startLease(job, consumerOf(#out - 2)) else startLease(job, '', '') end
          store(id, job)
        end
      end
    end
    want = count - (#out - 2)
  end
  if #out > 2 then touch() elseif ensure then out[1] = ensureQueue() end
  -- fewer than asked on the plain path: its loop ended on an empty R, nothing is ready any more (a
  -- paused queue returned above); the server may block its next fetches here without a take until
  -- a wake-up (idle-queues.ts)
  if out[1] == 0 and not pick and #out - 2 < count then out[1] = 2 end
  return finishTake(out)
end
