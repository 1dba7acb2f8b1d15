import type { FastifyError, FastifyInstance } from "fastify";
import { BrokerError } from "../../core/contract.js";

/**
 * HTTP status for every error code. Broker codes are the RESP ones
 * (BrokerError.code); the rest exist only on the HTTP door.
 */
export const STATUS_BY_CODE: Record<string, number> = {
  // broker codes, as RESP sends them
  ERR: 400,
  BADID: 400,
  NOJOB: 404,
  MAXLEN: 409,
  PAUSED: 409,
  TOOLATE: 409,
  DUPLICATE: 409,
  NOREPL: 503,
  OOM: 507,
  // the journal cannot write (disk full, I/O error): nothing changed, try again later
  MISCONF: 503,
  // the Redis store is unreachable: nothing to do but retry (Retry-After says when)
  TRYAGAIN: 503,
  // HTTP door only
  BADREQUEST: 400,
  UNAUTHORIZED: 401,
  NOTFOUND: 404,
  NOQUEUE: 404,
  // no result kept for the job (never acked with one, or past result-ttl)
  NORESULT: 404,
  TOOLARGE: 413,
  UNSUPPORTED: 415,
  INTERNAL: 500,
};

/** what a 503 TRYAGAIN (the store unreachable) asks the client to wait: Redis reconnects within it */
export const RETRY_AFTER_SECONDS = 1;

/** An error the HTTP door raises itself. */
export class HttpError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = STATUS_BY_CODE[code] ?? 500,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** JSON schema of the error body, for the OpenAPI document. */
export const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" } },
    },
  },
} as const;

/** Maps any thrown value to a status and the `{"error": {code, message}}` body. */
export function toHttpError(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof HttpError) return { status: error.status, body: errorBody(error.code, error.message) };
  if (error instanceof BrokerError) {
    return { status: STATUS_BY_CODE[error.code] ?? 500, body: errorBody(error.code, error.message) };
  }
  const fe = error as Partial<FastifyError>;
  if (fe.validation) return { status: 400, body: errorBody("BADREQUEST", fe.message ?? "invalid request") };
  const status = typeof fe.statusCode === "number" ? fe.statusCode : 500;
  if (status === 413) return { status, body: errorBody("TOOLARGE", fe.message ?? "request body too large") };
  if (status === 415)
    return { status, body: errorBody("UNSUPPORTED", fe.message ?? "unsupported media type") };
  if (status === 404) return { status, body: errorBody("NOTFOUND", fe.message ?? "not found") };
  if (status >= 400 && status < 500) {
    return { status, body: errorBody("BADREQUEST", fe.message ?? "bad request") };
  }
  return { status: 500, body: errorBody("INTERNAL", "internal error") };
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toHttpError(error);
    if (status >= 500) request.log.error({ err: error }, "request failed");
    if (body.error.code === "TRYAGAIN") void reply.header("retry-after", String(RETRY_AFTER_SECONDS));
    void reply.code(status).type("application/json").send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .type("application/json")
      .send(errorBody("NOTFOUND", `no route ${request.method} ${request.url.split("?")[0]}`));
  });
}
