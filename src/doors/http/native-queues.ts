import type { FastifyInstance } from "fastify";
import { MAX_HTTP_LISTING_COUNT, MAX_SCAN_COUNT } from "../../core/listing-limits.js";
import type { BodyEncoding, HttpContext } from "./context.js";
import { HttpError } from "./errors.js";
import { jobJson, statsJson } from "./native-json.js";
import { errors, queueParams } from "./native-schemas.js";

/** The native read-only routes about queues: list with stats, one queue's stats, peek. */
export function registerQueueRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;

  app.get<{ Querystring: { cursor: number; count: number } }>(
    "/v1/queues",
    {
      schema: {
        summary: "The queues with their stats, a page at a time",
        description:
          `QSCAN's order and cursor: pass the reply's cursor to get the next page (0: the last one). ` +
          `At most count (default and cap ${MAX_SCAN_COUNT}) queues per page, by name within it.`,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            cursor: { type: "integer", minimum: 0, default: 0 },
            count: { type: "integer", minimum: 1, maximum: MAX_SCAN_COUNT, default: MAX_SCAN_COUNT },
          },
        },
        response: errors,
      },
    },
    async (request) => {
      const { cursor, count } = request.query;
      const page = await broker.qscan(cursor, { count, busyloop: false });
      const queues = [];
      for (const name of page.items.sort()) {
        const stats = await broker.qstat(name);
        if (stats) queues.push(statsJson(stats));
      }
      return { queues, cursor: page.cursor };
    },
  );

  app.get<{ Params: { queue: string } }>(
    "/v1/queues/:queue",
    { schema: { summary: "One queue's stats", params: queueParams, response: errors } },
    async (request) => {
      const stats = await broker.qstat(request.params.queue);
      if (!stats) throw new HttpError("NOQUEUE", `no queue named ${JSON.stringify(request.params.queue)}`);
      return statsJson(stats);
    },
  );

  app.get<{ Params: { queue: string }; Querystring: { count: number; encoding?: BodyEncoding } }>(
    "/v1/queues/:queue/peek",
    {
      schema: {
        summary: "Look at queued jobs without taking them",
        description: `count > 0: oldest first; count < 0: newest first; at most ${MAX_HTTP_LISTING_COUNT} either way.`,
        params: queueParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            count: {
              type: "integer",
              default: 10,
              minimum: -MAX_HTTP_LISTING_COUNT,
              maximum: MAX_HTTP_LISTING_COUNT,
            },
            encoding: { type: "string", enum: ["json", "utf8", "base64"] },
          },
        },
        response: errors,
      },
    },
    async (request) => {
      const jobs = await broker.qpeek(request.params.queue, request.query.count);
      return { jobs: jobs.map((j) => jobJson(j, request.query.encoding)) };
    },
  );
}
