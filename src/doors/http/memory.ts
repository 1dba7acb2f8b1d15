import type { FastifyInstance } from "fastify";
import { OOM_MESSAGE, type MemoryBudget } from "../../util/memory.js";
import { errorBody } from "./errors.js";

/** The routes that add jobs: refused with 507 while memory is over --maxmemory (RESP's `denyoom`). */
const DENYOOM_ROUTES = new Set(["/v1/queues/:queue/jobs", "/enqueue/:queue", "/apps/taskq/:queue/tasks"]);

/**
 * The HTTP door's part of the server-wide memory bound (docs/resp.md,
 * "Memory bound"): routes that add jobs answer 507 `{"error": {"code":
 * "OOM"}}` above the bound, before their body is read; and each request
 * body in flight is counted (by its Content-Length) until the request ends.
 */
export function installMemoryBound(app: FastifyInstance, budget: MemoryBudget): void {
  app.addHook("onRequest", async (request, reply) => {
    if (request.method === "POST" && DENYOOM_ROUTES.has(request.routeOptions.url ?? "") && budget.full()) {
      return reply.code(507).type("application/json").send(errorBody("OOM", OOM_MESSAGE));
    }
    const length = Number(request.headers["content-length"] ?? 0);
    if (!(length > 0)) return;
    const raw = request.raw;
    const account = budget.open(() => raw.socket.destroy());
    raw.once("close", () => budget.close(account));
    budget.report(account, length);
  });
}
