import type { FastifyInstance } from "fastify";
import type { ScheduleDefinition, ScheduleInfo } from "../../core/contract.js";
import { encodeBody, whenDurable, type HttpContext } from "./context.js";
import { HttpError } from "./errors.js";
import { errors } from "./native-schemas.js";
import {
  scheduleBody,
  scheduleListQuery,
  scheduleParams,
  type ScheduleBody,
} from "./native-schedule-schemas.js";

/** GET /v1/schedules' page size when `count` is not given */
const DEFAULT_LIST_COUNT = 100;

/** A schedule as JSON: its definition, the template's body as text (base64 when not UTF-8), its progress. */
export function scheduleJson(info: ScheduleInfo) {
  const t = info.template;
  const body = encodeBody(t.body, "utf8");
  return {
    name: info.name,
    cron: info.cron ?? null,
    timezone: info.timezone ?? null,
    everyMs: info.everyMs ?? null,
    template: {
      queue: t.queue,
      body: body.body,
      encoding: body.encoding,
      ttl: t.ttl ?? null,
      retry: t.retry ?? null,
      priority: t.priority ?? null,
      group: t.group ?? null,
      retries: t.retryBudget ?? null,
      runTimeoutMs: t.runTimeoutMs ?? null,
    },
    nextRunAt: info.nextRunAt,
    lastRunAt: info.lastRunAt,
    lastJobId: info.lastJobId,
    runs: info.runs,
    createdAt: info.createdAt,
  };
}

function definitionOf(name: string, body: ScheduleBody): ScheduleDefinition {
  const { template: t } = body;
  return {
    name,
    ...(body.cron !== undefined && { cron: body.cron }),
    ...(body.timezone !== undefined && { timezone: body.timezone }),
    ...(body.everyMs !== undefined && { everyMs: body.everyMs }),
    template: {
      queue: t.queue,
      body: Buffer.from(t.body, "utf8"),
      ...(t.ttl !== undefined && { ttl: t.ttl }),
      ...(t.retry !== undefined && { retry: t.retry }),
      ...(t.priority !== undefined && { priority: t.priority }),
      ...(t.group !== undefined && { group: t.group }),
      ...(t.retries !== undefined && { retryBudget: t.retries }),
      ...(t.runTimeoutMs !== undefined && { runTimeoutMs: t.runTimeoutMs }),
    },
  };
}

/** Recurring jobs (docs/schedules.md): list, read, upsert and remove schedules. */
export function registerScheduleRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;

  app.get<{ Querystring: { cursor?: string; count?: number } }>(
    "/v1/schedules",
    {
      schema: {
        summary:
          'Schedules in name order, a page at a time (cursor "0" or absent: the start; "0" back: the end)',
        querystring: scheduleListQuery,
        response: errors,
      },
    },
    async (request) => {
      const page = await broker.listSchedules(
        request.query.cursor ?? "0",
        request.query.count ?? DEFAULT_LIST_COUNT,
      );
      return { cursor: page.cursor, schedules: page.items.map(scheduleJson) };
    },
  );

  app.get<{ Params: { name: string } }>(
    "/v1/schedules/:name",
    { schema: { summary: "One schedule, with its progress", params: scheduleParams, response: errors } },
    async (request) => {
      const info = await broker.getSchedule(request.params.name);
      if (!info) throw new HttpError("NOTFOUND", `no schedule named ${request.params.name}`);
      return scheduleJson(info);
    },
  );

  app.put<{ Params: { name: string }; Body: ScheduleBody }>(
    "/v1/schedules/:name",
    {
      config: { write: true },
      schema: {
        summary: "Create or replace a schedule (the same timing keeps its next run)",
        params: scheduleParams,
        body: scheduleBody,
        response: errors,
      },
    },
    async (request) => {
      const info = await broker.upsertSchedule(definitionOf(request.params.name, request.body));
      await whenDurable(ctx);
      return scheduleJson(info);
    },
  );

  app.delete<{ Params: { name: string } }>(
    "/v1/schedules/:name",
    {
      config: { write: true },
      schema: {
        summary: "Remove a schedule: removed 1, or 0 when unknown",
        params: scheduleParams,
        response: errors,
      },
    },
    async (request) => {
      const removed = await broker.removeSchedule(request.params.name);
      await whenDurable(ctx);
      return { name: request.params.name, removed };
    },
  );
}
