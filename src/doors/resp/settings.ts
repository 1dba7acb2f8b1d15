import { MAX_JOB_SIZE_LIMIT, type ServerConfig } from "../../config.js";
import { FSYNC_POLICIES, type FsyncPolicy } from "../../stores/embedded/journal/writer.js";
import { parseBytes } from "../../util/memory.js";
import { Glob } from "../../util/glob.js";
import { errorOf } from "./args.js";
import type { RespContext } from "./context.js";
import type { Reply } from "./transport/reply.js";

/** The settings CONFIG GET/SET expose, under Redis/Disque names where one exists. */
interface Setting {
  get(config: ServerConfig): string;
  /** absent: read-only at run time */
  set?(config: ServerConfig, value: string): void;
}

/** A value a setting refuses; configSet words it as Disque does. */
class InvalidArgument extends Error {}

function positiveInt(value: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) throw new InvalidArgument();
  return n;
}

function yesNo(value: string): boolean {
  const v = value.toLowerCase();
  if (v !== "yes" && v !== "no") throw new InvalidArgument();
  return v === "yes";
}

function fsyncPolicy(value: string): FsyncPolicy {
  const v = value.toLowerCase() as FsyncPolicy;
  if (!FSYNC_POLICIES.includes(v)) throw new InvalidArgument();
  return v;
}

const SETTINGS: Record<string, Setting> = {
  port: { get: (c) => String(c.port) },
  bind: { get: (c) => c.bind },
  dir: { get: (c) => c.dataDir },
  appendonly: {
    get: (c) => (c.appendOnly ? "yes" : "no"),
    set: (c, v) => {
      c.appendOnly = yesNo(v);
    },
  },
  appendfsync: {
    get: (c) => c.fsync,
    set: (c, v) => {
      c.fsync = fsyncPolicy(v);
    },
  },
  requirepass: {
    get: (c) => c.requirePass ?? "",
    set: (c, v) => {
      c.requirePass = v === "" ? undefined : v;
    },
  },
  maxclients: {
    get: (c) => String(c.maxClients),
    set: (c, v) => {
      c.maxClients = positiveInt(v);
    },
  },
  // read-only: the connections to Redis are made with it at start
  "redis-timeout": { get: (c) => String(c.redisTimeout) },
  "max-job-size": {
    get: (c) => String(c.maxJobSize),
    set: (c, v) => {
      c.maxJobSize = positiveInt(v, MAX_JOB_SIZE_LIMIT);
    },
  },
  maxmemory: {
    get: (c) => String(c.maxMemory),
    set: (c, v) => {
      const n = parseBytes(v);
      if (Number.isNaN(n)) throw new InvalidArgument();
      c.maxMemory = n;
    },
  },
  "slowlog-log-slower-than": {
    get: (c) => String(c.slowlogLogSlowerThan),
    set: (c, v) => {
      c.slowlogLogSlowerThan = integer(v, Number.MIN_SAFE_INTEGER);
    },
  },
  "slowlog-max-len": {
    get: (c) => String(c.slowlogMaxLen),
    set: (c, v) => {
      c.slowlogMaxLen = integer(v, 0);
    },
  },
  // docket has no latency monitor: LATENCY answers as Disque does with it off
  "latency-monitor-threshold": { get: () => "0" },
  "client-output-limit": {
    get: (c) => String(c.clientOutputLimit),
    set: (c, v) => {
      c.clientOutputLimit = positiveInt(v);
    },
  },
};

/** a whole number in [min, max] */
function integer(value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^-?[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw errorOf(`Invalid argument '${value}' for CONFIG SET`);
  }
  return n;
}

export function configGet(config: ServerConfig, pattern: string): Reply {
  // Redis's matcher, linear: a regex would backtrack for seconds on "**************!"
  const matcher = new Glob(pattern, true);
  const out: Reply[] = [];
  for (const [name, setting] of Object.entries(SETTINGS)) {
    if (matcher.matches(name)) out.push(name, setting.get(config));
  }
  return out;
}

export function configSet(ctx: RespContext, name: string, value: string): void {
  const setting = SETTINGS[name.toLowerCase()];
  if (!setting) throw errorOf(`Unsupported CONFIG parameter: ${name}`);
  if (!setting.set) throw errorOf(`CONFIG SET of '${name}' is not supported while running`);
  try {
    setting.set(ctx.server.config, value);
  } catch (error) {
    if (error instanceof InvalidArgument)
      throw errorOf(`Invalid argument '${value}' for CONFIG SET '${name}'`);
    throw error;
  }
  ctx.server.configChanged();
}
