import type { FastifyInstance } from "fastify";
import type { Delivery } from "../../core/contract.js";
import { MAX_HTTP_LISTING_COUNT } from "../../core/listing-limits.js";
import { checkSize, clientGone, encodeBody, type HttpContext, whenDurable } from "./context.js";
import { MAX_RETRY_SECONDS, MAX_TIMEOUT_MS, MAX_TTL_SECONDS, checkQueueName } from "../../core/limits.js";
import { waitForEntries } from "./emq-wait.js";
import { errorSchema } from "./errors.js";
import { parseJsonBody } from "./json.js";
import { queuesHoldingJobs } from "./queue-names.js";

/**
 * emq's HTTP/JSON routes (DIALECTS.md section 4). Request bodies are JSON
 * whatever the Content-Type says (emq's own examples use `curl --data`).
 */

const DEFAULT_RETRY_S = 300;
const DEFAULT_EXPIRY_S = 86400;

// Every body refuses fields it does not know (measured: emq answers 400).
const idsBody = {
  type: "object",
  additionalProperties: false,
  required: ["ids"],
  properties: { ids: { type: "array", items: { type: "string" } } },
} as const;
const errors = { "4xx": errorSchema, "5xx": errorSchema };

interface Task {
  id: string;
  content: unknown;
}

/** `content` was stored as JSON text; a job added another way comes back as its text. */
function task(id: string, body: Buffer): Task {
  const { body: content, encoding } = encodeBody(body);
  return { id, content: encoding === "base64" ? { base64: content } : content };
}

function taskOf(d: Delivery): Task {
  return task(d.id, d.body);
}

export function registerEmq(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, text, done) => {
    if (text === "") return done(null, undefined);
    try {
      done(null, parseJsonBody(text as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.post<{ Params: { queue: string }; Body: { content?: unknown; retry?: number; expiry?: number } }>(
    "/enqueue/:queue",
    {
      config: { write: true, integers: ["retry", "expiry"] },
      schema: {
        tags: ["emq"],
        summary: "emq: enqueue a task",
        params: { type: "object", properties: { queue: { type: "string" } } },
        body: {
          type: "object",
          additionalProperties: false,
          properties: {
            content: {},
            retry: { type: "integer", minimum: 0, maximum: MAX_RETRY_SECONDS },
            expiry: { type: "integer", minimum: 1, maximum: MAX_TTL_SECONDS },
          },
        },
        response: errors,
      },
    },
    async (request) => {
      const body = Buffer.from(JSON.stringify(request.body.content ?? null), "utf8");
      checkSize(ctx, body);
      const expiry = request.body.expiry ?? DEFAULT_EXPIRY_S;
      const result = await broker.addJob({
        queue: request.params.queue,
        body,
        ttl: expiry,
        retry: request.body.retry ?? Math.min(DEFAULT_RETRY_S, expiry),
        origin: "http",
      });
      await whenDurable(ctx);
      return { id: result.id };
    },
  );

  app.post<{ Body: { timeout?: number; queues: string[] } }>(
    "/wait/",
    {
      config: { write: true, integers: ["timeout"] },
      schema: {
        tags: ["emq"],
        summary: "emq: one task per listed queue, answered when all are filled or after timeout ms",
        body: {
          type: "object",
          additionalProperties: false,
          required: ["queues"],
          properties: {
            timeout: { type: "integer", minimum: 0, maximum: MAX_TIMEOUT_MS },
            // At most one reply's worth of tasks, as a peek: each wake-up walks the entries.
            queues: { type: "array", maxItems: MAX_HTTP_LISTING_COUNT, items: { type: "string" } },
          },
        },
        response: errors,
      },
    },
    async (request, reply) => {
      const { queues } = request.body;
      queues.forEach(checkQueueName);
      const gone = clientGone(ctx, reply);
      try {
        const tasks = await waitForEntries(broker, ctx.clock, queues, request.body.timeout ?? 0, gone.signal);
        // null: the client went away and what was taken went back; this reply reaches no one.
        return (tasks ?? []).map((d) => (d === null ? null : taskOf(d)));
      } finally {
        gone.done();
      }
    },
  );

  const byIds = (path: string, summary: string, op: (ids: string[]) => Promise<number>, key: string) =>
    app.post<{ Body: { ids: string[] } }>(
      path,
      { config: { write: true }, schema: { tags: ["emq"], summary, body: idsBody, response: errors } },
      async (request) => {
        const n = await op(request.body.ids);
        await whenDurable(ctx);
        return { [key]: n };
      },
    );
  byIds("/ack/", "emq: the tasks are done and deleted", async (ids) => broker.ackJobs(ids), "acked");
  // Each nak'ed task goes to the back of its queue (measured), not to its own place as Disque's NACK.
  byIds(
    "/nak/",
    "emq: the tasks failed; each goes to the back of its queue",
    async (ids) => broker.nack(ids, { placement: "back" }),
    "nacked",
  );

  app.get<{ Params: { queue: string }; Querystring: { n: number } }>(
    "/peek/:queue",
    {
      schema: {
        tags: ["emq"],
        summary: "emq: up to n queued tasks, not dispatched",
        params: { type: "object", properties: { queue: { type: "string" } } },
        // n missing or not a number: 400 (measured).
        querystring: {
          type: "object",
          required: ["n"],
          properties: { n: { type: "integer", minimum: 0, maximum: MAX_HTTP_LISTING_COUNT } },
        },
        response: errors,
      },
    },
    async (request) => {
      const jobs = await broker.qpeek(request.params.queue, request.query.n);
      return jobs.map((j) => task(j.id, j.body));
    },
  );

  app.get(
    "/queues/",
    { schema: { tags: ["emq"], summary: "emq: names of the queues that hold tasks" } },
    async () => (await queuesHoldingJobs(broker)).sort(),
  );
}
