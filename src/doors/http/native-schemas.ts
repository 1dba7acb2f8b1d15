import {
  MAX_COUNT,
  MAX_DELAY_MS,
  MAX_RETRY_SECONDS,
  MAX_TIMEOUT_MS,
  MAX_TTL_SECONDS,
} from "../../core/limits.js";
import { MAX_HTTP_LISTING_COUNT } from "../../core/listing-limits.js";
import {
  DEFAULT_KEY_TTL_SECONDS,
  DEFAULT_PRIORITY,
  MAX_GROUP_BYTES,
  MAX_KEY_BYTES,
  MAX_KEY_TTL_SECONDS,
  MAX_PRIORITY,
} from "../../core/scheduling.js";
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
    description:
      "failures (nack, a lease that ran out) allowed before the job goes to the dead-letter list; " +
      "default: the queue's policy, else default-retries",
  },
  runTimeout: {
    type: "integer",
    minimum: 1,
    maximum: MAX_DELAY_MS,
    description: "ms a Worker lets its handler run; default: the queue's policy, else none",
  },
  // scheduling (docs/scheduling.md)
  priority: {
    type: "integer",
    minimum: 0,
    maximum: MAX_PRIORITY,
    description: `0 is served first; default ${DEFAULT_PRIORITY}`,
  },
  keyTtl: {
    type: "integer",
    minimum: 1,
    maximum: MAX_KEY_TTL_SECONDS,
    description: `seconds the idempotency key is remembered (default ${DEFAULT_KEY_TTL_SECONDS}); needs key`,
  },
} as const;
export const addIntegers = Object.keys(addOptions);

/** the add's text options (docs/scheduling.md); the Idempotency-Key header is the same as key */
const addTextOptions = {
  key: {
    type: "string",
    minLength: 1,
    maxLength: MAX_KEY_BYTES,
    description:
      `idempotency key, 1 to ${MAX_KEY_BYTES} bytes of UTF-8: while it lives, another add with it to ` +
      "this queue returns the first job (200, duplicate: true) and adds nothing",
  },
  group: {
    type: "string",
    pattern: `^[\\x21-\\x7e]{1,${MAX_GROUP_BYTES}}$`,
    description: "the job's group (tenant): a queue serves its groups round-robin, GROUPLIMIT in flight each",
  },
} as const;

/** a backoff policy's text form: fixed:<ms> or exponential:<ms>[:<max-ms>][:jitter] */
export const backoffText = {
  type: "string",
  minLength: 1,
  maxLength: 64,
  description: "fixed:<ms> or exponential:<ms>[:<max-ms>][:jitter] (docs/failures.md)",
} as const;

export const addJsonBody = {
  type: "object",
  required: ["body"],
  additionalProperties: false,
  properties: {
    body: { description: "the job: any JSON value (or a string, with encoding utf8/base64)" },
    encoding: { type: "string", enum: ["json", "utf8", "base64"], default: "json" },
    front: { type: "boolean", description: "serve before every job already queued" },
    backoff: backoffText,
    ...addOptions,
    ...addTextOptions,
  },
} as const;

export const addRawQuery = {
  type: "object",
  additionalProperties: false,
  properties: { ...addOptions, ...addTextOptions, backoff: backoffText, front: { type: "boolean" } },
} as const;

/** An add's reply: a new job (201), or the first job of its idempotency key (200). */
export const addReplies = {
  201: {
    type: "object",
    properties: { id: { type: "string" }, seq: { type: "integer" }, queue: { type: "string" } },
  },
  200: {
    type: "object",
    description: "the key was taken: the first job's id and its state now; nothing was added",
    properties: {
      id: { type: "string" },
      duplicate: { type: "boolean", enum: [true] },
      state: { type: "string", enum: ["wait-repl", "active", "queued", "acked", "backoff"] },
    },
  },
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
  backoff?: string;
  runTimeout?: number;
  front?: boolean;
  priority?: number;
  key?: string;
  keyTtl?: number;
  group?: string;
}

// ------------------------------------------------------------ failures (docs/failures.md)

const encodingField = { type: "string", enum: ["json", "utf8", "base64"] } as const;

/** an error text: its first MAX_ERROR_BYTES bytes are kept, longer text is cut */
const MAX_ERROR_TEXT = 65_536;

export const nackBody = {
  type: ["object", "null"],
  additionalProperties: false,
  properties: {
    delay: {
      type: "integer",
      minimum: 0,
      maximum: MAX_DELAY_MS,
      description: "ms to wait before the job is queued again (not with backoff)",
    },
    backoff: { type: "boolean", description: "wait as the job's backoff policy says" },
    error: {
      type: "string",
      maxLength: MAX_ERROR_TEXT,
      description: "why the attempt failed (its first 1024 bytes are kept)",
    },
    timedOut: { type: "boolean", description: "the handler ran past its run time-out" },
    retries: {
      type: "integer",
      minimum: 0,
      maximum: MAX_COUNT,
      description: "the budget of a job that has none, less its earlier failures",
    },
  },
} as const;
export const nackIntegers = ["delay", "retries"];

export interface NackBody {
  delay?: number;
  backoff?: boolean;
  error?: string;
  timedOut?: boolean;
  retries?: number;
}

export const ackBody = {
  type: ["object", "null"],
  additionalProperties: false,
  properties: {
    result: { description: "what the job produced: any JSON value (or a string, with encoding utf8/base64)" },
    encoding: { ...encodingField, default: "json" },
  },
} as const;

/** Which dead letters a redrive or purge takes: the oldest count, these ids, or all (the default). */
export const selectionBody = {
  type: ["object", "null"],
  additionalProperties: false,
  properties: {
    count: { type: "integer", minimum: 1, maximum: MAX_COUNT, description: "the oldest count" },
    ids: {
      type: "array",
      minItems: 1,
      maxItems: MAX_HTTP_LISTING_COUNT,
      items: { type: "string", maxLength: 64 },
      description: "these dead letters (by their job ids)",
    },
    all: { type: "boolean", description: "every dead letter of the queue (the default)" },
  },
} as const;

export interface SelectionBody {
  count?: number;
  ids?: string[];
  all?: boolean;
}

/** A queue's failure policy; null or absent: the server's default. */
export const policyBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    retries: { type: ["integer", "null"], minimum: 0, maximum: MAX_COUNT },
    backoff: { ...backoffText, type: ["string", "null"] },
    runTimeout: { type: ["integer", "null"], minimum: 1, maximum: MAX_DELAY_MS },
    deadLetterCap: { type: ["integer", "null"], minimum: 0, maximum: MAX_COUNT },
    rateLimit: {
      type: ["string", "null"],
      minLength: 1,
      maxLength: 32,
      description: "at most count deliveries per period: <count>/<period>, e.g. 100/1s, 5/500ms, 1000/1m",
    },
    groupLimit: {
      type: ["integer", "null"],
      minimum: 1,
      maximum: MAX_COUNT,
      description: "at most this many jobs of one group in flight",
    },
  },
} as const;
export const policyIntegers = ["retries", "runTimeout", "deadLetterCap", "groupLimit"];
export const policyTexts = ["backoff", "rateLimit"];

export interface PolicyBody {
  retries?: number | null;
  backoff?: string | null;
  runTimeout?: number | null;
  deadLetterCap?: number | null;
  rateLimit?: string | null;
  groupLimit?: number | null;
}

export const encodingOnlyQuery = {
  type: "object",
  additionalProperties: false,
  properties: { encoding: encodingField },
} as const;
