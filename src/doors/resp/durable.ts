import { BrokerError } from "../../core/contract.js";
import type { WriteGate } from "../../stores/store.js";
import type { RespContext } from "./context.js";
import { HeldReply, type BarrierWaiter, type ReplyBarrier } from "./transport/held-reply.js";
import { ErrorReply, type Reply } from "./transport/reply.js";

/**
 * A write's reply leaves only once the write is as durable as the fsync
 * policy promises (DESIGN.md rule 4): the store's write gate waits for it.
 * `async` (ADDJOB ASYNC, okq NOBLOCK) replies at once. When the journal
 * cannot write, the gate fails the wait with MISCONF, which becomes the
 * `-MISCONF …` reply.
 *
 * The reply is held by the connection (transport/held-reply.ts) and
 * registered with the gate's `afterDurable`: a turn's durable replies share
 * the gate's one wait for the journal's write instead of a Promise each.
 */
export function replyWhenDurable(ctx: RespContext, reply: Reply, async: boolean): Reply | HeldReply {
  return async ? reply : new HeldReply(reply, durabilityOf(ctx.server.gate));
}

/** `-CODE message`, as the command table answers a BrokerError. */
export function brokerErrorReply(error: BrokerError): ErrorReply {
  return new ErrorReply(`${error.code} ${error.message}`);
}

/** The gate's durability as a ReplyBarrier. */
class Durability implements ReplyBarrier {
  constructor(readonly gate: WriteGate) {}

  wait(waiter: BarrierWaiter): boolean {
    return this.gate.afterDurable(waiter);
  }

  failed(error: unknown): Reply {
    if (error instanceof BrokerError) return brokerErrorReply(error);
    return new ErrorReply(`ERR ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** one server (one gate) per process, but tests run several: the last one's barrier is kept */
let last: Durability | undefined;

function durabilityOf(gate: WriteGate): Durability {
  if (last?.gate !== gate) last = new Durability(gate);
  return last;
}
