import type { PauseState } from "../../core/contract.js";
import type { Consumer, ExplainCause, ExplainFacts } from "../../core/explain.js";
import { formatRateLimit } from "../../core/scheduling.js";
import { decodeRate } from "./scheduling.js";
import { list, num, str, type Reply } from "./script.js";

/** a Lua false (absent fact) arrives as null */
function present(reply: Reply | undefined): boolean {
  return reply !== null && reply !== undefined;
}

function consumer(id: Reply | undefined, addr: Reply | undefined): Consumer | null {
  const cid = str(id);
  return present(id) && cid !== "" ? { id: cid, addr: str(addr) } : null;
}

/** explain-12.lua's reply (field order in its header) → the facts */
export function decodeExplain(id: string, queue: string, reply: Reply, now: number): ExplainFacts {
  const r = list(reply);
  const cause = str(r[0]) as ExplainCause;
  if (cause === "unknown") return { id, cause, observedAt: now };
  const facts: ExplainFacts = { id, cause, observedAt: now, queue };
  switch (cause) {
    case "dead":
      facts.attempt = num(r[2]);
      if (present(r[3])) facts.error = str(r[3]);
      facts.deadReason = str(r[19]);
      facts.deadAt = num(r[20]);
      break;
    case "backoff":
      facts.until = num(r[1]);
      facts.attempt = num(r[2]);
      if (present(r[3])) facts.error = str(r[3]);
      break;
    case "delayed":
      facts.until = num(r[1]);
      break;
    case "leased":
      facts.until = num(r[1]);
      facts.leasedTo = consumer(r[4], r[5]);
      if (present(r[6])) facts.leasedAt = num(r[6]);
      facts.lastWorkingAt = present(r[7]) ? num(r[7]) : null;
      break;
    case "paused":
      facts.position = num(r[8]);
      facts.ready = num(r[9]);
      facts.pause = str(r[10]) as PauseState;
      facts.pausedSince = present(r[11]) ? num(r[11]) : null;
      facts.pausedBy = consumer(r[12], r[13]);
      break;
    case "group-limit":
      facts.position = num(r[8]);
      facts.ready = num(r[9]);
      facts.group = str(r[21]);
      facts.groupLimit = num(r[22]);
      break;
    case "rate-limited": {
      facts.position = num(r[8]);
      facts.ready = num(r[9]);
      facts.until = num(r[1]);
      const rate = decodeRate(r[23]);
      if (rate !== undefined) facts.rateLimit = formatRateLimit(rate);
      break;
    }
    case "ready":
      facts.position = num(r[8]);
      facts.ready = num(r[9]);
      facts.recentFetchers = num(r[14]);
      facts.lastFetch = present(r[15])
        ? {
            at: num(r[15]),
            consumer: { id: str(r[16]), addr: str(r[17]) },
            queues: list(r[18]).map((q) => str(q)),
          }
        : null;
      break;
    default:
      break;
  }
  return facts;
}
