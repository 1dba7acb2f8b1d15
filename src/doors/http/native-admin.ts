import type { FastifyInstance } from "fastify";
import type { PauseOp } from "../../core/contract.js";
import { MAX_COUNT } from "../../core/limits.js";
import { MAX_HTTP_LISTING_COUNT } from "../../core/listing-limits.js";
import { whenDurable, type BodyEncoding, type HttpContext } from "./context.js";
import { deadLetterJson } from "./native-json.js";
import { errors, pauseBody, queueParams } from "./native-schemas.js";

/**
 * The native routes that administer a queue: its dead letters (list,
 * redrive) and its pause state (pause, resume).
 */
export function registerQueueAdminRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;

  app.get<{ Params: { queue: string }; Querystring: { count?: number; encoding?: BodyEncoding } }>(
    "/v1/queues/:queue/deadletters",
    {
      schema: {
        summary: "Jobs that exhausted their retries, oldest first, with why and when",
        params: queueParams,
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            count: {
              type: "integer",
              minimum: 1,
              maximum: MAX_HTTP_LISTING_COUNT,
              description: `at most this many (default and cap: ${MAX_HTTP_LISTING_COUNT})`,
            },
            encoding: { type: "string", enum: ["json", "utf8", "base64"] },
          },
        },
        response: errors,
      },
    },
    async (request) => {
      const count = request.query.count ?? MAX_HTTP_LISTING_COUNT;
      const dead = await broker.deadLetters(request.params.queue, count);
      return { deadLetters: dead.map((d) => deadLetterJson(d, request.query.encoding)) };
    },
  );

  app.post<{ Params: { queue: string }; Body: { count?: number } | undefined }>(
    "/v1/queues/:queue/redrive",
    {
      config: { write: true, integers: ["count"] },
      schema: {
        summary: "Move the oldest dead letters back into the queue as fresh jobs (new ids)",
        params: queueParams,
        body: {
          type: ["object", "null"],
          additionalProperties: false,
          properties: {
            count: { type: "integer", minimum: 1, maximum: MAX_COUNT, description: "default: all" },
          },
        },
        response: errors,
      },
    },
    async (request) => {
      const count = request.body?.count ?? Number.MAX_SAFE_INTEGER;
      const redriven = await broker.redrive(request.params.queue, { count: count });
      await whenDurable(ctx);
      return { queue: request.params.queue, redriven };
    },
  );

  const pause = async (queue: string, op: PauseOp) => {
    const state = await broker.pause(queue, [op]);
    await whenDurable(ctx);
    return { queue, pause: state };
  };

  app.post<{ Params: { queue: string }; Body: { state: PauseOp } }>(
    "/v1/queues/:queue/pause",
    {
      config: { write: true },
      schema: {
        summary: "Pause a queue: in (refuse adds), out (stop fetches), all, or none",
        params: queueParams,
        body: pauseBody,
        response: errors,
      },
    },
    async (request) => pause(request.params.queue, request.body.state),
  );

  app.post<{ Params: { queue: string } }>(
    "/v1/queues/:queue/resume",
    {
      config: { write: true },
      schema: { summary: "Unpause a queue (pause none)", params: queueParams, response: errors },
    },
    async (request) => pause(request.params.queue, "none"),
  );
}
