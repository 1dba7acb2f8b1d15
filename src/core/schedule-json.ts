import type { JobTemplate, ScheduleInfo } from "./schedules.js";

/**
 * A schedule as one JSON text (the body in base64): the embedded journal's
 * F_SCHEDULE_INFO and the Redis store's schedule hash value. Bounded by the
 * definition's limits (name, cron, 64 KiB body). Deterministic (fields in a
 * fixed order), so the Redis store can compare-and-set on the text itself.
 */
export function encodeSchedule(info: ScheduleInfo): string {
  const t = info.template;
  return JSON.stringify({
    name: info.name,
    cron: info.cron,
    timezone: info.timezone,
    everyMs: info.everyMs,
    template: {
      queue: t.queue,
      body: t.body.toString("base64"),
      ttl: t.ttl,
      retry: t.retry,
      priority: t.priority,
      group: t.group,
      retryBudget: t.retryBudget,
      runTimeoutMs: t.runTimeoutMs,
    },
    nextRunAt: info.nextRunAt,
    lastRunAt: info.lastRunAt,
    lastJobId: info.lastJobId,
    runs: info.runs,
    createdAt: info.createdAt,
  });
}

/** Reads encodeSchedule's text back; throws an Error naming what is wrong. */
export function decodeSchedule(text: string): ScheduleInfo {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error("unreadable schedule");
  }
  const t = (raw.template ?? {}) as Record<string, unknown>;
  if (typeof raw.name !== "string" || typeof t.queue !== "string" || typeof t.body !== "string") {
    throw new Error("bad schedule");
  }
  const template: JobTemplate = { queue: t.queue, body: Buffer.from(t.body, "base64") };
  for (const key of ["ttl", "retry", "priority", "retryBudget", "runTimeoutMs"] as const) {
    const n = optional(t[key], "number", key);
    if (n !== undefined) template[key] = n;
  }
  const group = optional(t.group, "string", "group");
  if (group !== undefined) template.group = group;
  const info: ScheduleInfo = {
    name: raw.name,
    template,
    nextRunAt: required(raw.nextRunAt, "nextRunAt"),
    lastRunAt: nullable(raw.lastRunAt, "number", "lastRunAt"),
    lastJobId: nullable(raw.lastJobId, "string", "lastJobId"),
    runs: required(raw.runs, "runs"),
    createdAt: required(raw.createdAt, "createdAt"),
  };
  const cron = optional(raw.cron, "string", "cron");
  const timezone = optional(raw.timezone, "string", "timezone");
  const everyMs = optional(raw.everyMs, "number", "everyMs");
  if ((cron === undefined) === (everyMs === undefined)) throw new Error("bad schedule timing");
  if (cron !== undefined) info.cron = cron;
  if (timezone !== undefined) info.timezone = timezone;
  if (everyMs !== undefined) info.everyMs = everyMs;
  return info;
}

function optional<K extends "number" | "string">(
  value: unknown,
  kind: K,
  what: string,
): (K extends "number" ? number : string) | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== kind) throw new Error(`bad schedule ${what}`);
  return value as K extends "number" ? number : string;
}

function nullable<K extends "number" | "string">(
  value: unknown,
  kind: K,
  what: string,
): (K extends "number" ? number : string) | null {
  return optional(value, kind, what) ?? null;
}

function required(value: unknown, what: string): number {
  if (typeof value !== "number") throw new Error(`bad schedule ${what}`);
  return value;
}
