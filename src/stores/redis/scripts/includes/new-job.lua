--- @include "queue"

-- a new job's body and index entries, counted live and added (ADD, REDRIVE)
local function indexNewJob(id, seq, body)
  setLater(B, id, body)
  setLater(I, id, Q)
  setLater(S, seq, id)
  zaddLater(A, seq, id)
  incrLater(M, 'live', 1)
  incrLater(M, 'added', 1)
end
