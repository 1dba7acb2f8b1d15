import type { Awaitable, Broker } from "../../core/contract.js";
import { BrokerError } from "../../core/contract.js";
import { checkQueueName } from "../../core/limits.js";
import { WriteGate } from "../../stores/store.js";
import { andThen } from "../../util/awaitable.js";
import { afterFailureDelay, passwordMatches, type AuthFailures } from "../../util/password.js";
import type { TaskqRequest } from "./parser.js";
import { ackTask, dequeueTask, enqueueTask } from "./tasks.js";

/**
 * The TaskQ text protocol's command table (DIALECTS.md section 3). Task ids
 * are numbered per queue (see tasks.ts). Each handler returns the reply
 * line's bytes after `RID `, without the trailing newline.
 */

/** One connection's state, as the commands see it. */
export interface TaskqSession {
  /** set by `auth` */
  authenticated: boolean;
  /** wrong passwords so far: the connection closes when they run out */
  readonly authFailures: AuthFailures;
  /** the password now (CONFIG SET requirepass applies at once); undefined or "" when none */
  password(): string | undefined;
  /** the connection ends once this request's reply is written */
  closeAfterReply(): void;
  /** why writes are refused right now (the journal cannot write), or undefined */
  writeRefusal?: () => string | undefined;
}

export interface TaskqCommand {
  name: string;
  /** arguments after the command word (the enq body not counted) */
  args: number;
  /** changes jobs: refused while the journal cannot write */
  write: boolean;
  syntax: string;
  summary: string;
  handler: (
    broker: Broker,
    req: TaskqRequest,
    gate: WriteGate,
    session: TaskqSession,
  ) => Awaitable<Buffer | string>;
}

export class TaskqError extends Error {}

/** One write gate per connection (the store's refusal as the session sees it). */
const gates = new WeakMap<TaskqSession, WriteGate>();

function gateOf(broker: Broker, session: TaskqSession): WriteGate {
  let gate = gates.get(session);
  if (!gate) {
    gate = new WriteGate({
      whenDurable: () => broker.whenDurable(),
      release: (ids) => broker.release(ids),
      writeRefusal: () => session.writeRefusal?.(),
    });
    gates.set(session, gate);
  }
  return gate;
}

function passwordSet(session: TaskqSession): string | undefined {
  const password = session.password();
  return password === undefined || password === "" ? undefined : password;
}

/** `RID auth PASSWORD` (the password is the rest of the line): as RESP's AUTH, a wrong one answered late. */
function auth(
  _broker: Broker,
  req: TaskqRequest,
  _gate: WriteGate,
  session: TaskqSession,
): Awaitable<string> {
  const password = passwordSet(session);
  if (password === undefined) throw new TaskqError("Client sent AUTH, but no password is set");
  if (!passwordMatches(req.args[0]!, password)) {
    session.authenticated = false;
    if (session.authFailures.failed()) session.closeAfterReply();
    return afterFailureDelay(undefined).then(() => {
      throw new TaskqError("invalid password");
    });
  }
  session.authenticated = true;
  return "authed";
}

export const taskqCommands: TaskqCommand[] = [
  {
    name: "auth",
    args: 1,
    write: false,
    syntax: "RID auth PASSWORD",
    summary: "authenticate (with --requirepass every other request needs it first)",
    handler: auth,
  },
  {
    name: "enq",
    args: 1,
    write: true,
    syntax: "RID enq QUEUE LEN BODY",
    summary: "enqueue BODY (LEN bytes; LEN 0: the rest of the line); replies the task id",
    handler: (broker, req, gate) => {
      const queue = req.args[0]!;
      return andThen(enqueueTask(broker, queue, req.body ?? Buffer.alloc(0), "taskq"), (id) =>
        gate.durable(`enqed ${queue} ${id}`),
      );
    },
  },
  {
    name: "deq",
    args: 1,
    // a delivery is journaled (its lease), as RESP's GETJOB
    write: true,
    syntax: "RID deq QUEUE",
    summary: "dequeue the oldest task; ack it within the lease or it is queued again",
    handler: (broker, req) => {
      const queue = req.args[0]!;
      return andThen(dequeueTask(broker, queue), (task) => {
        if (!task) throw new TaskqError("empty");
        return Buffer.concat([Buffer.from(`deqed ${queue} ${task.id} ${task.body.length} `), task.body]);
      });
    },
  },
  {
    name: "ack",
    args: 2,
    write: true,
    syntax: "RID ack QUEUE TASKID",
    summary: "acknowledge a task: it is done and deleted",
    handler: (broker, req, gate) => {
      const [queue, taskId] = req.args as [string, string];
      return andThen(ackTask(broker, queue, taskId), (acked) => {
        if (acked === null) throw new TaskqError(`unknown task id '${taskId}'`);
        return gate.durable(`acked ${queue} ${acked}`);
      });
    },
  },
];

const byName = new Map(taskqCommands.map((command) => [command.name, command]));

/**
 * The reply line (with its newline) for one request: never throws, never
 * rejects. While the journal cannot write (`session.writeRefusal`), enq, deq
 * and ack are answered `RID error MISCONF …` before they change anything, as
 * RESP does (the store's WriteGate); a write whose journal fails after the
 * change is answered `RID error MISCONF …` too.
 */
export function runTaskq(broker: Broker, req: TaskqRequest, session: TaskqSession): Awaitable<Buffer> {
  const line = (text: Buffer | string): Buffer =>
    Buffer.concat([Buffer.from(`${req.rid} `), Buffer.isBuffer(text) ? text : Buffer.from(text), NEWLINE]);
  const fail = (error: unknown): Buffer => {
    // TaskQ had no store to lose: the store unreachable (TRYAGAIN) or unable to write (MISCONF) keep their code
    if (error instanceof BrokerError && (error.code === "TRYAGAIN" || error.code === "MISCONF"))
      return line(`error ${error.code} ${error.message}`);
    if (error instanceof TaskqError || error instanceof BrokerError) return line(`error ${error.message}`);
    return line(`error internal error: ${error instanceof Error ? error.message : String(error)}`);
  };
  if (req.error !== undefined) return line(`error ${req.error}`);
  if (req.command !== "auth" && !session.authenticated && passwordSet(session) !== undefined) {
    return line(`error ${NOAUTH}`);
  }
  if (req.command === "") return line("error missing command");
  const command = byName.get(req.command);
  if (!command) return line(`error unknown command '${req.command}'`);
  if (req.args.length !== command.args || (command.name === "enq") !== (req.body !== undefined)) {
    return line(`error wrong number of arguments for '${command.name}', expected: ${command.syntax}`);
  }
  try {
    // Every command's first argument is its queue, but auth's (the password).
    if (command.name !== "auth") checkQueueName(req.args[0]!);
    const gate = gateOf(broker, session);
    if (command.write) gate.checkWrite();
    const reply = command.handler(broker, req, gate, session);
    return reply instanceof Promise ? reply.then(line, fail) : line(reply);
  } catch (error) {
    return fail(error);
  }
}

const NEWLINE = Buffer.from("\n");
const NOAUTH = "NOAUTH Authentication required.";
