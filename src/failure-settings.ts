import { defaultConfig } from "./config.js";
import { MAX_COUNT, MAX_TTL_SECONDS } from "./core/limits.js";
import { formatBackoff, parseBackoff } from "./core/failures.js";
import { InvalidSetting, integerIn, type Setting } from "./setting-kinds.js";

/**
 * The server's failure settings (docs/failures.md, "Where the settings come
 * from"): rows of the one settings table (settings.ts). CONFIG SET applies
 * them from the next add or failure (Store.configure → configureFailures).
 */

const defaults = defaultConfig();

function backoffText(value: string): string {
  try {
    return formatBackoff(parseBackoff(value));
  } catch {
    throw new InvalidSetting();
  }
}

export const FAILURE_SETTINGS: readonly Setting[] = [
  {
    key: "defaultRetries",
    flag: "--default-retries <n>",
    kind: "integer",
    min: -1,
    max: MAX_COUNT,
    shown: String(defaults.defaultRetries),
    config: "default-retries",
    get: (c) => String(c.defaultRetries),
    set: (c, v) => {
      c.defaultRetries = integerIn(v, -1, MAX_COUNT);
    },
    help: "retries of a job whose add and queue set none; -1 = unlimited (docs/failures.md)",
  },
  {
    key: "defaultBackoff",
    flag: "--default-backoff <policy>",
    kind: "text",
    shown: defaults.defaultBackoff,
    config: "default-backoff",
    get: (c) => c.defaultBackoff,
    set: (c, v) => {
      c.defaultBackoff = backoffText(v);
    },
    help: "`NACK … BACKOFF` of a job without a policy: `fixed:<ms>`, `exponential:<ms>[:<max>][:jitter]`",
  },
  {
    key: "deadLetterCap",
    flag: "--dead-letter-cap <n>",
    kind: "integer",
    min: 0,
    max: MAX_COUNT,
    shown: String(defaults.deadLetterCap),
    config: "dead-letter-cap",
    get: (c) => String(c.deadLetterCap),
    set: (c, v) => {
      c.deadLetterCap = integerIn(v, 0, MAX_COUNT);
    },
    help: "dead letters kept per queue (unless `QPOLICY … DEADLETTER-CAP`); the oldest go first",
  },
  {
    key: "resultTtl",
    flag: "--result-ttl <seconds>",
    kind: "integer",
    min: 1,
    max: MAX_TTL_SECONDS,
    shown: String(defaults.resultTtl),
    config: "result-ttl",
    get: (c) => String(c.resultTtl),
    set: (c, v) => {
      c.resultTtl = integerIn(v, 1, MAX_TTL_SECONDS);
    },
    help: "seconds a job's result (`ACKJOB … RESULT`) is kept after its ack",
  },
];
