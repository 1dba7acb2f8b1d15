--[[
  Removes jobs (ACKJOB, FASTACK, DELJOB).
    KEYS[1..11] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] reason (ack, fastack, deljob), [5]... ids
  Returns how many were removed.
]]
--- @include "includes/remove"

local reason = ARGV[4]
local outcome = 'deleted'
if reason == 'ack' then outcome = 'acked' end
local removed = 0
for i = 5, #ARGV do
  local id = ARGV[i]
  local job = load(id)
  if job then
    if reason == 'ack' then redis.call('HINCRBY', M, 'acked', 1) end
    remove(id, job, outcome)
    removed = removed + 1
  end
end
return removed
