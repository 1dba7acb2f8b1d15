--[[
  Writes a schedule if it is still as the caller read it: a compare-and-set
  on its whole text (core/schedule-json.ts writes it deterministically).
  SCHEDULE SET, and a due run's progress once its job was added (the job's
  run key makes that add happen once, whichever server wins here).
    KEYS[1] schedules (hash name -> JSON), [2] names (zset, every score 0: name order),
    KEYS[3] due (zset, score = next run ms)
    ARGV[1] name, [2] the JSON the caller read ('' : there was none), [3] the new JSON,
    ARGV[4] its next run (ms), [5] the most schedules kept (MAX_SCHEDULES)
  Returns 1 written; 0 changed meanwhile (nothing written); -1 full (a new
  schedule, and MAX_SCHEDULES are kept).
]]
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (current or '') ~= ARGV[2] then return 0 end
if not current and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
return 1
