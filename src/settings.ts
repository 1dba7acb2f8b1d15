import { checkConfig, defaultConfig, MAX_JOB_SIZE_LIMIT, type ServerConfig } from "./config.js";
import { MAX_REDIS_TIMEOUT_MS } from "./core/limits.js";
import { FSYNC_POLICIES } from "./stores/embedded/journal/writer.js";
import { parseBytes } from "./util/memory.js";
import { FAILURE_SETTINGS } from "./failure-settings.js";
import { InvalidSetting, fsyncPolicy, positiveInt, signedInt, yesNo, type Setting } from "./setting-kinds.js";

export { InvalidSetting, type Setting, type SettingKind } from "./setting-kinds.js";

/**
 * The one table of server settings: each one's ServerConfig field, CLI
 * flag, kind, default as the docs show it, range, CONFIG GET/SET name (and
 * whether CONFIG SET may change it while running), and help. It drives the
 * `serve` flags (cli/main.ts), CONFIG GET/SET (doors/resp/settings.ts) and
 * README's generated flag table (test/docs/settings.test.ts keeps it current).
 */

const defaults = defaultConfig();
const MIB = 1024 * 1024;
const mib = (bytes: number) => `${bytes} (${bytes / MIB} MiB)`;

export const SETTINGS: readonly Setting[] = [
  {
    key: "port",
    flag: "--port <port>",
    kind: "integer",
    shown: String(defaults.port),
    config: "port",
    get: (c) => String(c.port),
    help: "RESP port",
  },
  {
    key: "bind",
    flag: "--bind <address>",
    kind: "text",
    shown: defaults.bind,
    config: "bind",
    get: (c) => c.bind,
    help: "address to listen on",
  },
  {
    key: "dataDir",
    flag: "--data-dir <dir>",
    kind: "text",
    shown: defaults.dataDir,
    config: "dir",
    get: (c) => c.dataDir,
    help: "where the journal lives",
  },
  {
    key: "appendOnly",
    flag: undefined,
    kind: "switch",
    shown: "yes",
    config: "appendonly",
    get: (c) => (c.appendOnly ? "yes" : "no"),
    set: (c, v) => {
      c.appendOnly = yesNo(v);
    },
    help: "no: the journal is still written but never fsynced, as with fsync no",
  },
  {
    key: "fsync",
    flag: "--fsync <policy>",
    kind: "choice",
    choices: FSYNC_POLICIES,
    shown: defaults.fsync,
    config: "appendfsync",
    get: (c) => c.fsync,
    set: (c, v) => {
      c.fsync = fsyncPolicy(v);
    },
    help: "when write replies wait for the disk (group commit); see docs/persistence.md",
  },
  {
    key: "requirePass",
    flag: "--requirepass <password>",
    kind: "text",
    shown: "none",
    config: "requirepass",
    get: (c) => c.requirePass ?? "",
    set: (c, v) => {
      c.requirePass = v === "" ? undefined : v;
    },
    help: "clients must `AUTH` first",
  },
  {
    key: undefined,
    flag: "--requirepass-file <path>",
    kind: "text",
    shown: "none",
    help: "the password is this file's first line (or set `DOCKET_PASSWORD`): not in `ps`",
  },
  {
    key: "maxJobSize",
    flag: "--max-job-size <bytes>",
    kind: "integer",
    min: 1,
    max: MAX_JOB_SIZE_LIMIT,
    shown: mib(defaults.maxJobSize),
    config: "max-job-size",
    get: (c) => String(c.maxJobSize),
    set: (c, v) => {
      c.maxJobSize = positiveInt(v, MAX_JOB_SIZE_LIMIT);
    },
    help: "largest job body; at most 512 MiB",
  },
  {
    key: "maxClients",
    flag: "--max-clients <n>",
    kind: "integer",
    min: 1,
    shown: String(defaults.maxClients),
    config: "maxclients",
    get: (c) => String(c.maxClients),
    set: (c, v) => {
      c.maxClients = positiveInt(v);
    },
    help: "simultaneous connections; the next one gets `-ERR max number of clients reached`",
  },
  {
    key: "clientOutputLimit",
    flag: "--client-output-limit <bytes>",
    kind: "integer",
    min: 1,
    shown: mib(defaults.clientOutputLimit),
    config: "client-output-limit",
    get: (c) => String(c.clientOutputLimit),
    set: (c, v) => {
      c.clientOutputLimit = positiveInt(v);
    },
    help: "unsent output a client may pile up before it is disconnected",
  },
  {
    key: "maxMemory",
    flag: "--maxmemory <bytes>",
    kind: "bytes",
    shown: "≤ half the memory",
    config: "maxmemory",
    get: (c) => String(c.maxMemory),
    set: (c, v) => {
      const n = parseBytes(v);
      if (Number.isNaN(n)) throw new InvalidSetting();
      c.maxMemory = n;
    },
    help: "job data + client buffers; above it adds get `-OOM`; 0 = none (docs/resp.md)",
  },
  {
    key: "slowlogLogSlowerThan",
    flag: undefined,
    kind: "integer",
    shown: String(defaults.slowlogLogSlowerThan),
    config: "slowlog-log-slower-than",
    get: (c) => String(c.slowlogLogSlowerThan),
    set: (c, v) => {
      c.slowlogLogSlowerThan = signedInt(v, Number.MIN_SAFE_INTEGER);
    },
    help: "SLOWLOG keeps commands that ran at least this long, µs (negative: none, 0: all)",
  },
  {
    key: "slowlogMaxLen",
    flag: undefined,
    kind: "integer",
    shown: String(defaults.slowlogMaxLen),
    config: "slowlog-max-len",
    get: (c) => String(c.slowlogMaxLen),
    set: (c, v) => {
      c.slowlogMaxLen = signedInt(v, 0);
    },
    help: "SLOWLOG keeps at most this many commands",
  },
  {
    key: undefined,
    flag: undefined,
    kind: "integer",
    shown: "0",
    config: "latency-monitor-threshold",
    // docket has no latency monitor: LATENCY answers as Disque does with it off
    get: () => "0",
    help: "always 0: docket has no latency monitor",
  },
  {
    key: "httpPort",
    flag: "--http-port <port>",
    kind: "integer",
    shown: String(defaults.httpPort),
    help: "HTTP/JSON port (native API, emq, TaskQ, `/metrics`); 0 picks a free port",
  },
  {
    key: "httpBind",
    flag: "--http-bind <address>",
    kind: "text",
    shown: defaults.httpBind,
    help: "address the HTTP door listens on",
  },
  { key: "http", flag: "--no-http", kind: "negated", shown: "", help: "no HTTP door" },
  {
    key: "debugCommands",
    flag: "--no-debug-commands",
    kind: "negated",
    shown: "",
    help: "refuse `DEBUG FLUSHALL`",
  },
  {
    key: "taskqPort",
    flag: "--taskq-port <port>",
    kind: "port",
    shown: "off",
    help: "serve the TaskQ text protocol on this port (TaskQ's conventional port is 7979)",
  },
  {
    key: "repair",
    flag: "--repair",
    kind: "switch",
    shown: "",
    help: "start even if a data file is missing, truncated or damaged; logs what it drops",
  },
  {
    key: "compactMinBytes",
    flag: "--compact-min-bytes <bytes>",
    kind: "integer",
    min: 1,
    shown: mib(defaults.compactMinBytes),
    help: "compact the journal once it is this big and twice the live data",
  },
  {
    key: "redis",
    flag: "--redis <url...>",
    kind: "list",
    shown: "off",
    help: "jobs live in Redis: one URL standalone, several a Cluster (docs/redis.md)",
  },
  {
    key: "redisTimeout",
    flag: "--redis-timeout <ms>",
    kind: "integer",
    min: 1,
    max: MAX_REDIS_TIMEOUT_MS,
    shown: String(defaults.redisTimeout),
    // read-only: the connections to Redis are made with it at start
    config: "redis-timeout",
    get: (c) => String(c.redisTimeout),
    help: "ms a command waits for Redis before -TRYAGAIN (docs/redis.md)",
  },
  {
    key: "redisCluster",
    flag: "--redis-cluster",
    kind: "switch",
    shown: "",
    help: "the single `--redis` URL is a Redis Cluster seed node",
  },
  {
    key: "redisPrefix",
    flag: "--redis-prefix <prefix>",
    kind: "text",
    shown: defaults.redisPrefix,
    help: "prefix of every Redis key (deployments sharing one Redis use different ones)",
  },
  {
    key: "redisSentinel",
    flag: "--redis-sentinel <a,b>",
    kind: "list",
    shown: "off",
    help: "`host:port` sentinels that name the Redis master (instead of `--redis`)",
  },
  {
    key: "redisMasterName",
    flag: "--redis-master-name <name>",
    kind: "text",
    shown: "",
    help: "the master's name in the sentinels' `sentinel monitor` line",
  },
  {
    key: "tlsCert",
    flag: "--tls-cert <path>",
    kind: "text",
    shown: "none",
    help: "PEM certificate for the TLS ports; with it the HTTP door is HTTPS only",
  },
  {
    key: "tlsKey",
    flag: "--tls-key <path>",
    kind: "text",
    shown: "none",
    help: "PEM private key of `--tls-cert`",
  },
  {
    key: "tlsCa",
    flag: "--tls-ca <path>",
    kind: "text",
    shown: "none",
    help: "PEM CA: TLS clients must present a certificate it signed",
  },
  {
    key: "tlsPort",
    flag: "--tls-port <port>",
    kind: "port",
    shown: "off",
    help: "RESP over TLS on this port too (Redis 6's scheme; docs/resp.md)",
  },
  {
    key: "taskqTlsPort",
    flag: "--taskq-tls-port <port>",
    kind: "port",
    shown: "off",
    help: "TaskQ text protocol over TLS on this port",
  },
  ...FAILURE_SETTINGS,
];

/** The integer settings with a minimum: each in its range, or an error naming its flag. */
function checkRanges(config: ServerConfig): void {
  for (const setting of SETTINGS) {
    if (setting.kind !== "integer" || setting.min === undefined || setting.key === undefined) continue;
    const value = config[setting.key] as number;
    const max = setting.max ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isInteger(value) || value < setting.min || value > max) {
      const name = setting.flag!.split(" ")[0]!.slice(2);
      throw new Error(`${name} must be an integer between ${setting.min} and ${max}, got ${value}`);
    }
  }
}

/** Refuses settings that cannot run: the table's ranges and the rules between settings (config.ts). */
export function checkSettings(config: ServerConfig): void {
  checkConfig(config, checkRanges);
}
