import type { Attempt, Backoff, Decode, FailureCause } from "./types.js";

/**
 * Bodies, results and the text forms of docket's failure settings, as the
 * wire carries them. The client imports nothing from the server, so the
 * backoff text form here mirrors core/failures.ts (formatBackoff); the
 * server checks what it is sent.
 */

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
