import type { FastifyInstance, FastifyReply } from "fastify";
import { ackTask, dequeueTask, enqueueTask } from "../taskq/tasks.js";
import { checkSize, type HttpContext, whenDurable } from "./context.js";

/**
 * TaskQ's HTTP routes (DIALECTS.md section 3), answered as TaskQ (a Go
 * server) measured: plain-text lines, and `500 taskq: …` for an empty
 * queue or an unknown task. The request body is the task, taken as raw
 * bytes whatever its Content-Type. Errors that are docket's own (a bad
 * queue name, a password, the memory bound, a journal that cannot write)
 * keep the HTTP door's JSON errors: TaskQ had none of them.
 */

const TEXT = "text/plain; charset=utf-8";

/** What Go's http.Error sends: the message and a newline, as text, with nosniff. */
function goError(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(500).header("x-content-type-options", "nosniff").type(TEXT).send(`${message}\n`);
}

/** JSON text as Go's json.Encoder writes it: <, >, & and U+2028/2029 escaped. */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** A task number is a JSON number, as Go's uint64; a job added by another door is named by its id. */
function jsonId(id: string): number | string {
  return /^[0-9]{1,15}$/.test(id) ? Number(id) : id;
}

const queueParams = {
  type: "object",
  required: ["queue"],
  properties: { queue: { type: "string" } },
} as const;

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
        summary: "TaskQ: enqueue; the request body is the task. 200 `task <id> enqueued`",
        params: queueParams,
      },
    },
    async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      checkSize(ctx, body);
      const id = await enqueueTask(broker, request.params.queue, body, "http");
      await whenDurable(ctx);
      return reply.type(TEXT).send(`task ${id} enqueued\n`);
    },
  );

  app.post<{ Params: { queue: string } }>(
    "/apps/taskq/:queue/tasks/deque",
    {
      config: { write: true },
      schema: {
        tags: ["taskq"],
        summary: 'TaskQ: dequeue one task: 200 `{"id","queue","body" (base64)}`; 500 when the queue is empty',
        params: queueParams,
      },
    },
    async (request, reply) => {
      const { queue } = request.params;
      const task = await dequeueTask(broker, queue);
      if (!task) return goError(reply, "taskq: no task in queue");
      const json = goJson({ id: jsonId(task.id), queue, body: task.body.toString("base64") });
      return reply.type(TEXT).send(`${json}\n`);
    },
  );

  app.delete<{ Params: { queue: string; id: string } }>(
    "/apps/taskq/:queue/tasks/:id",
    {
      config: { write: true },
      schema: {
        tags: ["taskq"],
        summary: "TaskQ: acknowledge task ID: 200 `task <id> acknowledged`; 500 when unknown",
        params: {
          type: "object",
          required: ["queue", "id"],
          properties: { queue: { type: "string" }, id: { type: "string" } },
        },
      },
    },
    async (request, reply) => {
      const acked = await ackTask(broker, request.params.queue, request.params.id);
      if (acked === null) return goError(reply, "taskq: no such task");
      await whenDurable(ctx);
      return reply.type(TEXT).send(`task ${acked} acknowledged\n`);
    },
  );
}
