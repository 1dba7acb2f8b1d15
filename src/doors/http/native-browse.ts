import type { FastifyInstance } from "fastify";
import { JOB_STATES, type JobInfo, type JobState } from "../../core/contract.js";
import { explanation } from "../../core/explain.js";
import { MAX_SCAN_COUNT } from "../../core/listing-limits.js";
import { whenDurable, type HttpContext } from "./context.js";
import { existingJob } from "./native-json.js";
import { errors, idParams, queueParams } from "./native-schemas.js";

/** search text: longer is refused */
export const MAX_SEARCH_LENGTH = 200;
/** a body is searched in its first this many bytes */
export const SEARCHED_BODY_BYTES = 64 * 1024;
/** the preview of a body in a listing */
const PREVIEW_CHARS = 120;
/** jobs a listing visits per request by default (its count) */
const DEFAULT_BROWSE_COUNT = 100;

function lastError(job: JobInfo): string | null {
  const attempts = job.attempts ?? [];
  return attempts.length > 0 ? (attempts[attempts.length - 1]!.error ?? null) : null;
}

/** `text` as given for the id (ids are case-sensitive), lower-cased for the rest */
function matches(job: JobInfo, text: string, needle: string): boolean {
  if (job.id.includes(text)) return true;
  if (job.body.subarray(0, SEARCHED_BODY_BYTES).toString("utf8").toLowerCase().includes(needle)) return true;
  return (job.attempts ?? []).some((a) => (a.error ?? "").toLowerCase().includes(needle));
}

function summaryJson(job: JobInfo) {
  const text = job.body.subarray(0, PREVIEW_CHARS * 4).toString("utf8");
  return {
    id: job.id,
    queue: job.queue,
    state: job.state,
    createdAt: job.createdAt,
    nacks: job.nacks,
    attempts: job.attempts?.length ?? 0,
    lastError: lastError(job),
    preview: text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text,
  };
}

/**
 * Routes the dashboard and operators browse with (docs/http.md): a queue's
 * jobs by state with search (one bounded JSCAN step per request, its cursor
 * to continue), a job's EXPLAIN, and "retry now".
 */
export function registerBrowseRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;

  app.get<{
    Params: { queue: string };
    Querystring: { state?: JobState; q?: string; cursor: number; count: number };
  }>(
    "/v1/queues/:queue/jobs",
    {
      config: { integers: ["cursor", "count"] },
      schema: {
        summary: "A queue's jobs, by state, with search by id, body text or error",
        description:
          `One JSCAN step: visits up to count jobs (cap ${MAX_SCAN_COUNT}) and answers those that match, ` +
          "with the cursor to continue (0: done). A page may hold fewer than count jobs, even none, " +
          `before the end. q (up to ${MAX_SEARCH_LENGTH} characters, case-insensitive) matches the id, ` +
          `the body's first ${SEARCHED_BODY_BYTES} bytes as text, or an attempt's error.`,
        params: queueParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            state: { type: "string", enum: [...JOB_STATES] },
            q: { type: "string", maxLength: MAX_SEARCH_LENGTH },
            cursor: { type: "integer", minimum: 0, default: 0 },
            count: { type: "integer", minimum: 1, maximum: MAX_SCAN_COUNT, default: DEFAULT_BROWSE_COUNT },
          },
        },
        response: errors,
      },
    },
    async (request) => {
      const { queue } = request.params;
      const { state, q, cursor, count } = request.query;
      const page = await broker.jscan(cursor, {
        count,
        busyloop: false,
        queue,
        ...(state === undefined ? {} : { states: [state] }),
      });
      const text = q ?? "";
      const needle = text.toLowerCase();
      const jobs = text === "" ? page.items : page.items.filter((job) => matches(job, text, needle));
      return { jobs: jobs.map(summaryJson), cursor: page.cursor };
    },
  );

  app.get<{ Params: { id: string } }>(
    "/v1/jobs/:id/explain",
    {
      schema: {
        summary: "Why is this job not running? EXPLAIN's facts and its one sentence (docs/explain.md)",
        params: idParams,
        response: errors,
      },
    },
    async (request) => explanation(await broker.explain(request.params.id)),
  );

  app.post<{ Params: { id: string } }>(
    "/v1/jobs/:id/retry",
    {
      config: { write: true },
      schema: {
        summary:
          "Retry now: a delivered job is nacked (spends a retry), a delayed or backing-off one queued at once",
        params: idParams,
        response: errors,
      },
    },
    async (request) => {
      const { id } = request.params;
      const job = await existingJob(ctx, id);
      // a delayed job is "active" too, but not delivered: it is queued, not failed
      const how = job.state === "active" && job.delayedUntil === null ? "nacked" : "enqueued";
      const count = await (how === "nacked" ? broker.nack([id]) : broker.enqueue([id]));
      await whenDurable(ctx);
      return { id, how, count };
    },
  );
}
