--- @include "queue"

-- the job id an okq/takeanumber/TaskQ reference names in this queue (by job id, event id or seq)
local function refId(ref, by)
  if by == 'event' then return redis.call('HGET', E, ref) or ref end
  if by == 'seq' then return redis.call('HGET', S, ref) or '' end
  return ref
end
