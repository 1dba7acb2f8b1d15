import type { FastifyInstance } from "fastify";
import type { DeadLetterInfo, Delivery, JobInfo, PauseOp, QueueStats } from "../../core/contract.js";
import { MAX_HTTP_LISTING_COUNT, MAX_SCAN_COUNT } from "../../core/listing-limits.js";
import {
  checkSize,
  clientGone,
  decodeBody,
  encodeBody,
  type BodyEncoding,
  type HttpContext,
  whenDurable,
} from "./context.js";
import {
  MAX_COUNT,
  MAX_RETRY_SECONDS,
  MAX_TIMEOUT_MS,
  MAX_TTL_SECONDS,
  checkQueueName,
} from "../../core/limits.js";
import { HttpError, errorSchema } from "./errors.js";

/**
 * The native JSON API under /v1 (docs/http.md). Every handler translates
 * one request into broker calls and the result into JSON; nothing more.
 */

const queueParams = {
  type: "object",
  required: ["queue"],
  properties: { queue: { type: "string", description: "queue name (URL-encoded)" } },
} as const;
const idParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", description: "job id, URL-encoded (ids contain + and /)" } },
} as const;
const encodingQuery = {
  type: "object",
  properties: { encoding: { type: "string", enum: ["json", "utf8", "base64"] } },
  additionalProperties: false,
} as const;

const addOptions = {
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
const addIntegers = Object.keys(addOptions);

const addJsonBody = {
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

const addRawQuery = {
  type: "object",
  additionalProperties: false,
  properties: { ...addOptions, front: { type: "boolean" } },
} as const;

const fetchBody = {
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

const pauseBody = {
  type: "object",
  required: ["state"],
  additionalProperties: false,
  properties: { state: { type: "string", enum: ["in", "out", "all", "none"] } },
} as const;

const errors = { "4xx": errorSchema, "5xx": errorSchema };

interface AddOptions {
  ttl?: number;
  retry?: number;
  delay?: number;
  maxlen?: number;
  replicate?: number;
  retries?: number;
  front?: boolean;
}

export function deliveryJson(d: Delivery, encoding?: BodyEncoding) {
  return {
    queue: d.queue,
    id: d.id,
    seq: d.seq,
    ...encodeBody(d.body, encoding),
    nacks: d.nacks,
    additionalDeliveries: d.additionalDeliveries,
  };
}

export function jobJson(j: JobInfo, encoding?: BodyEncoding) {
  return {
    id: j.id,
    seq: j.seq,
    queue: j.queue,
    state: j.state,
    repl: j.repl,
    ttl: j.ttl,
    createdAt: j.createdAt,
    expiresAt: j.expiresAt,
    delay: j.delay,
    retry: j.retry,
    nacks: j.nacks,
    additionalDeliveries: j.additionalDeliveries,
    requeueAt: j.requeueAt,
    awakeAt: j.awakeAt,
    ...encodeBody(j.body, encoding),
  };
}

function deadLetterJson(d: DeadLetterInfo, encoding?: BodyEncoding) {
  return {
    id: d.id,
    seq: d.seq,
    queue: d.queue,
    ...encodeBody(d.body, encoding),
    ...(d.clientKey === undefined ? {} : { eventId: d.clientKey }),
    reason: d.reason,
    at: d.at,
  };
}

function statsJson(s: QueueStats) {
  return { ...s };
}

function noJob(id: string): HttpError {
  return new HttpError("NOJOB", `Job not known in the context of this node: ${id}`);
}

export function registerNative(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;

  const add = async (queue: string, body: Buffer, opts: AddOptions) => {
    checkSize(ctx, body);
    const result = await broker.addJob({
      queue,
      body,
      ttl: opts.ttl,
      retry: opts.retry,
      delay: opts.delay,
      maxlen: opts.maxlen,
      replicate: opts.replicate,
      retryBudget: opts.retries,
      placement: opts.front ? "front" : "creation",
    });
    await whenDurable(ctx);
    return { id: result.id, seq: result.seq, queue };
  };

  app.post<{ Params: { queue: string }; Querystring: AddOptions; Body: unknown }>(
    "/v1/queues/:queue/jobs",
    {
      config: { write: true, integers: addIntegers },
      schema: {
        summary: "Add a job",
        description:
          "JSON request: an envelope {body, encoding?, ttl?, retry?, delay?, maxlen?, front?}. " +
          "Any other content type: the request body is the job's bytes, options in the query string.",
        params: queueParams,
        querystring: addRawQuery,
        body: { content: { "application/json": { schema: addJsonBody } } },
        response: {
          201: {
            type: "object",
            properties: { id: { type: "string" }, seq: { type: "integer" }, queue: { type: "string" } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { queue } = request.params;
      let result;
      if (Buffer.isBuffer(request.body)) {
        result = await add(queue, request.body, request.query);
      } else {
        const env = request.body as AddOptions & { body: unknown; encoding?: BodyEncoding };
        if (Object.keys(request.query).length > 0) {
          throw new HttpError("BADREQUEST", "with a JSON request, options go in the JSON envelope");
        }
        result = await add(queue, decodeBody(env.body, env.encoding), env);
      }
      return reply.code(201).send(result);
    },
  );

  app.post<{ Body: { queues: string[]; count: number; timeout: number; encoding?: BodyEncoding } }>(
    "/v1/fetch",
    {
      config: { write: true, integers: ["count", "timeout"] },
      schema: {
        summary: "Fetch jobs from several queues (long poll)",
        description:
          "Takes up to count jobs, one per queue per round, left to right. When none is available, waits " +
          "up to timeout ms for the first one (then answers exactly one). Nothing in time: {jobs: []}.",
        body: fetchBody,
        response: errors,
      },
    },
    async (request, reply) => {
      const { queues, count, timeout, encoding } = request.body;
      for (const queue of queues) checkQueueName(queue);
      const gone = clientGone(ctx, reply);
      try {
        const taken = await broker.getJobs({
          queues,
          count,
          nohang: timeout === 0,
          timeoutMs: timeout,
          signal: gone.signal,
        });
        // jobs taken as the client left go back; this reply reaches no one
        const jobs = await ctx.gate.handOver(taken, () => gone.signal.aborted);
        return { jobs: (jobs ?? []).map((d) => deliveryJson(d, encoding)) };
      } finally {
        gone.done();
      }
    },
  );

  const existing = async (id: string): Promise<JobInfo> => {
    const info = await broker.show(id);
    if (!info) throw noJob(id);
    return info;
  };

  app.get<{ Params: { id: string }; Querystring: { encoding?: BodyEncoding } }>(
    "/v1/jobs/:id",
    { schema: { summary: "Show a job", params: idParams, querystring: encodingQuery, response: errors } },
    async (request) => jobJson(await existing(request.params.id), request.query.encoding),
  );

  app.get<{ Params: { id: string } }>(
    "/v1/jobs/:id/body",
    {
      schema: {
        summary: "A job's body as raw bytes (application/octet-stream)",
        params: idParams,
        response: errors,
      },
    },
    async (request, reply) => {
      const info = await existing(request.params.id);
      return reply.type("application/octet-stream").send(info.body);
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/jobs/:id/ack",
    {
      config: { write: true },
      schema: { summary: "Acknowledge a job (it is done and removed)", params: idParams, response: errors },
    },
    async (request) => {
      await existing(request.params.id);
      const acked = await broker.ackJobs([request.params.id]);
      await whenDurable(ctx);
      return { acked };
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/jobs/:id/nack",
    {
      config: { write: true },
      schema: {
        summary: "Negative acknowledge: put a delivered job back in its queue now",
        description: "nacked is 0 when the job was not delivered (queued, delayed, or RETRY 0).",
        params: idParams,
        response: errors,
      },
    },
    async (request) => {
      await existing(request.params.id);
      const nacked = await broker.nack([request.params.id]);
      await whenDurable(ctx);
      return { nacked };
    },
  );

  app.post<{ Params: { id: string } }>(
    "/v1/jobs/:id/working",
    {
      config: { write: true },
      schema: {
        summary: "Extend a delivered job's lease by its retry time",
        params: idParams,
        response: errors,
      },
    },
    async (request) => {
      const retry = await broker.working(request.params.id);
      await whenDurable(ctx);
      return { retry };
    },
  );

  app.delete<{ Params: { id: string } }>(
    "/v1/jobs/:id",
    {
      config: { write: true },
      schema: { summary: "Delete a job, whatever its state", params: idParams, response: errors },
    },
    async (request) => {
      const deleted = await broker.deleteJobs([request.params.id]);
      if (deleted === 0) throw noJob(request.params.id);
      await whenDurable(ctx);
      return { deleted };
    },
  );

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
      const redriven = await broker.redrive(request.params.queue, count);
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
