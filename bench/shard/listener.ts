import net from "node:net";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { arityMessage, unknownCommandMessage } from "../../src/doors/resp/command.js";
import { encode } from "../../src/doors/resp/transport/encoder.js";
import { ProtocolError } from "../../src/doors/resp/transport/parser.js";
import { ErrorReply, SimpleString } from "../../src/doors/resp/transport/reply.js";
import type { ReplySlot } from "../../src/doors/net/in-order.js";
import { RequestBatch, decodeReplies } from "./batch.js";
import { ShardClient } from "./client.js";
import { Op, opOf, shardOf } from "./route.js";
import { Shard } from "./shard.js";
import { startThread } from "./thread.js";

/**
 * The prototype's listener thread (bench/shards.ts): one net.Server; it
 * parses RESP with docket's parser, answers PING and unknown commands
 * itself, and sends ADDJOB / GETJOB / ACKJOB to the shard that owns them
 * (route.ts). Within one event-loop turn it only collects: each shard's
 * commands of the turn leave in one message (batch.ts) from a setImmediate,
 * and each reply message is written out to its clients at once, in request
 * order per connection. `workers: 0` runs one shard inline in the listener
 * thread, the same path without the split, as the baseline.
 */

export interface ShardServerOptions {
  port: number;
  host?: string;
  /** engine shards in worker threads; 0: one shard inline */
  workers: number;
}

export interface RunningShardServer {
  port: number;
  close(): Promise<void>;
}

interface Waiting {
  client: ShardClient;
  slot: ReplySlot<Buffer>;
}

/** Where a shard runs: its request messages go in, its reply messages come back in order. */
interface ShardLink {
  send(requests: ArrayBuffer): void;
  close(): Promise<void>;
}

const PONG = encode(new SimpleString("PONG"));
const WORKER = new URL("./worker.ts", import.meta.url);
/** the smallest argc of each routed command, name included */
const MIN_ARGS: Record<number, number> = { [Op.AddJob]: 4, [Op.GetJob]: 3, [Op.AckJob]: 2 };

class Listener {
  private readonly links: ShardLink[] = [];
  private batches: RequestBatch[] = [];
  /** per shard: the clients waiting for this turn's batch */
  private waiting: Waiting[][] = [];
  /** per shard: the batches sent and not answered yet, oldest first */
  private readonly inFlight: Waiting[][][] = [];
  private sendScheduled = false;
  readonly clients = new Set<ShardClient>();

  constructor(workers: number) {
    const count = Math.max(1, workers);
    for (let i = 0; i < count; i++) {
      this.batches.push(new RequestBatch());
      this.waiting.push([]);
      this.inFlight.push([]);
      const onReplies = (replies: ArrayBuffer) => this.answered(i, replies);
      this.links.push(workers === 0 ? inlineLink(onReplies) : workerLink(i, onReplies));
    }
  }

  connect(socket: net.Socket): void {
    const client = new ShardClient(socket);
    this.clients.add(client);
    socket.on("data", (chunk: Buffer) => this.received(client, chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      this.clients.delete(client);
      client.replies.clear();
    });
  }

  close(): Promise<unknown> {
    for (const client of this.clients) client.socket.destroy();
    return Promise.all(this.links.map((link) => link.close()));
  }

  private received(client: ShardClient, chunk: Buffer): void {
    if (client.closing) return;
    client.parser.feed(chunk);
    for (;;) {
      const req = client.parser.next();
      if (req === null) break;
      if (req instanceof ProtocolError) {
        client.replies.emit(encode(new ErrorReply(req.message)));
        client.closing = true;
        break;
      }
      this.dispatch(client, req.args.views());
    }
    client.flush();
  }

  private dispatch(client: ShardClient, args: Buffer[]): void {
    const op = opOf(args[0]!);
    if (op === undefined) return client.replies.emit(encode(new ErrorReply(unknownCommandMessage(args[0]!))));
    if (op === Op.Ping) return client.replies.emit(PONG);
    if (args.length < MIN_ARGS[op]!) {
      return client.replies.emit(
        encode(new ErrorReply(arityMessage(args[0]!.toString("latin1").toLowerCase()))),
      );
    }
    const shard = shardOf(op, args, this.links.length);
    // the arguments are views into the parser's input, which is never overwritten: safe until sent
    this.batches[shard]!.add(args);
    this.waiting[shard]!.push({ client, slot: client.replies.reserve() });
    if (!this.sendScheduled) {
      this.sendScheduled = true;
      setImmediate(() => this.send());
    }
  }

  /** The turn's end: one message per shard that has commands. */
  private send(): void {
    this.sendScheduled = false;
    for (let i = 0; i < this.links.length; i++) {
      const batch = this.batches[i]!;
      if (batch.size === 0) continue;
      this.inFlight[i]!.push(this.waiting[i]!);
      this.waiting[i] = [];
      this.batches[i] = new RequestBatch();
      this.links[i]!.send(batch.encode());
    }
  }

  private answered(shard: number, message: ArrayBuffer): void {
    const replies = decodeReplies(message);
    const waiting = this.inFlight[shard]!.shift()!;
    const touched = new Set<ShardClient>();
    for (let i = 0; i < waiting.length; i++) {
      const { client, slot } = waiting[i]!;
      client.replies.settle(slot, replies[i]!);
      touched.add(client);
    }
    for (const client of touched) client.flush();
  }
}

function inlineLink(onReplies: (replies: ArrayBuffer) => void): ShardLink {
  const shard = new Shard(0);
  return { send: (requests) => onReplies(shard.run(requests)), close: async () => {} };
}

function workerLink(index: number, onReplies: (replies: ArrayBuffer) => void): ShardLink {
  const worker: Worker = startThread(WORKER, { index });
  // a worker's 'error' is left unhandled: the failure ends the process, as a bench must not go on
  worker.on("message", onReplies);
  return {
    send: (requests) => worker.postMessage(requests, [requests]),
    close: async () => {
      await worker.terminate();
    },
  };
}

/** Starts the prototype; resolves once it listens. */
export async function startShardServer(options: ShardServerOptions): Promise<RunningShardServer> {
  const listener = new Listener(options.workers);
  const server = net.createServer((socket) => listener.connect(socket));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      await listener.close();
      await closed;
    },
  };
}

/** the module bench/shards.ts runs in a child process (argv: port, workers) */
export const SERVE_MODULE = fileURLToPath(new URL("./serve.ts", import.meta.url));
