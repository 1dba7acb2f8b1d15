import type { FastifyInstance } from "fastify";
import type { PauseOp } from "../../core/contract.js";
import { httpConsumer, whenDurable, type HttpContext } from "./context.js";
import type { Consumer } from "../../core/explain.js";
import { errors, pauseBody, queueParams } from "./native-schemas.js";

/** The native routes that administer a queue's pause state (pause, resume); dead letters: native-deadletters.ts. */
export function registerQueueAdminRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;

  const pause = async (queue: string, op: PauseOp, by: Consumer) => {
    const state = await broker.pause(queue, [op], by);
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
    async (request) => pause(request.params.queue, request.body.state, httpConsumer(request)),
  );

  app.post<{ Params: { queue: string } }>(
    "/v1/queues/:queue/resume",
    {
      config: { write: true },
      schema: { summary: "Unpause a queue (pause none)", params: queueParams, response: errors },
    },
    async (request) => pause(request.params.queue, "none", httpConsumer(request)),
  );
}
