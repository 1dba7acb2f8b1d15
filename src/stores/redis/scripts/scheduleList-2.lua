--[[
  One page of SCHEDULE LIST: schedules in name order (byte order) after a name.
    KEYS[1] schedules (hash name -> JSON), [2] names (zset, every score 0)
    ARGV[1] the name to list after ('' : from the first), [2] how many at most
  Returns { name, JSON, name, JSON, … }.
]]
local from = '-'
if ARGV[1] ~= '' then from = '(' .. ARGV[1] end
local names = redis.call('ZRANGEBYLEX', KEYS[2], from, '+', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, name in ipairs(names) do
  local json = redis.call('HGET', KEYS[1], name)
  if json then
    out[#out + 1] = name
    out[#out + 1] = json
  end
end
return out
