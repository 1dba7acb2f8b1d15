--[[
  Adds several jobs of one queue in one run: the adds a server received in one event-loop turn
  (turn-batches.ts), in their order, none with an idempotency key (those go to add-12.lua).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] f, the form of the jobs that follow (add-runs.ts addManyArgv):
      0: each job is two arguments, add-12.lua's ARGV[4 .. 27] but the body joined by the unit
         separator (ASCII 31), then the body;
      else: each job is its f fields, add-12.lua's ARGV[4 .. 3 + f].
  Returns one reply per job, in order: add-12.lua's reply, or its error reply (MAXLEN, PAUSED,
  duplicate event), which fails that job alone (it wrote nothing).
  A run of two jobs or more defers its writes to its end (includes/deferred.lua): one variadic
  write per key instead of one call per job and field.
]]
--- @include "includes/add-job"

local f = tonumber(ARGV[4])
local per = f == 0 and 2 or f
-- a run of one job writes at once: deferring pays only from two jobs on (includes/deferred.lua)
if #ARGV - 4 > per then deferWrites() end
-- the 23 fields of the compact form, each possibly ''
local FIELDS = '^' .. string.rep('([^\31]*)\31', 22) .. '([^\31]*)$'
local out = {}
local a = { ARGV[1], ARGV[2], ARGV[3] }
for base = 4, #ARGV - per, per do
  if f == 0 then
    a[4], a[5], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18],
      a[19], a[20], a[21], a[22], a[23], a[24], a[25], a[26], a[27] = string.match(ARGV[base + 1], FIELDS)
    assert(a[4], 'ERR addMany: a job whose fields are not 23')
    a[6] = ARGV[base + 2]
  else
    for k = 1, f do a[3 + k] = ARGV[base + k] end
  end
  out[#out + 1] = addJob(a)
end
finish()
return out
