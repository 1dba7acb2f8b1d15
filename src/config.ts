import type { FailureDefaults } from "./core/contract.js";
import { DEFAULT_FAILURES, formatBackoff, parseBackoff } from "./core/failures.js";
import { DEFAULT_REDIS_TIMEOUT_MS } from "./core/limits.js";
import { FSYNC_POLICIES, type FsyncPolicy } from "./stores/embedded/journal/writer.js";
import { defaultMaxMemory } from "./util/memory.js";

/** Every server setting, with the defaults of DESIGN.md. */
export interface ServerConfig {
  /** RESP port (0 = ephemeral, for tests) */
  port: number;
  bind: string;
  dataDir: string;
  requirePass: string | undefined;
  /** largest job body, bytes */
  maxJobSize: number;
  maxClients: number;
  /** unsent output a client may accumulate before it is disconnected, bytes */
  clientOutputLimit: number;
  /** the server-wide memory bound (job data + client buffers), bytes; 0 = none (docs/resp.md) */
  maxMemory: number;
  /** SLOWLOG keeps commands that ran at least this long, µs (negative: none, 0: all) */
  slowlogLogSlowerThan: number;
  /** SLOWLOG keeps at most this many commands */
  slowlogMaxLen: number;
  /** longest inline (telnet) request line, bytes */
  maxInlineBytes: number;
  /** most arguments in one request */
  maxMultibulkLength: number;
  /** HTTP/JSON door (0 = ephemeral, for tests) */
  httpPort: number;
  httpBind: string;
  /** false: no HTTP door at all (--no-http) */
  http: boolean;
  /** DEBUG FLUSHALL and friends */
  debugCommands: boolean;
  /** TaskQ text protocol port; null = off (7979 is TaskQ's conventional port; 0 = ephemeral) */
  taskqPort: number | null;
  /** when write replies wait for the disk: every write (group commit), once a second, or never */
  fsync: FsyncPolicy;
  /**
   * Disque's `appendonly` (CONFIG SET at run time): false = the journal is
   * still written but never fsynced, as with fsync "no" (docs/disque.md)
   */
  appendOnly: boolean;
  /** start even if a journal file is damaged in the middle, skipping the damaged records */
  repair: boolean;
  /** the journal is compacted once it is this big and twice the live data, bytes */
  compactMinBytes: number;
  /** Redis store: one URL = standalone Redis, several = Redis Cluster nodes; empty = embedded store */
  redis: string[];
  /** treat a single --redis URL as a Redis Cluster node */
  redisCluster: boolean;
  /** Redis Sentinels ("host:port") that name the master (with redisMasterName); excludes `redis` */
  redisSentinel: string[];
  /** the master's name in the sentinels' configuration */
  redisMasterName: string | undefined;
  /** prefix of every Redis key docket writes (several deployments can share one Redis) */
  redisPrefix: string;
  /** ms a command waits for Redis before the client gets -TRYAGAIN (docs/redis.md, "During an outage") */
  redisTimeout: number;
  /** PEM certificate and key: with both, the TLS ports listen and the HTTP door speaks HTTPS only */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** PEM CA: clients of every TLS door must present a certificate it signed */
  tlsCa: string | undefined;
  /** RESP over TLS, besides the plain --port (Redis 6's scheme); null = off */
  tlsPort: number | null;
  /** TaskQ over TLS (with or without the plain --taskq-port); null = off */
  taskqTlsPort: number | null;
  /** the retry budget of a job whose add and queue give none; -1 = unlimited (docs/failures.md) */
  defaultRetries: number;
  /** NACK … BACKOFF of a job with no policy of its own, in the text form (core/failures.ts) */
  defaultBackoff: string;
  /** dead letters kept per queue without a cap of its own; beyond it the oldest are evicted */
  deadLetterCap: number;
  /** seconds a job's result (ACKJOB … RESULT) is kept after the ack */
  resultTtl: number;
}

export const MAX_JOB_SIZE_LIMIT = 512 * 1024 * 1024;

export function defaultConfig(): ServerConfig {
  return {
    port: 7711,
    bind: "127.0.0.1",
    dataDir: "./docket-data",
    requirePass: undefined,
    maxJobSize: 16 * 1024 * 1024,
    maxClients: 10_000,
    clientOutputLimit: 64 * 1024 * 1024,
    maxMemory: defaultMaxMemory(),
    slowlogLogSlowerThan: 10_000,
    slowlogMaxLen: 128,
    maxInlineBytes: 64 * 1024,
    maxMultibulkLength: 1024 * 1024,
    httpPort: 7712,
    httpBind: "127.0.0.1",
    http: true,
    debugCommands: true,
    taskqPort: null,
    fsync: "always",
    appendOnly: true,
    repair: false,
    compactMinBytes: 64 * 1024 * 1024,
    redis: [],
    redisCluster: false,
    redisSentinel: [],
    redisMasterName: undefined,
    redisPrefix: "docket",
    redisTimeout: DEFAULT_REDIS_TIMEOUT_MS,
    tlsCert: undefined,
    tlsKey: undefined,
    tlsCa: undefined,
    tlsPort: null,
    taskqTlsPort: null,
    defaultRetries: DEFAULT_FAILURES.retryBudget,
    defaultBackoff: formatBackoff(DEFAULT_FAILURES.backoff),
    deadLetterCap: DEFAULT_FAILURES.deadLetterCap,
    resultTtl: DEFAULT_FAILURES.resultTtlMs / 1000,
  };
}

/** The store's failure settings (Broker.configureFailures) from the server's. */
export function failureDefaults(config: ServerConfig): FailureDefaults {
  return {
    retryBudget: config.defaultRetries,
    backoff: parseBackoff(config.defaultBackoff),
    deadLetterCap: config.deadLetterCap,
    resultTtlMs: config.resultTtl * 1000,
  };
}

/** The journal's fsync policy in force: the configured one, or none while appendonly is off. */
export function effectiveFsync(config: ServerConfig): FsyncPolicy {
  return config.appendOnly ? config.fsync : "no";
}

/**
 * Refuses settings that cannot run. `checkRanges` is the settings table's
 * range check (settings.ts passes it: the table is built from this module's defaults).
 */
export function checkConfig(config: ServerConfig, checkRanges: (config: ServerConfig) => void): void {
  const port = (name: string, value: number) => {
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      throw new Error(`${name} must be between 0 and 65535, got ${value}`);
    }
  };
  port("port", config.port);
  port("http-port", config.httpPort);
  if (config.taskqPort !== null) port("taskq-port", config.taskqPort);
  if (config.tlsPort !== null) port("tls-port", config.tlsPort);
  if (config.taskqTlsPort !== null) port("taskq-tls-port", config.taskqTlsPort);
  checkTls(config);
  // the integer settings with a range: checked from the settings table (settings.ts)
  checkRanges(config);
  if (!Number.isSafeInteger(config.maxMemory) || config.maxMemory < 0) {
    throw new Error(`maxmemory must be a whole number of bytes (0 = no bound), got ${config.maxMemory}`);
  }
  if (!FSYNC_POLICIES.includes(config.fsync)) {
    throw new Error(`fsync must be one of ${FSYNC_POLICIES.join(", ")}, got ${String(config.fsync)}`);
  }
  if (config.dataDir === "") throw new Error("data-dir must not be empty");
  try {
    parseBackoff(config.defaultBackoff);
  } catch (error) {
    throw new Error(`default-backoff: ${(error as Error).message}`);
  }
  for (const url of config.redis) {
    if (!/^(redis:\/\/)?[^\s/]+(:[0-9]+)?(\/[0-9]*)?$/.test(url)) {
      throw new Error(`redis must be redis://host:port URLs, got ${url}`);
    }
  }
  if (config.redisSentinel.length > 0) {
    if (config.redis.length > 0 || config.redisCluster)
      throw new Error("redis-sentinel excludes redis and redis-cluster");
    if (!config.redisMasterName) throw new Error("redis-sentinel needs redis-master-name");
    for (const address of config.redisSentinel) {
      if (!/^[^\s/:]+:[0-9]+$/.test(address)) {
        throw new Error(`redis-sentinel must be host:port addresses, got ${address}`);
      }
    }
  } else if (config.redisMasterName !== undefined) {
    throw new Error("redis-master-name needs redis-sentinel");
  }
  if (config.redisPrefix === "" || /[{}\s]/.test(config.redisPrefix)) {
    throw new Error("redis-prefix must be non-empty, without braces or spaces");
  }
}

function checkTls(config: ServerConfig): void {
  const certified = config.tlsCert !== undefined && config.tlsKey !== undefined;
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new Error("tls-cert and tls-key go together");
  }
  if (!certified && (config.tlsPort !== null || config.taskqTlsPort !== null || config.tlsCa !== undefined)) {
    throw new Error("tls-port, taskq-tls-port and tls-ca need tls-cert and tls-key");
  }
}
