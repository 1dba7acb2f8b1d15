--[[
  EXPLAIN's fetch records in the queue's meta (bounded, never journaled): fa/fi/fd the last fetch's
  time, client id and address, fq its queues (cmsgpack list), fr the distinct recent fetchers as a
  cmsgpack list { id, at, id, at, … } oldest first, at most MAX_RECENT_FETCHERS (core/explain.ts),
  each entry's time good to RECENT_RESOLUTION_MS.
]]
local MAX_RECENT_FETCHERS = 64
local RECENT_FETCH_WINDOW_MS = 300000

-- the recent fetchers as this run has made them: decoded once per run, written back once (saveNotes)
local recent
local recentChanged = false
-- the run's last fetch to record (fa/fi/fd/fq), written by saveNotes
local lastFetch

local function recentList()
  if recent == nil then
    local raw = redis.call('HGET', M, 'fr')
    recent = raw and cmsgpack.unpack(raw) or {}
  end
  return recent
end

-- a consumer's entry is rewritten at most once a second (a busy worker fetches far more often)
local RECENT_RESOLUTION_MS = 1000

-- the queue's last fetch (fa/fi/fd/fq) and its fetcher among the recent ones (fr), at `now`; a
-- deferred note (noteFetches-12.lua) older than the last fetch recorded leaves the last fetch as it is.
-- Kept in the run until saveNotes(): a run of many fetches decodes and encodes the list once.
local function noteFetch(cid, caddr, queues, deferred)
  if cid == '' then cid, caddr = '-', 'an unnamed client' end
  if not deferred or now >= (lastFetch and lastFetch.at or tonumber(redis.call('HGET', M, 'fa') or '0') or 0) then
    lastFetch = { at = now, cid = cid, caddr = caddr, queues = queues }
  end
  local old = recentList()
  for i = 1, #old, 2 do
    if old[i] == cid and now - old[i + 1] < RECENT_RESOLUTION_MS then return end
  end
  local kept = {}
  for i = 1, #old, 2 do
    if old[i] ~= cid then
      kept[#kept + 1] = old[i]
      kept[#kept + 1] = old[i + 1]
    end
  end
  -- the oldest entries go past the cap
  local start = 1
  if #kept / 2 >= MAX_RECENT_FETCHERS then start = #kept - 2 * (MAX_RECENT_FETCHERS - 1) + 1 end
  local fr = {}
  for i = start, #kept do fr[#fr + 1] = kept[i] end
  fr[#fr + 1] = cid
  fr[#fr + 1] = now
  recent = fr
  recentChanged = true
end

-- the run's notes, written
local function saveNotes()
  if lastFetch then
    redis.call('HSET', M, 'fa', lastFetch.at, 'fi', lastFetch.cid, 'fd', lastFetch.caddr, 'fq',
      cmsgpack.pack(lastFetch.queues))
    lastFetch = nil
  end
  if recentChanged then
    redis.call('HSET', M, 'fr', cmsgpack.pack(recent))
    recentChanged = false
  end
end

local function recentFetchers()
  local list = recentList()
  local n = 0
  for i = 2, #list, 2 do
    if now - list[i] <= RECENT_FETCH_WINDOW_MS then n = n + 1 end
  end
  return n
end
