--[[
  Which queue holds each job, by id or by sequence number (one hash tag's indexes; directory.ts).
    KEYS[1] ids (id -> queue), [2] seqs (seq -> id)
    ARGV[1] 'id' or 'seq', [2]... refs
  Returns one entry per ref: { 1 id, 2 queue } or false.
]]
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if ARGV[1] == 'seq' then id = redis.call('HGET', KEYS[2], ARGV[i]) end
  if id then
    local q = redis.call('HGET', KEYS[1], id)
    if q then out[#out + 1] = { id, q } else out[#out + 1] = false end
  else
    out[#out + 1] = false
  end
end
return out
