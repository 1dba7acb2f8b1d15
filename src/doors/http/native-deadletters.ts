import type { FastifyInstance, FastifyRequest } from "fastify";
import type { DeadLetterSelection, QueuePolicy } from "../../core/contract.js";
import { checkQueuePolicy, parseBackoff } from "../../core/failures.js";
import { MAX_COUNT } from "../../core/limits.js";
import { checkGroupLimit, parseRateLimit } from "../../core/scheduling.js";
import { MAX_HTTP_LISTING_COUNT } from "../../core/listing-limits.js";
import { whenDurable, type BodyEncoding, type HttpContext } from "./context.js";
import { HttpError } from "./errors.js";
import { deadLetterJson, policyJson } from "./native-json.js";
import {
  encodingOnlyQuery,
  errors,
  idParams,
  policyBody,
  policyIntegers,
  policyTexts,
  queueParams,
  selectionBody,
  type PolicyBody,
  type SelectionBody,
} from "./native-schemas.js";

/**
 * The native routes of a queue's dead letters (list, one, redrive, purge)
 * and of its failure policy (docs/failures.md).
 */
export function registerDeadLetterRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;

  app.get<{ Params: { queue: string }; Querystring: { count?: number; encoding?: BodyEncoding } }>(
    "/v1/queues/:queue/deadletters",
    {
      schema: {
        summary: "Jobs that exhausted their retries, oldest first, with why, when and their attempts",
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

  app.get<{ Params: { id: string }; Querystring: { encoding?: BodyEncoding } }>(
    "/v1/deadletters/:id",
    {
      schema: {
        summary: "One dead letter by its job id, with its attempts",
        params: idParams,
        querystring: encodingOnlyQuery,
        response: errors,
      },
    },
    async (request) => {
      const letter = await broker.deadLetter(request.params.id);
      if (!letter) throw new HttpError("NOJOB", `no dead letter with id ${request.params.id}`);
      return deadLetterJson(letter, request.query.encoding);
    },
  );

  const selectionSchema = (summary: string) => ({
    config: { write: true, integers: ["count"] },
    schema: {
      summary,
      description: "Body: {count} (the oldest), {ids}, or {all: true}; no body: all.",
      params: queueParams,
      body: selectionBody,
      response: errors,
    },
  });

  app.post<{ Params: { queue: string }; Body: SelectionBody | null }>(
    "/v1/queues/:queue/redrive",
    selectionSchema("Move dead letters back into the queue as fresh jobs (new ids, a fresh retry budget)"),
    async (request) => {
      const { queue } = request.params;
      const redriven = await broker.redrive(queue, selection(request.body));
      await whenDurable(ctx);
      return { queue, redriven };
    },
  );

  app.post<{ Params: { queue: string }; Body: SelectionBody | null }>(
    "/v1/queues/:queue/deadletters/purge",
    selectionSchema("Drop dead letters"),
    async (request) => {
      const { queue } = request.params;
      const purged = await broker.purgeDeadLetters(queue, selection(request.body));
      await whenDurable(ctx);
      return { queue, purged };
    },
  );

  app.get<{ Params: { queue: string } }>(
    "/v1/queues/:queue/policy",
    {
      schema: {
        summary:
          "The queue's policy: the failure defaults its new jobs get (null: the server's), " +
          "its rate limit and its in-flight limit per group",
        params: queueParams,
        response: errors,
      },
    },
    async (request) => {
      const { queue } = request.params;
      return { queue, policy: policyJson(await broker.queuePolicy(queue)) };
    },
  );

  app.put<{ Params: { queue: string }; Body: PolicyBody }>(
    "/v1/queues/:queue/policy",
    {
      config: { write: true },
      preValidation: strictPolicyTypes,
      schema: {
        summary: "Replace the queue's policy (a setting absent or null: the server's default, or none)",
        description:
          "Body: {retries?, backoff?, runTimeout?, deadLetterCap?, rateLimit?, groupLimit?}; jobs added " +
          "from now on get the failure defaults; rateLimit and groupLimit apply to the next delivery.",
        params: queueParams,
        body: policyBody,
        response: errors,
      },
    },
    async (request) => {
      const { queue } = request.params;
      const after = await broker.setQueuePolicy(queue, queuePolicy(request.body));
      await whenDurable(ctx);
      return { queue, policy: policyJson(after) };
    },
  );
}

/** {count} | {ids} | {all} (none: all); two of them is a bad request. */
function selection(body: SelectionBody | null | undefined): DeadLetterSelection {
  const given = [body?.count, body?.ids, body?.all].filter((v) => v !== undefined).length;
  if (given > 1) throw new HttpError("BADREQUEST", "give one of count, ids and all");
  if (body?.all === false) throw new HttpError("BADREQUEST", "all must be true when given");
  if (body?.ids !== undefined) return { ids: body.ids };
  return { count: body?.count ?? MAX_COUNT };
}

function queuePolicy(body: PolicyBody): QueuePolicy {
  const policy: QueuePolicy = {};
  if (body.retries != null) policy.retryBudget = body.retries;
  if (body.backoff != null) policy.backoff = parseBackoff(body.backoff);
  if (body.runTimeout != null) policy.runTimeoutMs = body.runTimeout;
  if (body.deadLetterCap != null) policy.deadLetterCap = body.deadLetterCap;
  if (body.rateLimit != null) policy.rateLimit = parseRateLimit(body.rateLimit);
  if (body.groupLimit != null) policy.groupLimit = checkGroupLimit(body.groupLimit);
  checkQueuePolicy(policy);
  return policy;
}

/**
 * The policy's numbers as JSON numbers or null, before the schema's type
 * coercion could read "5", true or [5] as one (guards.ts does this for the
 * other routes, where null is no value).
 */
async function strictPolicyTypes(request: FastifyRequest): Promise<void> {
  const body = request.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return;
  const fields = body as Record<string, unknown>;
  for (const name of policyIntegers) {
    const value = fields[name];
    if (value !== undefined && value !== null && typeof value !== "number") {
      throw new HttpError("BADREQUEST", `${name} is not an integer or out of range`);
    }
  }
  for (const name of policyTexts) {
    const value = fields[name];
    if (value !== undefined && value !== null && typeof value !== "string") {
      throw new HttpError("BADREQUEST", `${name} must be its text form or null`);
    }
  }
}
