import type { FastifyInstance } from "fastify";
import type { HttpContext } from "./context.js";
import { registerQueueAdminRoutes } from "./native-admin.js";
import { registerBrowseRoutes } from "./native-browse.js";
import { registerDeadLetterRoutes } from "./native-deadletters.js";
import { registerFailureRoutes } from "./native-failures.js";
import { registerJobRoutes } from "./native-jobs.js";
import { registerQueueRoutes } from "./native-queues.js";
import { registerScheduleRoutes } from "./native-schedules.js";

/**
 * The native JSON API under /v1 (docs/http.md). Every handler translates
 * one request into broker calls and the result into JSON; nothing more.
 * Registered in this order so the OpenAPI document lists the routes as before.
 */
export function registerNative(app: FastifyInstance, ctx: HttpContext): void {
  registerJobRoutes(app, ctx);
  registerFailureRoutes(app, ctx);
  registerQueueRoutes(app, ctx);
  registerDeadLetterRoutes(app, ctx);
  registerQueueAdminRoutes(app, ctx);
  registerBrowseRoutes(app, ctx);
  registerScheduleRoutes(app, ctx);
}
