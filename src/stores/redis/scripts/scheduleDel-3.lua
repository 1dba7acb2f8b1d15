--[[
  SCHEDULE DEL.
    KEYS[1] schedules (hash name -> JSON), [2] names (zset), [3] due (zset)
    ARGV[1] name
  Returns 1 removed, 0 unknown.
]]
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
