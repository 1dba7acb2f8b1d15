import type { RespContext } from "./context.js";
import { ErrorReply, type Reply } from "./transport/reply.js";

/**
 * A write's reply leaves only once the write is as durable as the fsync
 * policy promises (DESIGN.md rule 4). `async` (ADDJOB ASYNC, okq NOBLOCK)
 * replies at once. When the journal cannot write, the reply is MISCONF.
 */
export function replyWhenDurable(ctx: RespContext, reply: Reply, async: boolean): Reply | Promise<Reply> {
  if (async) return reply;
  const durable = ctx.broker.whenDurable();
  if (!durable) return reply;
  return durable.then(
    () => reply,
    (error: Error) => new ErrorReply(`MISCONF ${error.message}`),
  );
}
