import type { FastifyInstance } from "fastify";
import type { NackOptions } from "../../core/contract.js";
import { checkNackOptions } from "../../core/failures.js";
import { checkSize, decodeBody, whenDurable, type BodyEncoding, type HttpContext } from "./context.js";
import { HttpError } from "./errors.js";
import { existingJob, resultJson } from "./native-json.js";
import {
  ackBody,
  encodingOnlyQuery,
  errors,
  idParams,
  nackBody,
  nackIntegers,
  type NackBody,
} from "./native-schemas.js";

/**
 * The native routes that end a job's attempt (docs/failures.md): ack (with
 * its result), nack (with a delay or backoff, the error, the budget), and
 * the result an ack left.
 */
export function registerFailureRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { broker } = ctx;

  app.post<{ Params: { id: string }; Body: { result?: unknown; encoding?: BodyEncoding } | null }>(
    "/v1/jobs/:id/ack",
    {
      config: { write: true },
      schema: {
        summary: "Acknowledge a job (it is done and removed); result: kept for result-ttl seconds",
        description:
          "Body (optional): {result, encoding?}: what the job produced, returned by " +
          "GET /v1/jobs/:id/result and WAITJOB … WITHRESULT.",
        params: idParams,
        body: ackBody,
        response: errors,
      },
    },
    async (request) => {
      const { id } = request.params;
      const body = request.body;
      let result: Buffer | undefined;
      if (body && body.result !== undefined) {
        result = decodeBody(body.result, body.encoding);
        checkSize(ctx, result);
      }
      await existingJob(ctx, id);
      const acked = await (result === undefined ? broker.ackJobs([id]) : broker.ackJobs([id], result));
      await whenDurable(ctx);
      return { acked };
    },
  );

  app.post<{ Params: { id: string }; Body: NackBody | null }>(
    "/v1/jobs/:id/nack",
    {
      config: { write: true, integers: nackIntegers },
      schema: {
        summary: "Fail a delivered job: it spends a retry and is queued again, or dead-lettered",
        description:
          "Body (optional): {delay?, backoff?, error?, timedOut?, retries?} (docs/failures.md). " +
          "Without delay or backoff the job is queued again at once. nacked is 0 when the job was " +
          "not delivered (queued, delayed, or RETRY 0).",
        params: idParams,
        body: nackBody,
        response: errors,
      },
    },
    async (request) => {
      const { id } = request.params;
      const options = nackOptions(request.body);
      await existingJob(ctx, id);
      const nacked = await (options === undefined ? broker.nack([id]) : broker.nack([id], options));
      await whenDurable(ctx);
      return { nacked };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { encoding?: BodyEncoding } }>(
    "/v1/jobs/:id/result",
    {
      schema: {
        summary: "What an acked job produced, while it is kept (result-ttl)",
        params: idParams,
        querystring: encodingOnlyQuery,
        response: errors,
      },
    },
    async (request) => {
      const kept = await broker.result(request.params.id);
      if (!kept) {
        throw new HttpError("NORESULT", `no result kept for job ${request.params.id}`);
      }
      return resultJson(kept, request.query.encoding);
    },
  );
}

/** The NackOptions of a request body; undefined for none (a plain nack). */
function nackOptions(body: NackBody | null | undefined): NackOptions | undefined {
  if (!body || Object.keys(body).length === 0) return undefined;
  if (body.delay !== undefined && body.backoff) {
    throw new HttpError("BADREQUEST", "nack takes delay or backoff, not both");
  }
  const options: NackOptions = {};
  if (body.delay !== undefined) options.delayMs = body.delay;
  if (body.backoff !== undefined) options.backoff = body.backoff;
  if (body.error !== undefined) options.error = body.error;
  if (body.timedOut !== undefined) options.timedOut = body.timedOut;
  if (body.retries !== undefined) options.retries = body.retries;
  checkNackOptions(options);
  return options;
}
