import { MAX_JOB_SIZE_LIMIT, type ServerConfig } from "../../config.js";
import { parseBytes } from "../../util/memory.js";
import { Glob } from "../../util/glob.js";
import { errorOf } from "./args.js";
import type { RespContext } from "./context.js";
import type { Reply } from "./reply.js";

/** The settings CONFIG GET/SET expose, under Redis/Disque names where one exists. */
interface Setting {
  get(config: ServerConfig): string;
  /** absent: read-only at run time */
  set?(config: ServerConfig, value: string): void;
}

function positiveInt(value: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw errorOf(`Invalid argument '${value}' for CONFIG SET`);
  }
  return n;
}

const SETTINGS: Record<string, Setting> = {
  port: { get: (c) => String(c.port) },
  bind: { get: (c) => c.bind },
  dir: { get: (c) => c.dataDir },
  appendonly: { get: () => "yes" },
  appendfsync: { get: (c) => c.fsync },
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
      if (Number.isNaN(n)) throw errorOf(`Invalid argument '${v}' for CONFIG SET`);
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
  setting.set(ctx.server.config, value);
  ctx.server.configChanged();
}
