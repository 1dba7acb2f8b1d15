--[[
  Several fetches from one queue in one run: the single-queue GETJOBs a server received in one
  event-loop turn that share lease and NOACK (turn-batches.ts), in arrival order; each is take-12.lua's
  take for one consumer, so each gets what it would have got alone, one after the other.
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] lease seconds (0 = the job's RETRY), [5] consume (0/1), then per fetch: count, ensure (0/1),
    note the fetch (0/1), client id, address ('' when unnamed), n, then its n queue names
  Returns one take-12.lua reply per fetch, in order.
  A run of two fetches or more from a plain queue defers its writes to its end
  (includes/deferred.lua): a plain take reads none of them. A queue that has had ordered jobs or
  delivery limits (`sx`) writes at once: its takes read `flight`.
]]
--- @include "includes/take-jobs"

local lease, consume = tonumber(ARGV[4]), ARGV[5] == '1'
local fetches, at = 0, 6
while at <= #ARGV do
  fetches = fetches + 1
  at = at + 6 + tonumber(ARGV[at + 5])
end
if fetches > 1 then deferOnPlainQueue() end
local out = {}
local i = 6
while i <= #ARGV do
  local nq = tonumber(ARGV[i + 5])
  local fetchQueues = {}
  for k = 1, nq do fetchQueues[k] = ARGV[i + 5 + k] end
  out[#out + 1] = takeJobs(tonumber(ARGV[i]), lease, consume, ARGV[i + 1] == '1', ARGV[i + 2] == '1',
    { ARGV[i + 3], ARGV[i + 4] }, fetchQueues)
  i = i + 6 + nq
end
saveNotes()
flushWrites()
return out
