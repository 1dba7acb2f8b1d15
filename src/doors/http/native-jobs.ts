import { isUtf8 } from "node:buffer";
import type { FastifyInstance } from "fastify";
import type { AddJobRequest } from "../../core/contract.js";
import { parseBackoff } from "../../core/failures.js";
import { checkSchedulingOptions } from "../../core/scheduling.js";
import { checkQueueName } from "../../core/limits.js";
import {
  checkSize,
  clientGone,
  decodeBody,
  httpConsumer,
  whenDurable,
  type BodyEncoding,
  type HttpContext,
} from "./context.js";
import { HttpError } from "./errors.js";
import { deliveryJson, existingJob, jobJson, noJob } from "./native-json.js";
import {
  addIntegers,
  addJsonBody,
  addRawQuery,
  addReplies,
  encodingQuery,
  errors,
  fetchBody,
  idParams,
  queueParams,
  type AddOptions,
} from "./native-schemas.js";

/**
 * The Idempotency-Key header's text: Node reads header bytes as latin1, so
 * its UTF-8 bytes are decoded here, and the header names the key the body's
 * `key` would (a repeated header is a bad request).
 */
function headerText(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new HttpError("BADREQUEST", "one Idempotency-Key header at most");
  const bytes = Buffer.from(value, "latin1");
  if (!isUtf8(bytes)) throw new HttpError("BADREQUEST", "Idempotency-Key must be UTF-8");
  return bytes.toString("utf8");
}

/** The add's key: the body's or the header's; both and different is a bad request. */
function idempotencyKey(bodyKey: string | undefined, headerKey: string | undefined): string | undefined {
  if (bodyKey !== undefined && headerKey !== undefined && bodyKey !== headerKey) {
    throw new HttpError("BADREQUEST", "the Idempotency-Key header and the key field differ");
  }
  return bodyKey ?? headerKey;
}

/**
 * The native routes about single jobs: add, fetch (long poll), show, body,
 * working and delete (ack and nack: native-failures.ts).
 */
export function registerJobRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;

  const add = async (queue: string, body: Buffer, opts: AddOptions, headerKey: string | undefined) => {
    checkSize(ctx, body);
    const req: AddJobRequest = {
      queue,
      body,
      origin: "http",
      ttl: opts.ttl,
      retry: opts.retry,
      delay: opts.delay,
      maxlen: opts.maxlen,
      replicate: opts.replicate,
      retryBudget: opts.retries,
      backoff: opts.backoff === undefined ? undefined : parseBackoff(opts.backoff),
      runTimeoutMs: opts.runTimeout,
      placement: opts.front ? "front" : "creation",
      priority: opts.priority,
      key: idempotencyKey(opts.key, headerKey),
      keyTtl: opts.keyTtl,
      group: opts.group,
    };
    checkSchedulingOptions(req);
    const result = await broker.addJob(req);
    await whenDurable(ctx);
    if (result.duplicate) {
      ctx.onDuplicate();
      return { status: 200, json: { id: result.id, duplicate: true, state: result.state ?? "acked" } };
    }
    return { status: 201, json: { id: result.id, seq: result.seq, queue } };
  };

  app.post<{ Params: { queue: string }; Querystring: AddOptions; Body: unknown }>(
    "/v1/queues/:queue/jobs",
    {
      config: { write: true, integers: addIntegers },
      schema: {
        summary: "Add a job",
        description:
          "JSON request: an envelope {body, encoding?, ttl?, retry?, delay?, maxlen?, front?, retries?, " +
          "backoff?, runTimeout?, priority?, key?, keyTtl?, group?}. " +
          "Any other content type: the request body is the job's bytes, options in the query string. " +
          "The Idempotency-Key header is the same as key (both, and different: 400).",
        params: queueParams,
        querystring: addRawQuery,
        headers: {
          type: "object",
          properties: {
            "idempotency-key": { type: "string", description: "the same as the key field (UTF-8)" },
          },
        },
        body: { content: { "application/json": { schema: addJsonBody } } },
        response: { ...addReplies, ...errors },
      },
    },
    async (request, reply) => {
      const { queue } = request.params;
      const headerKey = request.headers["idempotency-key"];
      let result;
      if (Buffer.isBuffer(request.body)) {
        result = await add(queue, request.body, request.query, headerText(headerKey));
      } else {
        const env = request.body as AddOptions & { body: unknown; encoding?: BodyEncoding };
        if (Object.keys(request.query).length > 0) {
          throw new HttpError("BADREQUEST", "with a JSON request, options go in the JSON envelope");
        }
        result = await add(queue, decodeBody(env.body, env.encoding), env, headerText(headerKey));
      }
      return reply.code(result.status).send(result.json);
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
          consumer: httpConsumer(request),
        });
        // jobs taken as the client left go back; this reply reaches no one
        const jobs = await ctx.gate.handOver(taken, () => gone.signal.aborted);
        return { jobs: (jobs ?? []).map((d) => deliveryJson(d, encoding)) };
      } finally {
        gone.done();
      }
    },
  );

  const existing = (id: string) => existingJob(ctx, id);

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
}
