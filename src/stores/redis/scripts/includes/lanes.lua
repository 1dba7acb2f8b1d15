--[[
  Where a ready job waits (docs/scheduling.md, core/scheduling.ts). Delivery order is
  (priority, round, rank). A plain job (default priority, no group) waits in R, scored by its
  rank, exactly as before priorities existed: a queue that only ever sees plain jobs touches
  none of the keys below. Every other ready job ("ordered": a priority or a group) waits in
    O  (`o`) zset, all scores 0, members `<ord>|<id>` in lexicographic order: every ordered
       job of the queue, for QPEEK, QLEN and EXPLAIN's position;
    Z  (`z`) zset, all scores 0, two sections: `<group>\0<ord>|<id>` per group (group ''
       for ungrouped jobs with a priority), the order inside each group; and `\1<ord>|<id>` the
       head of every group that may deliver now (ready jobs and under its GROUPLIMIT), so the
       next grouped job is the first of that section: O(log n), whatever the number of groups;
    G  (`g`) hash, group -> 'ready flight last head': its ready and delivered jobs, the
       round of its last queued job, its entry in Z's head section ('' when none).
  <ord> is fixed-width hex: priority (8), round (12), rank + 2^52 (14), so lexicographic order is
  delivery order. The meta keeps `ox` (jobs in O), `sx` = 1 once the queue has had ordered jobs or a
  delivery limit (sticky while the meta lives; 0 when made, right after `pause` so a take reads
  it at once: a take that finds no 1 is a plain one and reads nothing more), `cr` the current round
  (the highest round delivered), `gf` grouped jobs in flight (the ungrouped group ''
  has flight - gf), and the policy's `rate` ('count periodMs') and `gl` mirrored from P.
  The job record keeps `p` (priority, when not the default), `g` group, `rd` round, `lg` (delivered
  under a GROUPLIMIT: its end may free a held-back job, so it wakes the queue's fetchers).
]]
--- @include "queue"

local DEFAULT_PRIORITY = 1024
-- the one check the plain path makes: a job with neither waits in R
local function ordered(job) return job.p ~= nil or job.g ~= nil end

-- The lanes' functions, built on first use: a script run that meets only plain jobs creates none
-- of their closures (each costs Redis time on every run; the plain path must not get slower).
local lanesBuilt
local function lanes()
  if lanesBuilt then return lanesBuilt end
  local MAX_ROUND = 4294967295
  local RANK_OFFSET = 4503599627370496 -- 2^52: ranks (front ranks are negative) become non-negative
  local O, Z, G = queueKey('o'), queueKey('z'), queueKey('g')
  local HEADS, HEADS_END = '[\1', '(\2'

  local function ordOf(priority, round, rank)
    return string.format('%08x%012x%014x', priority, round, rank + RANK_OFFSET)
  end
  local function priorityOf(job) return job.p or DEFAULT_PRIORITY end
  local function memberOf(id, job) return ordOf(priorityOf(job), job.rd or 0, job.k) .. '|' .. id end
  -- a plain job's place, as an ordered member would have it (take compares R's head with Z's)
  local function plainMember(id, rank) return ordOf(DEFAULT_PRIORITY, 0, rank) .. '|' .. id end
  local function idOfMember(member) return string.match(member, '|(.*)$') end

  -- the meta's GROUPLIMIT (nil: none), read once per script run (or set by a script that read it)
  local limitRead, groupLimit = false, nil
  local function limitOf()
    if not limitRead then
      groupLimit = tonumber(redis.call('HGET', M, 'gl') or '')
      limitRead = true
    end
    return groupLimit
  end
  local function setLimit(limit) limitRead, groupLimit = true, limit end

  local function groupState(g)
    local raw = redis.call('HGET', G, g)
    if not raw then return { ready = 0, flight = 0, last = 0, head = '' } end
    local ready, flight, last, head = string.match(raw, '^(%d+) (%d+) (%d+) ?(.*)$')
    return { ready = tonumber(ready), flight = tonumber(flight), last = tonumber(last), head = head }
  end

  -- the group's entry in Z's head section follows its first ready job and its GROUPLIMIT; saved
  local function settleGroup(g, st)
    local want = ''
    local limit = limitOf()
    if st.ready > 0 and (not limit or st.flight < limit) then
      local first = redis.call('ZRANGEBYLEX', Z, '[' .. g .. '\0', '(' .. g .. '\1', 'LIMIT', 0, 1)[1]
      if first then want = string.sub(first, #g + 2) end
    end
    if want ~= st.head then
      if st.head ~= '' then redis.call('ZREM', Z, '\1' .. st.head) end
      if want ~= '' then redis.call('ZADD', Z, 0, '\1' .. want) end
      st.head = want
    end
    if st.ready == 0 and st.flight == 0 then redis.call('HDEL', G, g)
    else redis.call('HSET', G, g, st.ready .. ' ' .. st.flight .. ' ' .. st.last .. ' ' .. st.head) end
  end

  -- a new grouped job's round (engine ready-jobs.ts roundFor): one past its group's queued jobs,
  -- never behind the queue's current round (the highest delivered); capped as the journal's u32
  local function roundFor(g)
    local st = groupState(g)
    local current = tonumber(redis.call('HGET', M, 'cr') or '0')
    if st.ready > 0 then return math.min(math.max(st.last + 1, current), MAX_ROUND) end
    return current
  end
  -- a grouped job left the ready lanes for delivery: the current round is the highest delivered
  local function roundDelivered(job)
    local current = tonumber(redis.call('HGET', M, 'cr') or '0')
    if (job.rd or 0) > current then redis.call('HSET', M, 'cr', job.rd) end
  end

  -- into the ordered lanes (the job is about to be 'q')
  local function laneAdd(id, job)
    local member = memberOf(id, job)
    redis.call('ZADD', O, 0, member)
    if redis.call('HINCRBY', M, 'ox', 1) == 1 then redis.call('HSET', M, 'sx', 1) end
    local g = job.g or ''
    redis.call('ZADD', Z, 0, g .. '\0' .. member)
    if job.g then
      local st = groupState(g)
      -- the highest round of its queued jobs
      if st.ready == 0 or (job.rd or 0) > st.last then st.last = job.rd or 0 end
      st.ready = st.ready + 1
      settleGroup(g, st)
    end
  end

  -- out of the ordered lanes (the job was 'q')
  local function laneRemove(id, job)
    local member = memberOf(id, job)
    if redis.call('ZREM', O, member) == 0 then return end
    redis.call('HINCRBY', M, 'ox', -1)
    local g = job.g or ''
    redis.call('ZREM', Z, g .. '\0' .. member)
    if job.g then
      local st = groupState(g)
      st.ready = st.ready - 1
      settleGroup(g, st)
    end
  end

  -- a grouped job is delivered: its group has one more in flight, the queue's round is its round
  local function groupDelivered(job)
    local st = groupState(job.g)
    st.flight = st.flight + 1
    settleGroup(job.g, st)
    redis.call('HINCRBY', M, 'gf', 1)
    roundDelivered(job)
  end

  -- a delivery of a job with a group or under a GROUPLIMIT ended (includes/job.lua endLease)
  local function limitedLeaseEnded(job)
    if job.g then
      local st = groupState(job.g)
      st.flight = math.max(0, st.flight - 1)
      settleGroup(job.g, st)
      redis.call('HINCRBY', M, 'gf', -1)
    end
    -- a freed place under a GROUPLIMIT may let a held-back job go: the queue's fetchers look again
    if job.lg or (job.g and limitOf()) then woke = true end
    job.lg = nil
  end

  -- every group's head entry again (QPOLICY changed GROUPLIMIT): O(groups)
  local function settleAllGroups()
    local all = redis.call('HGETALL', G)
    for i = 1, #all, 2 do settleGroup(all[i], groupState(all[i])) end
  end
  lanesBuilt = {
    ordOf = ordOf, priorityOf = priorityOf, memberOf = memberOf, plainMember = plainMember,
    idOfMember = idOfMember, limitOf = limitOf, setLimit = setLimit, groupState = groupState,
    laneAdd = laneAdd, roundFor = roundFor, roundDelivered = roundDelivered, laneRemove = laneRemove, groupDelivered = groupDelivered,
    limitedLeaseEnded = limitedLeaseEnded, settleAllGroups = settleAllGroups, O = O, Z = Z, G = G,
    HEADS = HEADS, HEADS_END = HEADS_END,
  }
  return lanesBuilt
end
