--[[
  Writes a batch run defers to its end. A run that adds many jobs (addMany-12.lua) would make
  about eighteen redis.call per job, and each call costs Redis about as much as the write it
  makes (argument objects, the command lookup, number formatting). Deferred, each key gets one
  variadic HSET, ZADD, HDEL or ZREM for the whole run, and each counter one HINCRBY.

  Off unless the run calls deferWrites(): every other script writes at once, exactly as before.
  While on, the run must not read what it deferred: it calls flushWrites() before such a read
  (addJob before its MAXLEN count of R), and finish() calls it before the script returns. A key's
  writes and deletes keep their order: a delete after a pending write to the same key (or the
  reverse) flushes first.
  Lua tables cost Redis time too (about a microsecond each), so there are few: one flat
  argument list per key written.
]]
local deferring = false
-- per key: { field, value, ... } for HSET, in call order (a field set twice keeps its last value)
local laterSets = {}
-- per key: { score, member, ... } for ZADD, in call order (a member added twice keeps its last score)
local laterAdds = {}
-- per key: { field, ... } for HDEL, { member, ... } for ZREM
local laterHdels = {}
local laterZrems = {}
-- per key: field -> the sum of its increments
local laterIncrs = {}
-- per key: field -> the value this run has given it (bumpLater, setOnceLater), one HSET per key
local laterFields = {}

local function deferWrites() deferring = true end
local flushWrites

-- appended to the key's flat argument list (for HSET or ZADD)
local function appendLater(lists, key, a, b)
  local list = lists[key]
  if not list then
    lists[key] = { a, b }
    return
  end
  local n = #list
  list[n + 1] = a
  list[n + 2] = b
end

local function appendOneLater(lists, key, a)
  local list = lists[key]
  if list then list[#list + 1] = a else lists[key] = { a } end
end

-- HSET of a field each job writes once (a job's record, body, index entries)
local function setLater(key, field, value)
  if not deferring then
    redis.call('HSET', key, field, value)
    return
  end
  if laterHdels[key] then flushWrites() end
  appendLater(laterSets, key, field, value)
end

local function hdelLater(key, field)
  if not deferring then
    redis.call('HDEL', key, field)
    return
  end
  if laterSets[key] then flushWrites() end
  appendOneLater(laterHdels, key, field)
end

-- HSET of a field many jobs of the run write (the queue's `touched`): written once, its last value
local function setOnceLater(key, field, value)
  if not deferring then
    redis.call('HSET', key, field, value)
    return
  end
  local fields = laterFields[key]
  if not fields then
    fields = {}
    laterFields[key] = fields
  end
  fields[field] = value
end

local function zaddLater(key, score, member)
  if not deferring then
    redis.call('ZADD', key, score, member)
    return
  end
  if laterZrems[key] then flushWrites() end
  appendLater(laterAdds, key, score, member)
end

local function zremLater(key, member)
  if not deferring then
    redis.call('ZREM', key, member)
    return
  end
  if laterAdds[key] then flushWrites() end
  appendOneLater(laterZrems, key, member)
end

local function incrLater(key, field, by)
  if not deferring then
    redis.call('HINCRBY', key, field, by)
    return
  end
  local incrs = laterIncrs[key]
  if not incrs then
    incrs = {}
    laterIncrs[key] = incrs
  end
  incrs[field] = (incrs[field] or 0) + by
end

-- HINCRBY that returns the new value; deferred, the counter is read once per run
local function bumpLater(key, field, by)
  if not deferring then return redis.call('HINCRBY', key, field, by) end
  local fields = laterFields[key]
  local value = fields and fields[field]
  if value == nil then value = tonumber(redis.call('HGET', key, field) or '0') end
  value = value + by
  setOnceLater(key, field, value)
  return value
end

-- unpack's stack is bounded (LUAI_MAXCSTACK, 8000): long argument lists go in chunks (even: pairs stay whole)
local CHUNK = 1000
local function callPairs(command, key, list)
  local n = #list
  if n <= CHUNK then
    redis.call(command, key, unpack(list))
    return
  end
  for from = 1, n, CHUNK do
    redis.call(command, key, unpack(list, from, math.min(from + CHUNK - 1, n)))
  end
end

flushWrites = function()
  if not deferring then return end
  for key, list in pairs(laterSets) do callPairs('HSET', key, list) end
  for key, list in pairs(laterAdds) do callPairs('ZADD', key, list) end
  for key, fields in pairs(laterFields) do
    local list = {}
    for field, value in pairs(fields) do
      list[#list + 1] = field
      list[#list + 1] = value
    end
    callPairs('HSET', key, list)
  end
  for key, incrs in pairs(laterIncrs) do
    for field, by in pairs(incrs) do redis.call('HINCRBY', key, field, by) end
  end
  for key, list in pairs(laterHdels) do callPairs('HDEL', key, list) end
  for key, list in pairs(laterZrems) do callPairs('ZREM', key, list) end
  laterSets, laterAdds, laterIncrs, laterFields, laterHdels, laterZrems = {}, {}, {}, {}, {}, {}
end
