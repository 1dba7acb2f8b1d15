import { randomBytes } from "node:crypto";
import { BrokerError } from "../../src/core/contract.js";
import { Engine, systemClock } from "../../src/stores/embedded/engine/index.js";
import { boundedArg, errorOf, queueArg, SYNTAX_ERROR, timeoutArg, word } from "../../src/doors/resp/args.js";
import { parseAck } from "../../src/doors/resp/failure-args.js";
import { unknownCommandMessage } from "../../src/doors/resp/command.js";
import { ReplyWriter } from "../../src/doors/resp/transport/encoder.js";
import { ErrorReply, NULL_ARRAY, SimpleString, type Reply } from "../../src/doors/resp/transport/reply.js";
import { Arguments } from "../../src/doors/resp/transport/arguments.js";
import { MAX_COUNT } from "../../src/core/limits.js";
import { decodeRequests, encodeReplies } from "./batch.js";
import { Op, opOf, shardNodeId } from "./route.js";

const MAX_JOB_SIZE = 16 * 1024 * 1024;

/**
 * One engine shard of the prototype: docket's pure Engine (clock Date.now,
 * no journal) behind the prototype's four commands in their plain forms
 * (ADDJOB queue body timeout, GETJOB NOHANG [COUNT n] FROM queue, ACKJOB
 * id…, PING), with docket's argument checks and reply encoder. A request
 * message in, its reply message out: run in a worker thread, or inline in
 * the listener for the no-split baseline.
 */
export class Shard {
  private readonly engine: Engine;
  private readonly writer = new ReplyWriter();

  constructor(index: number) {
    this.engine = new Engine({
      clock: systemClock,
      nodeId: shardNodeId(index, randomBytes(20).toString("hex")),
      maxJobSize: MAX_JOB_SIZE,
    });
  }

  /** Runs a request message's commands in order; returns the reply message. */
  run(requests: ArrayBuffer): ArrayBuffer {
    const commands = decodeRequests(requests);
    const writer = this.writer;
    const ends: number[] = new Array<number>(commands.length);
    for (let i = 0; i < commands.length; i++) {
      writer.write(this.reply(commands[i]!));
      ends[i] = writer.length;
    }
    const total = writer.length;
    return encodeReplies(ends, writer.take(), total);
  }

  private reply(args: Buffer[]): Reply {
    try {
      return this.execute(Arguments.of(args));
    } catch (error) {
      if (error instanceof BrokerError) return new ErrorReply(`${error.code} ${error.message}`);
      throw error;
    }
  }

  private execute(args: Arguments): Reply {
    switch (opOf(args.at(0)!)) {
      case Op.Ping:
        return PONG;
      case Op.AddJob: {
        if (args.length !== 4) throw errorOf(SYNTAX_ERROR);
        const queue = queueArg(args, 1);
        // the body outlives the request message: a copy of its own
        const body = args.copy(2);
        const replicationTimeoutMs = timeoutArg(args, 3);
        return new SimpleString(this.engine.addJob({ queue, body, replicationTimeoutMs, origin: "resp" }).id);
      }
      case Op.GetJob:
        return this.getJob(args);
      case Op.AckJob:
        return this.engine.ackJobs(parseAck(args, MAX_JOB_SIZE).ids);
      default:
        return new ErrorReply(unknownCommandMessage(args.at(0)!));
    }
  }

  private getJob(args: Arguments): Reply {
    let nohang = false;
    let count = 1;
    let from = -1;
    for (let i = 1; i < args.length; i++) {
      const option = word(args, i);
      if (option === "nohang") nohang = true;
      else if (option === "count" && i + 1 < args.length) {
        count = boundedArg(args, ++i, "COUNT", 1, MAX_COUNT, "COUNT must be a number greater than zero");
      } else if (option === "from") {
        from = i + 1;
        break;
      } else throw errorOf(SYNTAX_ERROR);
    }
    if (from < 0 || from >= args.length) throw errorOf(SYNTAX_ERROR);
    if (!nohang || from !== args.length - 1) {
      throw errorOf("the shard prototype serves GETJOB NOHANG FROM one queue only");
    }
    const queue = queueArg(args, from);
    const jobs = this.engine.getJobs({ queues: [queue], count, nohang, timeoutMs: 0, createQueues: true });
    if (jobs instanceof Promise) throw new Error("a NOHANG fetch blocked");
    return jobs === null ? NULL_ARRAY : jobs.map((job) => [job.queue, job.id, job.body]);
  }
}

const PONG = new SimpleString("PONG");
