--[[
  The frame of every queue script. A script runs atomically on the node that owns its
  queue's slot and touches only the keys it declares: the twelve keys of one queue (keys.ts), and the lanes
  of includes/lanes.lua, derived from R's name (same tag, same slot) when a job needs them.
    KEYS[1] meta (hash), [2] ready (zset by rank), [3] timers (zset by wake time), [4] all (zset by seq),
    [5] jobs (hash id -> cmsgpack record), [6] bodies, [7] events (event id -> id), [8] dead (list),
    [9] ids (id -> queue), [10] seqs (seq -> id), [11] TaskQ task number, [12] failure policy (hash)
    ARGV[1] queue name, [2] now (ms, from the broker's clock), [3] wake channel, [4]... per script
]]
--- @include "deferred"

local M, R, T, A, J, B, E, D, I, S, N, P = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12]
local Q = ARGV[1]
local now = tonumber(ARGV[2])
local chan = ARGV[3]
local woke = false

local function touch() setOnceLater(M, 'touched', now) end
-- A take or remove run of several requests defers its writes (includes/deferred.lua) only on a
-- plain queue: one that has had ordered jobs or delivery limits (`sx`) reads `flight` when a
-- lease ends, so it writes at once.
local function deferOnPlainQueue()
  if redis.call('HGET', M, 'sx') ~= '1' then deferWrites() end
end
-- one wake-up per script run, for this queue's blocked clients on every server; deferred writes first
local function finish()
  flushWrites()
  if woke then redis.call('PUBLISH', chan, Q) end
end
-- both the live and the dead keys of the queue (QFLUSH, idle queue collection); the policy stays
-- another key of this queue, by its letter (keys.ts): R's name with its letter swapped
local function queueKey(letter) return string.sub(R, 1, #R - #Q - 2) .. letter .. ':' .. Q end
local function dropQueueKeys()
  redis.call('DEL', M, R, T, A, J, B, E, D, queueKey('o'), queueKey('z'), queueKey('g'))
end
-- the queue's lifetime totals, in the order replies.ts TOTALS names them (folded when a queue goes)
local TOTALS = { 'added', 'delivered', 'acked', 'expired', 'requeued', 'retried', 'deadlettered', 'timedout', 'evicted' }
local function totals()
  local t = redis.call('HMGET', M, unpack(TOTALS))
  for i = 1, #TOTALS do t[i] = tonumber(t[i] or '0') or 0 end
  return t
end
