import type { RespContext } from "./context.js";
import type { Reply } from "./transport/reply.js";

/**
 * A write's reply leaves only once the write is as durable as the fsync
 * policy promises (DESIGN.md rule 4): the store's write gate waits for it.
 * `async` (ADDJOB ASYNC, okq NOBLOCK) replies at once. When the journal
 * cannot write, the gate rejects with MISCONF, which the command table's
 * guard turns into the `-MISCONF …` reply.
 */
export function replyWhenDurable(ctx: RespContext, reply: Reply, async: boolean): Reply | Promise<Reply> {
  return async ? reply : ctx.server.gate.durable(reply);
}
