import { MAX_HTTP_LISTING_COUNT } from "../../core/listing-limits.js";
import { MAX_SCHEDULE_NAME_BYTES } from "../../core/schedules.js";

/**
 * Request schemas of the /v1/schedules routes (native-schedules.ts). The
 * rules themselves (ranges, cron, time zone) are core/schedules.ts's, which
 * every door applies with the same errors; these only shape the JSON (and
 * the OpenAPI document).
 */

export const scheduleParams = {
  type: "object",
  required: ["name"],
  properties: {
    name: { type: "string", maxLength: MAX_SCHEDULE_NAME_BYTES, description: "schedule name (URL-encoded)" },
  },
} as const;

export const scheduleListQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    cursor: {
      type: "string",
      maxLength: 2 * MAX_SCHEDULE_NAME_BYTES,
      description: '"0" or absent: the start',
    },
    count: {
      type: "integer",
      minimum: 1,
      maximum: MAX_HTTP_LISTING_COUNT,
      description: "schedules per page (default 100)",
    },
  },
} as const;

/** PUT /v1/schedules/:name: a cron (and its time zone) or a fixed interval, and the job template. */
export const scheduleBody = {
  type: "object",
  additionalProperties: false,
  required: ["template"],
  properties: {
    cron: { type: "string", description: "croner syntax, seconds optional" },
    timezone: { type: "string", description: "IANA time zone of the cron (default UTC)" },
    everyMs: { type: "integer", description: "a fixed interval instead of a cron (at least 1000)" },
    template: {
      type: "object",
      additionalProperties: false,
      required: ["queue", "body"],
      properties: {
        queue: { type: "string" },
        body: { type: "string", description: "the job body (UTF-8 text)" },
        ttl: { type: "integer" },
        retry: { type: "integer" },
        priority: { type: "integer" },
        group: { type: "string" },
        retries: { type: "integer" },
        runTimeoutMs: { type: "integer" },
      },
    },
  },
} as const;

export interface ScheduleBody {
  cron?: string;
  timezone?: string;
  everyMs?: number;
  template: {
    queue: string;
    body: string;
    ttl?: number;
    retry?: number;
    priority?: number;
    group?: string;
    retries?: number;
    runTimeoutMs?: number;
  };
}
