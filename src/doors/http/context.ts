import { isUtf8 } from "node:buffer";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Consumer } from "../../core/explain.js";
import type { Broker } from "../../core/contract.js";
import type { Clock } from "../../core/clock.js";
import type { WriteGate } from "../../stores/store.js";
import { HttpError } from "./errors.js";

/** What every route family needs from the server. */
export interface HttpContext {
  broker: Broker;
  /** the one write gate every door goes through (src/stores/store.ts) */
  gate: WriteGate;
  /** the store's clock: a long poll's deadline is on the clock of the store's own time-outs */
  clock: Clock;
  /** largest job body, read per request (CONFIG SET may change it) */
  maxJobSize(): number;
  /** an add found its idempotency key taken (docket_idempotent_duplicates_total) */
  onDuplicate(): void;
  /** one controller per long poll in flight; closing the door aborts them all */
  waits: Set<AbortController>;
}

/** How a job body travels in JSON: see docs/http.md, "Job bodies". */
export type BodyEncoding = "json" | "utf8" | "base64";

export interface EncodedBody {
  body: unknown;
  encoding: BodyEncoding;
}

/**
 * Encodes stored bytes for a JSON reply so that they round-trip exactly:
 * `json` when the bytes are exactly the canonical JSON text of a value
 * (what a JSON add stores), else `utf8` when they are valid UTF-8, else
 * `base64`. `force` picks one encoding (json falls back to utf8/base64).
 */
export function encodeBody(bytes: Buffer, force?: BodyEncoding): EncodedBody {
  if (force === "base64") return { body: bytes.toString("base64"), encoding: "base64" };
  if (!isUtf8(bytes)) return { body: bytes.toString("base64"), encoding: "base64" };
  const text = bytes.toString("utf8");
  if (force !== "utf8") {
    try {
      const value: unknown = JSON.parse(text);
      if (JSON.stringify(value) === text) return { body: value, encoding: "json" };
    } catch {
      // not JSON: plain text
    }
  }
  return { body: text, encoding: "utf8" };
}

/** The bytes a JSON request's `body` + `encoding` stand for. */
export function decodeBody(body: unknown, encoding: BodyEncoding = "json"): Buffer {
  if (encoding === "json") return Buffer.from(JSON.stringify(body) ?? "null", "utf8");
  if (typeof body !== "string")
    throw new HttpError("BADREQUEST", `body must be a string with encoding ${encoding}`);
  if (encoding === "utf8") return Buffer.from(body, "utf8");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
    throw new HttpError("BADREQUEST", "body is not valid base64");
  }
  return Buffer.from(body, "base64");
}

/**
 * Waits until the request's change is as durable as the fsync policy
 * promises. Should the journal fail after the change was made (a write in
 * flight when the disk filled; later writes are refused before any change),
 * the answer is a 500 MISCONF naming the failure, as RESP's -MISCONF.
 */
export async function whenDurable(ctx: HttpContext): Promise<void> {
  try {
    await ctx.gate.durable(undefined);
  } catch (error) {
    throw new HttpError("MISCONF", (error as Error).message, 500);
  }
}

export function checkSize(ctx: HttpContext, bytes: Buffer): void {
  const limit = ctx.maxJobSize();
  if (bytes.length > limit) {
    throw new HttpError("TOOLARGE", `job body too big: ${bytes.length} bytes, the limit is ${limit}`);
  }
}

/**
 * An AbortSignal that fires when the client goes away before its reply was
 * sent (or the door closes), so a long poll releases its wait and takes nothing.
 */
export function clientGone(ctx: HttpContext, reply: FastifyReply): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  ctx.waits.add(controller);
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort();
  };
  reply.raw.on("close", onClose);
  return {
    signal: controller.signal,
    done: () => {
      ctx.waits.delete(controller);
      reply.raw.off("close", onClose);
    },
  };
}

/**
 * An HTTP request as EXPLAIN's consumer (who fetched, who paused): HTTP has
 * no connection ids, so its id is "http" and its address the peer's.
 */
export function httpConsumer(request: FastifyRequest): Consumer {
  const socket = request.raw.socket;
  return { id: "http", addr: `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}` };
}
