import { BrokerError } from "../../core/contract.js";
import { adminCommands } from "./commands/admin.js";
import { CommandTable, type CommandSpec } from "./command.js";
import type { RespContext } from "./context.js";
import { disqueCommands } from "./commands/disque.js";
import { docketCommands } from "./commands/docket.js";
import { okqCommands } from "./commands/okq.js";
import { scheduleCommand } from "./commands/schedules.js";
import { opsCommands } from "./commands/ops.js";
import { takeanumberCommands } from "./commands/takeanumber.js";
import { ErrorReply, type Reply } from "./transport/reply.js";
import { OOM_MESSAGE } from "../../util/memory.js";
import { brokerErrorReply } from "./durable.js";

/**
 * The one RESP command table: every dialect's specs, with broker errors
 * turned into `-CODE message` replies. Dispatch, arity errors and COMMAND
 * are all driven by it.
 */
export function respCommandTable(extra: CommandSpec<RespContext>[] = []): CommandTable<RespContext> {
  return new CommandTable(
    [
      ...adminCommands,
      ...disqueCommands,
      ...opsCommands,
      ...okqCommands,
      ...takeanumberCommands,
      ...docketCommands,
      scheduleCommand,
      ...extra,
    ].map(guarded),
  );
}

const OOM = new ErrorReply(`OOM ${OOM_MESSAGE}`);

function errorReply(error: unknown): Reply {
  if (error instanceof BrokerError) return brokerErrorReply(error);
  throw error;
}

/**
 * Wraps a handler so that a BrokerError, thrown or rejected, becomes its
 * error reply, and so that write commands are refused with -MISCONF before
 * they change anything while the journal cannot write (as Redis does), and
 * `denyoom` ones with -OOM while memory is over --maxmemory.
 */
function guarded(spec: CommandSpec<RespContext>): CommandSpec<RespContext> {
  const handler = spec.handler;
  const write = spec.flags.includes("write");
  const denyoom = spec.flags.includes("denyoom");
  return {
    ...spec,
    handler: (ctx, args, req) => {
      if (write) {
        const refusal = ctx.server.gate.refusal();
        if (refusal !== undefined) return errorReply(refusal);
      }
      if (denyoom && ctx.server.memoryFull()) return OOM;
      try {
        const reply = handler(ctx, args, req);
        return reply instanceof Promise ? reply.catch(errorReply) : reply;
      } catch (error) {
        return errorReply(error);
      }
    },
  };
}
