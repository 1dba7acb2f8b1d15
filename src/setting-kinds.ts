import { FSYNC_POLICIES, type FsyncPolicy } from "./stores/embedded/journal/writer.js";
import type { ServerConfig } from "./config.js";

/** The kinds of server setting and the readers CONFIG SET uses for them (the table is in settings.ts). */

/** A value CONFIG SET refuses. `unnamed`: Disque's wording without the setting's name (SLOWLOG's). */
export class InvalidSetting extends Error {
  constructor(readonly unnamed = false) {
    super("invalid setting");
  }
}

export type SettingKind =
  | "integer" // a whole number (min..max)
  | "bytes" // a size: 1073741824, 512mb, 2gb
  | "text"
  | "switch" // --flag: true
  | "negated" // --no-flag: false
  | "choice"
  | "list" // one or more values (--redis a b) or a comma list (--redis-sentinel a,b)
  | "port"; // an optional port: absent = off (null)

export interface Setting {
  /** the ServerConfig field; undefined for a CONFIG-only value (latency-monitor-threshold) */
  key: keyof ServerConfig | undefined;
  /** the serve flag with its value name, e.g. "--port <port>"; undefined: CONFIG SET only */
  flag: string | undefined;
  kind: SettingKind;
  /** the default as the docs print it ("" for none worth printing) */
  shown: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** the CONFIG GET/SET name; absent: not visible there */
  config?: string;
  /** CONFIG GET's text of the value */
  get?: (config: ServerConfig) => string;
  /** CONFIG SET while running (throws InvalidSetting); absent: read-only */
  set?: (config: ServerConfig, value: string) => void;
  help: string;
}

export function positiveInt(value: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) throw new InvalidSetting();
  return n;
}

/** a whole number in [min, max], refused in Disque's unnamed wording */
export function signedInt(value: string, min: number): number {
  const n = Number(value);
  if (!/^-?[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new InvalidSetting(true);
  return n;
}

export function yesNo(value: string): boolean {
  const v = value.toLowerCase();
  if (v !== "yes" && v !== "no") throw new InvalidSetting();
  return v === "yes";
}

export function fsyncPolicy(value: string): FsyncPolicy {
  const v = value.toLowerCase() as FsyncPolicy;
  if (!FSYNC_POLICIES.includes(v)) throw new InvalidSetting();
  return v;
}

/** a whole number in [min, max], refused with the setting's name */
export function integerIn(value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^-?[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max) throw new InvalidSetting();
  return n;
}
