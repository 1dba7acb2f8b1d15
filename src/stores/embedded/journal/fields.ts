import type { StoredJob } from "../engine/restore.js";
import {
  F_SEQ,
  F_CREATED,
  F_RANK,
  F_AWAKE,
  F_TTL,
  F_RETRY,
  F_DELAY,
  F_REPL,
  F_NACKS,
  F_ADDITIONAL,
  F_RETRIES,
  F_RETRIES_LEFT,
  F_ID,
  F_QUEUE,
  F_BODY,
  F_EVENT_ID,
  F_BACKOFF,
  F_RUN_TIMEOUT,
  F_ATTEMPTS,
  F_BACKING_OFF,
  F_RETRY_ONLY_BUDGET,
  F_ORIGIN,
  F_PRIORITY,
  F_ROUND,
  F_GROUP,
  F_KEY,
  F_KEY_EXPIRES,
  F_SCHEDULE,
} from "./format.js";
import { DEFAULT_PRIORITY } from "../../../core/scheduling.js";

/**
 * The job's fields, one row each: the table writeJobFields (encode.ts)
 * writes a job from and decodeJob (decode.ts) reads it back with. A new
 * job field is one row here (plus its F_ tag in format.ts and the property
 * in StoredJob). Rows are written in table order: readers do not care about
 * order, but moving an existing row changes the bytes every job is written as.
 */

/** How a value is stored (the tag's top bits say only f64, u32 or bytes). */
export type Wire =
  | "f64"
  | "u32"
  | "latin1"
  | "utf8"
  /** a latin1 string or a Buffer on the way out; small ones come back as latin1 strings */
  | "body"
  /** a BackoffPolicy, as its text form (bytes) */
  | "backoff"
  /** Attempt[], as JSON (bytes; see failure-values.ts) */
  | "attempts"
  /** a boolean: u32 1 when true, left out when false */
  | "flag"
  /** a JobOrigin, as u32 JOB_ORIGINS' index + 1 */
  | "origin";

/** When a field is left out of the record, and what it reads back as then. */
export type Rule =
  /** always written */
  | "always"
  /** left out when it equals `fallback` */
  | "unless-default"
  /** left out when it equals the field `sameAs` (rank: the seq), which it then reads back as */
  | "unless-same"
  /** left out when undefined (or equal to `omit`); absent from the job read back */
  | "optional"
  /** a count where undefined or a negative (-1) means none: left out then; absent from the job read back */
  | "optional-count"
  /** left out when undefined, false or an empty list; absent from the job read back */
  | "optional-set";

export interface JobField {
  tag: number;
  wire: Wire;
  key: keyof StoredJob;
  rule: Rule;
  /** what an absent field reads back as (always, unless-default; NaN for unless-same) */
  fallback?: number | string | Buffer;
  sameAs?: keyof StoredJob;
  /**
   * the property the writer reads first, when the object has it: a Job
   * keeps a small body in its page's arena (`bodyRange`), which the record
   * copies from, so no Buffer is made to write it
   */
  readFirst?: string;
  /** optional: the value a job has when it was never set (a plain job's priority), also left out */
  omit?: number;
}

const EMPTY = Buffer.alloc(0);

export const JOB_FIELDS: readonly JobField[] = [
  { tag: F_ID, wire: "latin1", key: "id", rule: "always", fallback: "" },
  { tag: F_SEQ, wire: "f64", key: "seq", rule: "always", fallback: 0 },
  { tag: F_QUEUE, wire: "utf8", key: "queue", rule: "always", fallback: "" },
  { tag: F_CREATED, wire: "f64", key: "createdAt", rule: "always", fallback: 0 },
  { tag: F_TTL, wire: "u32", key: "ttl", rule: "always", fallback: 0 },
  { tag: F_RETRY, wire: "u32", key: "retry", rule: "always", fallback: 0 },
  { tag: F_DELAY, wire: "u32", key: "delay", rule: "unless-default", fallback: 0 },
  { tag: F_REPL, wire: "u32", key: "repl", rule: "unless-default", fallback: 1 },
  { tag: F_RANK, wire: "f64", key: "rank", rule: "unless-same", fallback: NaN, sameAs: "seq" },
  { tag: F_AWAKE, wire: "f64", key: "awakeAt", rule: "unless-default", fallback: 0 },
  { tag: F_NACKS, wire: "u32", key: "nacks", rule: "unless-default", fallback: 0 },
  { tag: F_ADDITIONAL, wire: "u32", key: "additionalDeliveries", rule: "unless-default", fallback: 0 },
  { tag: F_EVENT_ID, wire: "utf8", key: "clientKey", rule: "optional" },
  { tag: F_RETRIES, wire: "u32", key: "retryBudget", rule: "optional-count" },
  { tag: F_RETRIES_LEFT, wire: "u32", key: "retryBudgetLeft", rule: "optional-count" },
  { tag: F_BACKOFF, wire: "backoff", key: "backoff", rule: "optional" },
  { tag: F_RUN_TIMEOUT, wire: "f64", key: "runTimeoutMs", rule: "optional" },
  { tag: F_ATTEMPTS, wire: "attempts", key: "attempts", rule: "optional-set" },
  { tag: F_BACKING_OFF, wire: "flag", key: "backingOff", rule: "optional-set" },
  { tag: F_RETRY_ONLY_BUDGET, wire: "flag", key: "retryOnlyBudget", rule: "optional-set" },
  { tag: F_ORIGIN, wire: "origin", key: "origin", rule: "optional" },
  { tag: F_PRIORITY, wire: "u32", key: "priority", rule: "optional", omit: DEFAULT_PRIORITY },
  { tag: F_ROUND, wire: "u32", key: "round", rule: "optional", omit: 0 },
  { tag: F_GROUP, wire: "utf8", key: "group", rule: "optional" },
  { tag: F_KEY, wire: "utf8", key: "key", rule: "optional" },
  { tag: F_KEY_EXPIRES, wire: "f64", key: "keyExpiresAt", rule: "optional", omit: 0 },
  { tag: F_SCHEDULE, wire: "utf8", key: "schedule", rule: "optional" },
  { tag: F_BODY, wire: "body", key: "body", rule: "always", fallback: EMPTY, readFirst: "bodyRange" },
];

/** Rows by tag, for the decoder. */
export const JOB_FIELD_BY_TAG: ReadonlyArray<JobField | undefined> = (() => {
  const byTag: Array<JobField | undefined> = new Array<JobField | undefined>(256).fill(undefined);
  for (const row of JOB_FIELDS) byTag[row.tag] = row;
  return byTag;
})();

/** The rows read back from another field when absent (rank from seq). */
export const SAME_AS_FIELDS: readonly JobField[] = JOB_FIELDS.filter((row) => row.rule === "unless-same");

/** A decoded job before its fields are read: every field that has a fallback, at it. */
const JOB_TEMPLATE: Readonly<Record<string, unknown>> = (() => {
  const template: Record<string, unknown> = {};
  for (const row of JOB_FIELDS) if (row.fallback !== undefined) template[row.key] = row.fallback;
  return template;
})();

/** A fresh job holding the fallbacks (the decoder fills in what the record has). */
export function blankJob(): StoredJob {
  return { ...JOB_TEMPLATE } as unknown as StoredJob;
}

/**
 * When the row's value is left out of the record, as a JavaScript
 * expression over `value` (the field's expression) and `rows[i]` (this
 * row): the encoder compiles these into its job writer.
 */
export function leftOutTest(row: JobField, i: number, value: string): string {
  const self = `rows[${i}]`;
  // a number is written in as a literal; anything else (a Buffer) is read from the row
  const constant = (v: unknown, expr: string) =>
    typeof v === "number" && Number.isFinite(v) ? String(v) : expr;
  switch (row.rule) {
    case "always":
      return "false";
    case "unless-default":
      return `${value} === ${constant(row.fallback, `${self}.fallback`)}`;
    case "unless-same":
      return `${value} === job.${String(row.sameAs)}`;
    case "optional":
      return `${value} === undefined || ${value} === ${constant(row.omit, `${self}.omit`)}`;
    case "optional-count":
      // only counts >= 0 are written: -1 and NaN are left out
      return `${value} === undefined || !(${value} >= 0)`;
    case "optional-set":
      return `${value} === undefined || ${value} === false || (Array.isArray(${value}) && ${value}.length === 0)`;
  }
}

/** Just the job's fields, as a plain object (a Job may carry more, or keep some behind getters). */
export function jobFieldsOf(job: StoredJob): StoredJob {
  const out: Record<string, unknown> = {};
  for (const row of JOB_FIELDS) out[row.key] = job[row.key];
  return out as unknown as StoredJob;
}
