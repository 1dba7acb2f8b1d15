import { InvalidSetting, SETTINGS, type Setting } from "../../settings.js";
import type { ServerConfig } from "../../config.js";
import { Glob } from "../../util/glob.js";
import { errorOf } from "./args.js";
import type { RespContext } from "./context.js";
import type { Reply } from "./transport/reply.js";

/**
 * CONFIG GET/SET: the settings of the one table (src/settings.ts) that have
 * a CONFIG name, under Redis/Disque names where one exists.
 */

/** CONFIG GET's order, as it has always answered (clients may rely on it): every CONFIG name once. */
const CONFIG_ORDER = [
  "port",
  "bind",
  "dir",
  "appendonly",
  "appendfsync",
  "requirepass",
  "maxclients",
  "redis-timeout",
  "max-job-size",
  "maxmemory",
  "slowlog-log-slower-than",
  "slowlog-max-len",
  "latency-monitor-threshold",
  "client-output-limit",
  "default-retries",
  "default-backoff",
  "dead-letter-cap",
  "result-ttl",
];

/** The settings CONFIG GET/SET show, by their CONFIG name, in CONFIG GET's order. */
export const CONFIG_SETTINGS: ReadonlyMap<string, Setting> = new Map(
  SETTINGS.filter((s) => s.config !== undefined)
    .sort((a, b) => CONFIG_ORDER.indexOf(a.config!) - CONFIG_ORDER.indexOf(b.config!))
    .map((s) => [s.config!, s]),
);
if (
  CONFIG_SETTINGS.size !== CONFIG_ORDER.length ||
  [...CONFIG_SETTINGS.keys()].some((n, i) => n !== CONFIG_ORDER[i])
) {
  throw new Error("settings.ts: CONFIG_ORDER must name every CONFIG setting once");
}

export function configGet(config: ServerConfig, pattern: string): Reply {
  // Redis's matcher, linear: a regex would backtrack for seconds on "**************!"
  const matcher = new Glob(pattern, true);
  const out: Reply[] = [];
  for (const [name, setting] of CONFIG_SETTINGS) {
    if (matcher.matches(name)) out.push(name, setting.get!(config));
  }
  return out;
}

export function configSet(ctx: RespContext, name: string, value: string): void {
  const setting = CONFIG_SETTINGS.get(name.toLowerCase());
  if (!setting) throw errorOf(`Unsupported CONFIG parameter: ${name}`);
  if (!setting.set) throw errorOf(`CONFIG SET of '${name}' is not supported while running`);
  try {
    setting.set(ctx.server.config, value);
  } catch (error) {
    if (error instanceof InvalidSetting) {
      throw errorOf(
        error.unnamed
          ? `Invalid argument '${value}' for CONFIG SET`
          : `Invalid argument '${value}' for CONFIG SET '${name}'`,
      );
    }
    throw error;
  }
  ctx.server.configChanged();
}
