--[[
  Takes up to count ready jobs, oldest rank first (GETJOB and every dialect's fetch).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] count, [5] lease seconds (0 = the job's RETRY), [6] consume (0/1),
    [7] ensure (0/1: when nothing is taken, make the queue known, as a blocking GETJOB does)
    [8] note the fetch (0/1: EXPLAIN's fetch record, includes/fetches.lua), [9] n consumers, then n pairs
    (client id, address; '' when unnamed): the i-th job taken is leased to the i-th (the last for the rest),
    then the fetch's queue names (at most MAX_FETCH_QUEUES_KEPT)
  Delivery order and limits: includes/lanes.lua (priorities, rounds, GROUPLIMIT), includes/rate.lua.
  Returns { 1 created (1 if the queue was made known, so it has no ready job; 2 if fewer than count were
  taken because no ready job is left at all, unpaused, plain (not ordered, no limits); else 0), 2 the rate limit's next slot when it held ready jobs
  back (0: none), 3.. delivery, delivery, … } (replies.ts decodeTake; delivery shape in includes/replies.lua).
]]
--- @include "includes/take-jobs"

local consumers = tonumber(ARGV[9])
local who, fetchQueues = {}, {}
for i = 10, 9 + 2 * consumers do who[#who + 1] = ARGV[i] end
for i = 10 + 2 * consumers, #ARGV do fetchQueues[#fetchQueues + 1] = ARGV[i] end
return takeJobs(tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6] == '1', ARGV[7] == '1', ARGV[8] == '1', who,
  fetchQueues)
