--[[
  The queue's stats (QSTAT, INFO, QSCAN).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
  Returns { 1 visible (0: unknown or hidden), 2 len, 3 created, 4 touched, 5 pause, 6 in, 7 out, 8 live,
  9 held (wait-repl jobs), 10 backing off, 11 dead letters, 12 results kept, 13 their bytes,
  14.. the totals (includes/queue.lua TOTALS), then in flight (delivered, EXPLAIN's leases) and the
  createdAt of the job at the head of the ready list (0: none), the rate limit ('count periodMs' or
  false), when its next slot is if later than now (0: free now), named groups with jobs queued or in
  flight, ready jobs held back by GROUPLIMIT (ungrouped jobs are the group '') } (replies.ts decodeStat).
  O(1) on a plain queue; the groups' counts are O(groups).
]]
--- @include "includes/lanes"
--- @include "includes/rate"

if redis.call('EXISTS', M) == 0 then
  local out = { 0, 0, 0, 0, 'none', 0, 0, 0, 0, 0, redis.call('LLEN', D), 0, 0 }
  for i = 1, #TOTALS do out[#out + 1] = 0 end
  for _ = 1, 6 do out[#out + 1] = 0 end
  return out
end
local m = redis.call('HMGET', M, 'created', 'touched', 'pause', 'in', 'out', 'live', 'hidden', 'held', 'backoff',
  'results', 'rbytes', 'flight', 'ox', 'rate', 'tat', 'gl', 'gf')
local orderedReady = tonumber(m[13] or '0')
local visible = 1
if m[7] == '1' then visible = 0 end
local out = { visible, redis.call('ZCARD', R) + orderedReady, m[1], m[2], m[3], m[4], m[5], m[6], m[8] or 0, m[9] or 0,
  redis.call('LLEN', D), m[10] or 0, m[11] or 0 }
for _, n in ipairs(totals()) do out[#out + 1] = n end
out[#out + 1] = m[12] or 0
local head = redis.call('ZRANGE', R, 0, 0, 'WITHSCORES')
local L = lanes()
if orderedReady > 0 then
  -- the head of the delivery order: R's or O's, whichever comes first (includes/lanes.lua)
  local first = redis.call('ZRANGE', L.O, 0, 0)[1]
  if first and (not head[1] or first < L.plainMember(head[1], tonumber(head[2]))) then head = { L.idOfMember(first) } end
end
head = head[1]
local oldest = 0
if head then
  local raw = redis.call('HGET', J, head)
  if raw then oldest = cmsgpack.unpack(raw).c end
end
out[#out + 1] = oldest
local RT = rates()
local rate = RT.parse(m[14])
out[#out + 1] = m[14] or false
local limitedUntil = 0
if rate then
  local slot = RT.slotAt(tonumber(m[15] or '0'), now, rate)
  if slot > now then limitedUntil = slot end
end
out[#out + 1] = limitedUntil
-- groups and held-back jobs: the named groups' states, and the ungrouped group ''
local limit = tonumber(m[16] or '')
local ungroupedReady = redis.call('ZCARD', R) + redis.call('ZLEXCOUNT', L.Z, '[\0', '(\1')
local ungroupedFlight = tonumber(m[12] or '0') - tonumber(m[17] or '0')
local groups, heldBack = 0, 0
if limit and ungroupedFlight >= limit then heldBack = ungroupedReady end
local states = redis.call('HGETALL', L.G)
for i = 1, #states, 2 do
  local st = L.groupState(states[i])
  groups = groups + 1
  if limit and st.flight >= limit then heldBack = heldBack + st.ready end
end
out[#out + 1] = groups
out[#out + 1] = heldBack
return out
