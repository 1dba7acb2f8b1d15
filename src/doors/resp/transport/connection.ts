import type { Socket } from "node:net";
import {
  FLAG_BLOCKING,
  FLAG_NOAUTH,
  arityMessage,
  arityOk,
  shownArgs,
  unknownCommandMessage,
  type CommandEntry,
  type CommandSpec,
  type HandlerResult,
} from "../command.js";
import type { MonitorSink } from "./monitor.js";
import { ReplyWriter } from "./encoder.js";
import { ProtocolError, RequestParser, type Request } from "./parser.js";
import { ErrorReply, type Reply, type SimpleString } from "./reply.js";
import { HeldReply, type BarrierWaiter } from "./held-reply.js";
import { RespClient } from "./client.js";
import type { RespServer } from "./server.js";
import { mustAuthenticate } from "../../net/auth.js";
import { ConnectionBuffers } from "../../net/buffers.js";
import { endGracefully } from "../../net/door.js";
import { InOrderReplies, type ReplySlot } from "../../net/in-order.js";

/**
 * One RESP connection: parsing, dispatch through the command table, blocking
 * commands, reply ordering and output batching. See docs/resp.md.
 */

const NOAUTH = new ErrorReply("NOAUTH Authentication required.");
const SETTLED = Promise.resolve();
const QUIET_ERRORS = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED"]);

/**
 * A reply's place in line while it waits: for its handler's Promise, and/or
 * for the barrier of a held reply (which calls `passed`).
 */
class PendingReply implements ReplySlot<Reply>, BarrierWaiter {
  reply: Reply | undefined = undefined;
  done = false;
  held: HeldReply | undefined = undefined;

  constructor(
    private readonly connection: Connection<unknown>,
    /** a blocking command's: the client stays blocked until it is settled */
    readonly blocking: boolean,
  ) {}

  passed(error: unknown): void {
    this.connection.released(this, error);
  }
}

/** @internal Per-connection machinery. */
export class Connection<Ctx> {
  readonly client: RespClient;
  readonly ctx: Ctx;
  private readonly parser: RequestParser;
  private readonly writer = new ReplyWriter();
  /** replies in request order, encoded into the writer as they come due */
  private readonly replies = new InOrderReplies<Reply>((reply) => this.writer.write(reply));
  /** QUIT or a protocol error: no more requests; end once the replies are out */
  private closing = false;
  /** the peer half-closed */
  private inputEnded = false;
  private ended = false;
  /** inside a synchronous batch (a 'data' event): its end flushes */
  private inBatch = false;
  private flushScheduled = false;
  /** waiting in the server's TurnEndWriter */
  private flushDeferred = false;
  private paused = false;
  /**
   * The slowlog's clock (performance.now(), -1 when it is off), read once per command: a
   * command's time runs from the end of the one before it in the same batch (the parser's cut
   * of its arguments comes in, well under a microsecond) to the end of its handler.
   */
  private slowlogClock = -1;
  private closeFns = new Set<() => void>();
  /** this client's output limit and its share of the server-wide memory bound */
  private readonly buffers: ConnectionBuffers;
  /** set once the client sent MONITOR */
  private monitorSink: MonitorSink | undefined;

  constructor(
    private readonly server: RespServer<Ctx>,
    readonly socket: Socket,
  ) {
    this.parser = new RequestParser(server.limits);
    this.client = new RespClient(this as Connection<unknown>);
    this.ctx = server.options.makeContext(this.client);
    this.buffers = new ConnectionBuffers({
      socket,
      budget: server.budget,
      logger: server.logger,
      describe: () => ({ client: this.client.id, addr: this.client.addr }),
      heldInput: () => this.parser.heldBytes(),
      unflushedOutput: () => this.writer.length,
      maxOutputBytes: () => server.limits.maxOutputBytes,
    });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("end", () => this.onEnd());
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (!QUIET_ERRORS.has(error.code ?? "")) {
        server.logger.warn({ err: error, client: this.client.id, addr: this.client.addr }, "socket error");
      }
    });
    socket.on("close", () => this.onSocketClose());
  }

  get closeHooks(): number {
    return this.closeFns.size;
  }

  onClose(fn: () => void): () => void {
    if (this.client.closed) {
      fn();
      return () => {};
    }
    // A Set, so that each of many hooks can be dropped in O(1).
    const hook = () => fn();
    this.closeFns.add(hook);
    return () => this.closeFns.delete(hook);
  }

  outputBytes(): number {
    return this.buffers.outputBytes();
  }

  monitor(): void {
    const monitors = this.server.monitors;
    if (this.monitorSink || this.client.closed) return;
    const sink: MonitorSink = { push: (line) => this.push(line) };
    this.monitorSink = sink;
    monitors.add(sink);
    this.onClose(() => monitors.delete(sink));
  }

  /** A line that answers no request (MONITOR's feed): behind the replies already due, within the output limit. */
  private push(line: SimpleString): void {
    if (this.client.closed || this.socket.destroyed) return;
    this.emit(line);
    if (this.overOutputLimit()) return;
    this.scheduleFlush();
  }

  inputBytes(): number {
    return this.parser.bufferedBytes();
  }

  destroy(): void {
    if (!this.socket.destroyed) this.socket.destroy();
  }

  closeAfterReply(): void {
    this.closing = true;
  }

  /** Server shutdown: write what is ready, then end. */
  shutdown(): void {
    this.closing = true;
    this.inBatch = false;
    this.flush();
    this.end();
  }

  // ---------------------------------------------------------------- input

  private onData(chunk: Buffer): void {
    if (this.closing || this.client.closed) return; // ignored, as Redis does after QUIT
    this.server.stats.netInputBytes += chunk.length;
    this.parser.feed(chunk);
    if (this.client.blocked) {
      // Keep reading (to notice a close) but bound what waits unprocessed.
      if (!this.paused && this.parser.bufferedBytes() > this.inputPauseBytes()) {
        this.paused = true;
        this.socket.pause();
      }
      this.report();
      return;
    }
    this.inBatch = true;
    this.run();
    this.inBatch = false;
    this.flushAtTurnEnd();
    this.report();
  }

  private inputPauseBytes(): number {
    return Math.max(1024 * 1024, this.server.limits.maxInlineBytes);
  }

  private onEnd(): void {
    this.inputEnded = true;
    // Like Redis, a client that goes away while blocked is dropped.
    if (this.client.blocked) this.destroy();
    else this.maybeEnd();
  }

  private onSocketClose(): void {
    this.buffers.close();
    this.client.closed = true;
    this.client.blocked = false;
    this.replies.clear();
    this.writer.take();
    const fns = this.closeFns;
    this.closeFns = new Set();
    for (const fn of fns) {
      try {
        fn();
      } catch (error) {
        this.server.logger.error({ err: error, client: this.client.id }, "onClose callback failed");
      }
    }
  }

  /** Processes complete requests until input runs out, a command blocks, or the client is closing. */
  private run(): void {
    const parser = this.parser;
    const client = this.client;
    client.lastCommandAt = Date.now();
    this.slowlogClock = this.server.slowlog.slowerThanMicros >= 0 ? performance.now() : -1;
    while (!client.blocked && !this.closing && !client.closed) {
      const req = parser.next();
      if (req === null) break;
      if (req instanceof ProtocolError) {
        this.server.logger.info(
          { client: client.id, addr: client.addr, error: req.message },
          "protocol error",
        );
        this.emit(new ErrorReply(req.message));
        this.closing = true;
        break;
      }
      this.dispatch(req);
      if (this.overOutputLimit()) return;
    }
    if (this.paused && !client.blocked) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private dispatch(req: Request): void {
    const server = this.server;
    const client = this.client;
    const args = req.args;
    const entry = server.table.lookupEntry(args.bytesOf(0), args.fromOf(0), args.toOf(0)) as
      CommandEntry<Ctx> | undefined;
    if (entry === undefined) return this.emit(new ErrorReply(unknownCommandMessage(args.at(0)!)));
    const spec = entry.spec;
    if (!arityOk(spec.arity, args.length)) return this.emit(new ErrorReply(arityMessage(spec.name)));
    if ((entry.mask & FLAG_NOAUTH) === 0 && mustAuthenticate(client, server.options.requirePassword?.())) {
      return this.emit(NOAUTH);
    }
    server.stats.commandsProcessed++;
    entry.calls++;
    client.lastCommand = spec.name;

    if (server.monitors.size > 0) server.monitors.feed(client.addr, shownArgs(spec, args));

    const started = this.slowlogClock;
    let reply: HandlerResult;
    try {
      reply = spec.handler(this.ctx, args, req);
    } catch (error) {
      reply = this.handlerError(spec, error);
    }
    if (started >= 0) {
      const ended = performance.now();
      this.slowlogClock = ended;
      const micros = Math.floor((ended - started) * 1000);
      if (server.slowlog.logs(micros)) server.slowlog.add(shownArgs(spec, args), micros);
    }
    if (reply instanceof HeldReply) {
      // a write's reply: its place in line waits for the barrier (the journal's write), no Promise
      const slot = new PendingReply(this as Connection<unknown>, false);
      slot.held = reply;
      if (reply.until.wait(slot)) this.replies.reserve(slot);
      else this.emit(reply.reply);
      return;
    }
    if (reply instanceof Promise) {
      const blocking = (entry.mask & FLAG_BLOCKING) !== 0;
      const slot = new PendingReply(this as Connection<unknown>, blocking);
      this.replies.reserve(slot);
      if (blocking) client.blocked = true;
      reply.then(
        (value) => this.completed(slot, value),
        (error: unknown) => this.completed(slot, this.handlerError(spec, error)),
      );
      return;
    }
    this.emit(reply);
  }

  private handlerError(spec: CommandSpec<Ctx>, error: unknown): Reply {
    this.server.logger.error({ err: error, command: spec.name, client: this.client.id }, "command failed");
    return new ErrorReply(`ERR ${error instanceof Error ? error.message : String(error)}`);
  }

  /** A Promise-returning handler settled, or a held reply's barrier passed (`released`). */
  private completed(slot: PendingReply, reply: Reply | HeldReply): void {
    try {
      if (reply instanceof HeldReply) {
        if (this.client.closed) return;
        slot.held = reply;
        if (reply.until.wait(slot)) return;
        reply = reply.reply;
      }
      this.complete(slot, reply);
    } catch (error) {
      // never an unhandled rejection (nor a throw into the barrier's loop): drop the connection, keep the server
      this.server.logger.error({ err: error, client: this.client.id }, "reply handling failed");
      this.destroy();
    }
  }

  /** @internal The barrier a reply was held for passed (error undefined) or failed. */
  released(slot: PendingReply, error: unknown): void {
    const held = slot.held!;
    this.completed(slot, error === undefined ? held.reply : held.until.failed(error));
  }

  private complete(slot: PendingReply, reply: Reply): void {
    if (this.client.closed) return;
    this.settle(slot, reply);
    if (slot.blocking) {
      this.client.blocked = false;
      // Requests that arrived meanwhile run now.
      const outer = this.inBatch;
      this.inBatch = true;
      this.run();
      this.inBatch = outer;
      if (this.inputEnded && this.client.blocked) this.destroy();
      this.scheduleFlush();
    }
  }

  // ---------------------------------------------------------------- output

  /** A reply in request order: straight into the writer when nothing is pending. */
  private emit(reply: Reply): void {
    this.replies.emit(reply);
  }

  private settle(slot: ReplySlot<Reply>, reply: Reply): void {
    if (this.client.closed) return;
    this.replies.settle(slot, reply);
    if (this.overOutputLimit()) return;
    this.scheduleFlush();
  }

  /**
   * Replies settled outside a batch (after the journal's write, a blocked
   * client served) go out in one write once the settling is done: a
   * microtask runs after every reaction already queued, so the replies
   * released by one journal write leave together, in the same turn (a
   * setImmediate would wait for the next turn of the event loop). When
   * this turn's end-of-turn flush is still to come (the journal wrote
   * before it), that one takes them.
   */
  private scheduleFlush(): void {
    if (this.inBatch || this.flushScheduled || this.flushDeferred) return;
    this.flushScheduled = true;
    // a resolved promise's reaction: queueMicrotask would also make an AsyncResource per call
    void SETTLED.then(this.flushSettled);
  }

  private readonly flushSettled = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /** A batch's replies leave with the other connections' at the end of this turn (net/turn-end.ts). */
  private flushAtTurnEnd(): void {
    if (this.flushDeferred) return;
    this.flushDeferred = true;
    this.server.turnEnd.defer(this);
  }

  /** Hands everything encoded so far to the socket, in one write (or one writev). */
  flush(): void {
    this.flushDeferred = false;
    if (this.client.closed || this.socket.destroyed) return;
    if (this.writer.length > 0) {
      const chunks = this.writer.take();
      for (const chunk of chunks) this.server.stats.netOutputBytes += chunk.length;
      // the last write's callback runs once the kernel has it: the budget then hears of it
      if (chunks.length === 1) this.socket.write(chunks[0]!, this.written);
      else {
        this.socket.cork();
        for (let i = 0; i < chunks.length - 1; i++) this.socket.write(chunks[i]!);
        this.socket.write(chunks[chunks.length - 1]!, this.written);
        this.socket.uncork();
      }
      if (this.overOutputLimit()) return;
    }
    this.maybeEnd();
  }

  /** Checks this client's output limit, and reports its buffers to the server-wide budget (which may evict it). */
  private overOutputLimit(): boolean {
    return this.buffers.overOutputLimit();
  }

  private readonly written = (): void => this.report();

  /** Tells the memory budget what this client's input and output buffers hold now: O(1). */
  private report(): void {
    this.buffers.report();
  }

  /** Ends the socket once a QUIT, protocol error or half-close has nothing left to send. */
  private maybeEnd(): void {
    if (this.ended || this.client.closed) return;
    if (!this.closing && !this.inputEnded) return;
    if (this.client.blocked || !this.replies.idle || this.writer.length > 0) return;
    this.end();
  }

  private end(): void {
    if (this.ended || this.socket.destroyed) return;
    this.ended = true;
    // Keep reading (and dropping) input so the peer sees our reply rather than a reset;
    // destroy if it does not close in time.
    endGracefully(this.socket);
    if (this.paused) this.socket.resume();
  }
}
