import { MAX_COUNT, MAX_RETRY_SECONDS, MAX_TIMEOUT_MS, MAX_TTL_SECONDS } from "../../core/limits.js";
import { errorSchema } from "./errors.js";

/**
 * Request schemas shared by the native /v1 routes (native-jobs.ts,
 * native-queues.ts, native-admin.ts); Fastify validates against them and
 * the OpenAPI document is generated from them.
 */

export const queueParams = {
  type: "object",
  required: ["queue"],
  properties: { queue: { type: "string", description: "queue name (URL-encoded)" } },
} as const;
export const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", description: "job id, URL-encoded (ids contain + and /)" } },
} as const;
export const encodingQuery = {
  type: "object",
  properties: { encoding: { type: "string", enum: ["json", "utf8", "base64"] } },
  additionalProperties: false,
} as const;

export const addOptions = {
  ttl: {
    type: "integer",
    minimum: 1,
    maximum: MAX_TTL_SECONDS,
    description: "seconds the job may live (default 86400)",
  },
  retry: {
    type: "integer",
    minimum: 0,
    maximum: MAX_RETRY_SECONDS,
    description: "seconds of lease before re-delivery; 0 = at most once",
  },
  delay: {
    type: "integer",
    minimum: 0,
    maximum: MAX_TTL_SECONDS,
    description: "seconds before the job is first queued",
  },
  maxlen: {
    type: "integer",
    minimum: 1,
    maximum: MAX_COUNT,
    description: "refuse (MAXLEN) when the queue already holds this many",
  },
  replicate: { type: "integer", minimum: 1, maximum: 65535 },
  retries: {
    type: "integer",
    minimum: 0,
    maximum: MAX_COUNT,
    description: "retries (takeanumber RETRY) allowed before the job goes to the dead-letter list",
  },
} as const;
export const addIntegers = Object.keys(addOptions);

export const addJsonBody = {
  type: "object",
  required: ["body"],
  additionalProperties: false,
  properties: {
    body: { description: "the job: any JSON value (or a string, with encoding utf8/base64)" },
    encoding: { type: "string", enum: ["json", "utf8", "base64"], default: "json" },
    front: { type: "boolean", description: "serve before every job already queued" },
    ...addOptions,
  },
} as const;

export const addRawQuery = {
  type: "object",
  additionalProperties: false,
  properties: { ...addOptions, front: { type: "boolean" } },
} as const;

export const fetchBody = {
  type: "object",
  required: ["queues"],
  additionalProperties: false,
  properties: {
    queues: { type: "array", minItems: 1, items: { type: "string" }, description: "in priority order" },
    count: { type: "integer", minimum: 1, maximum: MAX_COUNT, default: 1 },
    timeout: {
      type: "integer",
      minimum: 0,
      maximum: MAX_TIMEOUT_MS,
      default: 0,
      description: "ms to wait when nothing is available; 0 = answer at once",
    },
    encoding: { type: "string", enum: ["json", "utf8", "base64"] },
  },
} as const;

export const pauseBody = {
  type: "object",
  required: ["state"],
  additionalProperties: false,
  properties: { state: { type: "string", enum: ["in", "out", "all", "none"] } },
} as const;

export const errors = { "4xx": errorSchema, "5xx": errorSchema };

/** The options of an add, from the JSON envelope or the query string. */
export interface AddOptions {
  ttl?: number;
  retry?: number;
  delay?: number;
  maxlen?: number;
  replicate?: number;
  retries?: number;
  front?: boolean;
}
