import { isUtf8 } from "node:buffer";
import type { FastifyInstance } from "fastify";
import type { JobInfo } from "../../broker.js";
import { checkSize, type HttpContext, whenDurable } from "./context.js";
import { HttpError, errorSchema } from "./errors.js";

/**
 * TaskQ's HTTP routes (DIALECTS.md section 3). The request body is the task,
 * taken as raw bytes whatever its Content-Type. Task ids are the jobs'
 * numeric `seq`. An empty queue on deque answers 404 with code EMPTY
 * (204 could not carry the JSON error body).
 */

/** TaskQ's lease was two to three minutes. */
export const TASKQ_LEASE_S = 150;

const errors = { "4xx": errorSchema, "5xx": errorSchema };
const queueParams = {
  type: "object",
  required: ["queue"],
  properties: { queue: { type: "string" } },
} as const;

function taskJson(id: number, queue: string, body: Buffer) {
  if (isUtf8(body)) return { id, queue, body: body.toString("utf8") };
  return { id, queue, body: body.toString("base64"), encoding: "base64" };
}

export function registerTaskq(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: ctx.maxJobSize() }, (_request, body, done) =>
    done(null, body),
  );

  app.post<{ Params: { queue: string } }>(
    "/apps/taskq/:queue/tasks",
    {
      config: { write: true },
      schema: {
        tags: ["taskq"],
        summary: "TaskQ: enqueue; the request body is the task",
        params: queueParams,
        response: errors,
      },
    },
    async (request) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      checkSize(ctx, body);
      const { seq } = await broker.addJob({ queue: request.params.queue, body, retry: TASKQ_LEASE_S });
      await whenDurable(ctx);
      return taskJson(seq, request.params.queue, body);
    },
  );

  app.post<{ Params: { queue: string } }>(
    "/apps/taskq/:queue/tasks/deque",
    {
      schema: {
        tags: ["taskq"],
        summary: "TaskQ: dequeue one task (404 EMPTY when none)",
        params: queueParams,
        response: errors,
      },
    },
    async (request) => {
      const { queue } = request.params;
      const got = await broker.getJobs({ queues: [queue], count: 1, nohang: true, timeoutMs: 0 });
      const job = got?.[0];
      if (!job) throw new HttpError("EMPTY", `queue ${JSON.stringify(queue)} has no task`);
      return taskJson(job.seq, queue, job.body);
    },
  );

  app.delete<{ Params: { queue: string; id: string } }>(
    "/apps/taskq/:queue/tasks/:id",
    {
      config: { write: true },
      schema: {
        tags: ["taskq"],
        summary: "TaskQ: acknowledge task ID (404 when unknown)",
        params: {
          type: "object",
          required: ["queue", "id"],
          properties: { queue: { type: "string" }, id: { type: "string" } },
        },
        response: errors,
      },
    },
    async (request) => {
      const { queue, id } = request.params;
      const notFound = () => new HttpError("NOJOB", `no task ${id} in queue ${JSON.stringify(queue)}`);
      if (!/^[0-9]{1,15}$/.test(id)) throw notFound();
      const info: JobInfo | null = await broker.showBySeq(Number(id));
      if (!info || info.queue !== queue) throw notFound();
      const acked = await broker.ackJobs([info.id]);
      if (acked === 0) throw notFound();
      await whenDurable(ctx);
      return { id: Number(id), queue, acked: true };
    },
  );
}
