--[[
  Adds several jobs of one queue in one run: the adds a server received in one event-loop turn
  (turn-batches.ts), in their order, none with an idempotency key (those go to add-12.lua).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] f, the number of fields per job; then each job's f fields: add-12.lua's ARGV[4 .. 3 + f]
  Returns one reply per job, in order: add-12.lua's reply, or its error reply (MAXLEN, PAUSED,
  duplicate event), which fails that job alone (it wrote nothing).
  A run of two jobs or more defers its writes to its end (includes/deferred.lua): one variadic
  write per key instead of one call per job and field.
]]
--- @include "includes/add-job"

local f = tonumber(ARGV[4])
-- a run of one job writes at once: deferring pays only from two jobs on (includes/deferred.lua)
if #ARGV - 4 > f then deferWrites() end
local out = {}
local a = { ARGV[1], ARGV[2], ARGV[3] }
for base = 4, #ARGV - f, f do
  for k = 1, f do a[3 + k] = ARGV[base + k] end
  out[#out + 1] = addJob(a)
end
finish()
return out
