--[[
  Adds a job (ADDJOB and every dialect's add).
    KEYS[1..12] the queue's keys (includes/queue.lua)
    ARGV[1] queue, [2] now, [3] wake channel
    ARGV[4] id, [5] seq, [6] body, [7] ttl, [8] retry, [9] delay, [10] repl, [11] maxlen (0 = none),
    [12] front (0/1), [13] hasEvent (0/1), [14] event id, [15] retry budget ('' = the queue's policy's,
    else [19]; -1 = unlimited), [16] numbered (0/1: the event id is the queue's next TaskQ task number,
    as core states the rule), [17] backoff policy, text form ('' = the queue's, else none),
    [18] run time-out ms ('' = the queue's, else none), [19] the server's default retry budget,
    [20] retry-only budget (0/1: takeanumber's, a lease that runs out spends nothing),
    [21] holdUntil (0 = deliverable now; else the job is added in the wait-repl state until RELEASE,
         and a timer run deletes it at holdUntil if still held; -1 = held, bounded by its TTL only)
    [22] origin, one letter ('r' RESP, 'h' HTTP, 't' TaskQ; '' or absent = unknown: includes/job.lua)
    [23] priority ('' = the default), [24] group ('' = none), [25] idempotency key ('' = none; then
    KEYS[13] is its key, keys.ts idempotencyKey), [26] the key's TTL, seconds, [27] the schedule that
    added it ('' or absent = none)
  An idempotency key is a string `<id> <seq> <forgotten at>` with PX = its TTL; Redis's expiry
  cleans up, `forgotten at` (the broker's clock) decides. While it lives a second add is a duplicate.
  Returns { 1 created (0/1), 2 the event id or false, 3 the first job's id when a duplicate (else
  false), 4 its seq, 5 its state letter (includes/job.lua st, 'b' backing off, 'g' gone) }
  (replies.ts decodeAdd).
  Errors: ERR duplicate event, MAXLEN, PAUSED.
]]
--- @include "includes/add-job"

local reply = addJob(ARGV, KEYS[13])
finish()
return reply
