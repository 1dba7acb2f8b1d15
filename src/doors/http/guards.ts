import type { FastifyInstance, FastifyRequest } from "fastify";
import { checkQueueName, integerText } from "../../core/limits.js";
import type { WriteGate } from "../../stores/store.js";
import { HttpError } from "./errors.js";

/**
 * What a route declares in its `config` for the checks every route family
 * shares (installGuards): whether it writes, and which of its query or
 * body fields are integers.
 */
declare module "fastify" {
  interface FastifyContextConfig {
    /** changes jobs or queues (a delivery too, as RESP's GETJOB): refused while the journal cannot write */
    write?: boolean;
    /** query-string or top-level body fields that must be integers */
    integers?: readonly string[];
  }
}

function checkIntegers(request: FastifyRequest, names: readonly string[]): void {
  for (const source of [request.query, request.body]) {
    if (typeof source !== "object" || source === null || Buffer.isBuffer(source)) continue;
    const fields = source as Record<string, unknown>;
    for (const name of names) {
      const value = fields[name];
      if (value === undefined || typeof value === "number") continue; // the schema checks its range
      // Text must be a plain integer: the schema's type coercion would take "1e3", "0x10", true or [5].
      if (typeof value !== "string" || integerText(value) === undefined) {
        throw new HttpError("BADREQUEST", `${name} is not an integer or out of range`);
      }
    }
  }
}

/**
 * The checks every HTTP route shares, as hooks: the queue name rule on a
 * `:queue` parameter, strict integer text, and writes refused before they
 * change anything while the journal cannot write (as RESP's -MISCONF),
 * so that a client never gets an error for a change that was made.
 */
export function installGuards(app: FastifyInstance, gate: WriteGate): void {
  app.addHook("preValidation", async (request) => {
    const queue = (request.params as { queue?: unknown } | undefined)?.queue;
    if (typeof queue === "string") checkQueueName(queue);
    const integers = request.routeOptions.config.integers;
    if (integers) checkIntegers(request, integers);
  });
  app.addHook("preHandler", async (request) => {
    if (request.routeOptions.config.write !== true) return;
    gate.checkWrite();
  });
}
