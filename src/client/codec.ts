import type { Attempt, Backoff, Decode, FailureCause, RateLimit } from "./types.js";

/**
 * Bodies, results and the text forms of docket's failure settings, as the
 * wire carries them. The client imports nothing from the server, so the
 * backoff text form here mirrors core/failures.ts (formatBackoff); the
 * server checks what it is sent.
 */

/** A connection's call, as the helpers Client delegates to take it: `binary` keeps bulk replies as Buffers. */
export type Call = (binary: boolean, args: Array<string | Buffer | number>) => Promise<unknown>;

/** Buffers and strings as they are, everything else as JSON. */
export function encode(data: unknown): Buffer | string {
  if (Buffer.isBuffer(data) || typeof data === "string") return data;
  if (data instanceof Uint8Array) return Buffer.from(data);
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError(`cannot encode ${typeof data} as a job body`);
  return json;
}

export function decode(body: Buffer, how: Decode): unknown {
  if (how === "buffer") return body;
  const text = body.toString("utf8");
  if (how === "string") return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** ms → whole seconds, rounded up (1 ms is 1 s, not 0). */
export const seconds = (ms: number): number => Math.ceil(ms / 1000);

/** the longest KEYTTL the server takes (core/scheduling.ts MAX_KEY_TTL_SECONDS): 30 days */
export const MAX_KEY_TTL_MS = 30 * 86_400_000;

/** A key TTL in ms as KEYTTL's seconds (rounded up); a RangeError outside 1 ms..30 days. */
export function keyTtlSeconds(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_KEY_TTL_MS) {
    throw new RangeError(`keyTtl must be more than 0 and at most ${MAX_KEY_TTL_MS} ms (30 days)`);
  }
  return seconds(ms);
}

/** one hour: the cap of an exponential policy given without one */
const HOUR_MS = 3_600_000;

/** A policy's text form (`fixed:<ms>`, `exponential:<ms>:<max-ms>[:jitter]`); text is sent as it is. */
export function backoffText(backoff: Backoff | string): string {
  if (typeof backoff === "string") return backoff;
  if (backoff.type === "fixed") return `fixed:${backoff.delay}`;
  const max = backoff.max ?? Math.max(HOUR_MS, backoff.delay);
  return `exponential:${backoff.delay}:${max}${backoff.jitter ? ":jitter" : ""}`;
}

/** Reads the text form the server reports (SHOW, QPOLICY); undefined for anything else. */
export function parseBackoffText(text: string): Backoff | undefined {
  const parts = text.split(":");
  const numbers = parts
    .slice(1)
    .filter((p) => p.toLowerCase() !== "jitter")
    .map(Number);
  if (numbers.length === 0 || numbers.some((n) => !Number.isSafeInteger(n) || n < 0)) return undefined;
  if (parts[0] === "fixed") return { type: "fixed", delay: numbers[0]! };
  if (parts[0] !== "exponential") return undefined;
  return {
    type: "exponential",
    delay: numbers[0]!,
    max: numbers[1] ?? Math.max(HOUR_MS, numbers[0]!),
    jitter: parts[parts.length - 1]!.toLowerCase() === "jitter",
  };
}

const RATE_UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * A rate limit's text form, as core/scheduling.ts formats it (`100/1s`,
 * the largest whole unit); text is sent as it is (the server checks it).
 */
export function rateLimitText(limit: RateLimit | string): string {
  if (typeof limit === "string") return limit;
  for (const unit of ["h", "m", "s"]) {
    const ms = RATE_UNIT_MS[unit]!;
    if (limit.periodMs % ms === 0) return `${limit.count}/${limit.periodMs / ms}${unit}`;
  }
  return `${limit.count}/${limit.periodMs}ms`;
}

/** Reads the text form the server reports (QPOLICY, QSTAT); undefined for anything else. */
export function parseRateLimitText(text: string): RateLimit | undefined {
  const match = /^([0-9]+)\/([0-9]*)(ms|s|m|h)$/.exec(text.trim().toLowerCase());
  if (match === null) return undefined;
  const amount = match[2] === "" ? 1 : Number(match[2]);
  return { count: Number(match[1]), periodMs: amount * RATE_UNIT_MS[match[3]!]! };
}

/** The server keeps 1024 bytes of an error; the client sends no more than that. */
export const MAX_ERROR_BYTES = 1024;
/** stack lines sent after an error's message */
const STACK_LINES = 5;

/** An error as NACK … ERROR sends it: the message, then the first stack lines, cut to MAX_ERROR_BYTES. */
export function errorText(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    const frames = (error.stack ?? "")
      .split("\n")
      .filter((line) => /^\s+at /.test(line))
      .slice(0, STACK_LINES)
      .map((line) => line.trim());
    text = [error.message || error.name, ...frames].join("\n");
  } else {
    text = String(error);
  }
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= MAX_ERROR_BYTES) return text;
  let end = MAX_ERROR_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // not inside a multi-byte character
  return bytes.subarray(0, end).toString("utf8");
}

/** A key/value reply (SHOW, QSTAT, QPOLICY, DEADLETTER) as a map of its keys, lower case. */
export function pairs(reply: unknown[], from = 0): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (let i = from; i + 1 < reply.length; i += 2) fields.set(String(reply[i]).toLowerCase(), reply[i + 1]);
  return fields;
}

/** A reply field as text, or undefined when it is absent or nil. */
export function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Buffer.isBuffer(value) ? value.toString("utf8") : String(value);
}

/** A reply field as a number, or undefined when it is absent, nil or no number. */
export function num(value: unknown): number | undefined {
  const t = text(value);
  if (t === undefined || t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

const CAUSES: readonly string[] = ["nack", "lease", "timeout"];

/** `[ms-time, cause, error]` each, as SHOW and DEADLETTER report attempts. */
export function parseAttempts(value: unknown): Attempt[] {
  if (!Array.isArray(value)) return [];
  return value.filter(Array.isArray).map((entry: unknown[]) => {
    const cause = text(entry[1]) ?? "nack";
    return {
      at: num(entry[0]) ?? 0,
      cause: (CAUSES.includes(cause) ? cause : "nack") as FailureCause,
      error: text(entry[2]) ?? "",
    };
  });
}
