import type { Socket } from "node:net";
import type { TlsOptions } from "node:tls";
import {
  FLAG_BLOCKING,
  FLAG_NOAUTH,
  arityMessage,
  arityOk,
  shownArgs,
  unknownCommandMessage,
  type CommandEntry,
  type CommandSpec,
  type CommandTable,
} from "./command.js";
import { ReplyWriter } from "./encoder.js";
import { Monitors, type MonitorSink } from "./monitor.js";
import { SlowLog } from "./slowlog.js";
import {
  DEFAULT_PARSER_LIMITS,
  ProtocolError,
  RequestParser,
  type ParserLimits,
  type Request,
} from "./parser.js";
import { Listener } from "../../util/listen.js";
import { AuthFailures } from "../../util/password.js";
import { ErrorReply, type Reply, type SimpleString } from "./reply.js";
import type { ClientAccount, MemoryBudget } from "../../util/memory.js";

/**
 * The RESP server: sockets, parsing, dispatch through the command table,
 * reply ordering and output batching. See docs/resp.md.
 */

/** A pino-compatible logger (only these methods are used). */
export interface RespLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ServerLimits extends ParserLimits {
  maxClients: number;
  /** a client whose unsent output exceeds this is disconnected */
  maxOutputBytes: number;
}

export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = Object.freeze({
  ...DEFAULT_PARSER_LIMITS,
  maxClients: 10_000,
  maxOutputBytes: 64 * 1024 * 1024,
});

export interface RespServerOptions<Ctx> {
  host?: string;
  /** 0 picks a free port */
  port: number;
  table: CommandTable<Ctx>;
  makeContext(client: RespClient): Ctx;
  limits?: Partial<ServerLimits>;
  /** a second listener serving the same commands over TLS (Redis 6's --tls-port) */
  tls?: { port: number; options: TlsOptions };
  /** the password clients must AUTH with; undefined or "" when none */
  requirePassword?: () => string | undefined;
  /** the server-wide memory bound: each client's buffers are reported to it */
  budget?: MemoryBudget;
  logger?: RespLogger;
}

export interface RespServerStats {
  /** connections accepted */
  connectionsReceived: number;
  /** connections refused because of maxClients */
  rejectedConnections: number;
  /** commands that reached their handler */
  commandsProcessed: number;
  /** bytes read from clients, and handed to their sockets (INFO total_net_*_bytes) */
  netInputBytes: number;
  netOutputBytes: number;
}

const NOAUTH = new ErrorReply("NOAUTH Authentication required.");
/** after a close-after-reply, how long the peer gets to close before we destroy the socket */
const CLOSE_GRACE_MS = 2000;
const QUIET_ERRORS = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED"]);

const noopLogger: RespLogger = { info() {}, warn() {}, error() {} };

let nextClientId = 1;

function formatAddr(ip: string | undefined, port: number | undefined): string {
  if (ip === undefined) return "?:0";
  return ip.includes(":") ? `[${ip}]:${port ?? 0}` : `${ip}:${port ?? 0}`;
}

/** One connection, as handlers and CLIENT LIST see it. */
export class RespClient {
  readonly id = nextClientId++;
  /** CLIENT SETNAME */
  name = "";
  readonly addr: string;
  readonly laddr: string;
  readonly createdAt = Date.now();
  lastCommandAt = this.createdAt;
  /** lower-case name of the last command dispatched */
  lastCommand = "NULL";
  /** set by AUTH */
  authenticated = false;
  /** wrong AUTHs so far: the connection closes when they run out */
  readonly authFailures = new AuthFailures();
  /** true while a `blocking` command awaits */
  blocked = false;
  /** true once the socket has closed */
  closed = false;

  /** @internal */
  constructor(private readonly conn: Connection<unknown>) {
    const socket = conn.socket;
    this.addr = formatAddr(socket.remoteAddress, socket.remotePort);
    this.laddr = formatAddr(socket.localAddress, socket.localPort);
  }

  /**
   * Runs `fn` once when the connection closes (at once if it already has).
   * Returns a function that drops the hook, for hooks that outlive their use.
   */
  onClose(fn: () => void): () => void {
    return this.conn.onClose(fn);
  }

  /** hooks registered with onClose and not dropped: one per pending blocking call at most */
  get closeHooks(): number {
    return this.conn.closeHooks;
  }

  /** Closes the connection now, dropping unsent output (CLIENT KILL). */
  kill(): void {
    this.conn.destroy();
  }

  /**
   * Closes the connection once the current command's reply (and every
   * earlier one) is written; later requests are ignored (QUIT).
   */
  closeAfterReply(): void {
    this.conn.closeAfterReply();
  }

  /** Output bytes produced and not yet handed to the kernel. */
  outputBytes(): number {
    return this.conn.outputBytes();
  }

  /** MONITOR: from now on this client is shown every command the server runs. */
  monitor(): void {
    this.conn.monitor();
  }

  /** Input bytes received and not yet run as commands. */
  inputBytes(): number {
    return this.conn.inputBytes();
  }
}

/** A reply waiting for a Promise, or behind one. */
interface Slot {
  reply: Reply | undefined;
  done: boolean;
}

/** @internal Per-connection machinery. */
class Connection<Ctx> {
  readonly client: RespClient;
  readonly ctx: Ctx;
  private readonly parser: RequestParser;
  private readonly writer = new ReplyWriter();
  /** replies in request order; queue[head…] are not written yet */
  private queue: Slot[] = [];
  private head = 0;
  /** QUIT or a protocol error: no more requests; end once the replies are out */
  private closing = false;
  /** the peer half-closed */
  private inputEnded = false;
  private ended = false;
  /** inside a synchronous batch (a 'data' event): its end flushes */
  private inBatch = false;
  private flushScheduled = false;
  private paused = false;
  private closeFns = new Set<() => void>();
  /** this client's buffers in the server-wide memory budget */
  private readonly account: ClientAccount | undefined;
  /** set once the client sent MONITOR */
  private monitorSink: MonitorSink | undefined;

  constructor(
    private readonly server: RespServer<Ctx>,
    readonly socket: Socket,
  ) {
    this.parser = new RequestParser(server.limits);
    this.client = new RespClient(this as Connection<unknown>);
    this.ctx = server.options.makeContext(this.client);
    this.account = server.budget?.open(() => this.evict());
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
    return this.writer.length + (this.socket.destroyed ? 0 : this.socket.writableLength);
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
    this.flush();
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
    if (this.account) this.server.budget?.close(this.account);
    this.client.closed = true;
    this.client.blocked = false;
    this.queue = [];
    this.head = 0;
    this.writer.take();
    this.server.forget(this);
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
    const entry = server.table.lookupEntry(args[0]!) as CommandEntry<Ctx> | undefined;
    if (entry === undefined) return this.emit(new ErrorReply(unknownCommandMessage(args[0]!)));
    const spec = entry.spec;
    if (!arityOk(spec.arity, args.length)) return this.emit(new ErrorReply(arityMessage(spec.name)));
    if (!client.authenticated && (entry.mask & FLAG_NOAUTH) === 0 && server.passwordRequired()) {
      return this.emit(NOAUTH);
    }
    server.stats.commandsProcessed++;
    entry.calls++;
    client.lastCommand = spec.name;
    client.lastCommandAt = Date.now();

    if (server.monitors.size > 0) server.monitors.feed(client.addr, shownArgs(spec, args));

    const slowlog = server.slowlog;
    const started = slowlog.slowerThanMicros >= 0 ? performance.now() : -1;
    let reply: Reply | Promise<Reply>;
    try {
      reply = spec.handler(this.ctx, args, req);
    } catch (error) {
      reply = this.handlerError(spec, error);
    }
    if (started >= 0) {
      const micros = Math.floor((performance.now() - started) * 1000);
      if (slowlog.logs(micros)) slowlog.add(shownArgs(spec, args), micros);
    }
    if (reply instanceof Promise) {
      const slot = this.reserve();
      const blocking = (entry.mask & FLAG_BLOCKING) !== 0;
      if (blocking) client.blocked = true;
      reply.then(
        (value) => this.completed(slot, value, blocking),
        (error: unknown) => this.completed(slot, this.handlerError(spec, error), blocking),
      );
      return;
    }
    this.emit(reply);
  }

  private handlerError(spec: CommandSpec<Ctx>, error: unknown): Reply {
    this.server.logger.error({ err: error, command: spec.name, client: this.client.id }, "command failed");
    return new ErrorReply(`ERR ${error instanceof Error ? error.message : String(error)}`);
  }

  /** A Promise-returning handler settled. */
  private completed(slot: Slot, reply: Reply, blocking: boolean): void {
    try {
      this.complete(slot, reply, blocking);
    } catch (error) {
      // never an unhandled rejection: drop the connection, keep the server
      this.server.logger.error({ err: error, client: this.client.id }, "reply handling failed");
      this.destroy();
    }
  }

  private complete(slot: Slot, reply: Reply, blocking: boolean): void {
    if (this.client.closed) return;
    this.settle(slot, reply);
    if (blocking) {
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
    if (this.head === this.queue.length) this.writer.write(reply);
    else this.queue.push({ reply, done: true });
  }

  private reserve(): Slot {
    const slot: Slot = { reply: undefined, done: false };
    this.queue.push(slot);
    return slot;
  }

  private settle(slot: Slot, reply: Reply): void {
    if (this.client.closed) return;
    slot.reply = reply;
    slot.done = true;
    const queue = this.queue;
    while (this.head < queue.length && queue[this.head]!.done) {
      this.writer.write(queue[this.head]!.reply!);
      queue[this.head] = undefined as unknown as Slot;
      this.head++;
    }
    if (this.head === queue.length) {
      this.queue = [];
      this.head = 0;
    }
    if (this.overOutputLimit()) return;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.inBatch || this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Hands everything encoded so far to the socket, in one write (or one writev). */
  private flush(): void {
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
    const bytes = this.outputBytes();
    if (bytes <= this.server.limits.maxOutputBytes) {
      this.report(bytes);
      return this.socket.destroyed;
    }
    this.server.logger.warn(
      { client: this.client.id, addr: this.client.addr, bytes, limit: this.server.limits.maxOutputBytes },
      "client output limit exceeded, disconnecting",
    );
    this.destroy();
    return true;
  }

  private readonly written = (): void => this.report();

  /** Tells the memory budget what this client's input and output buffers hold now: O(1). */
  private report(output = this.outputBytes()): void {
    if (this.account && !this.client.closed) {
      this.server.budget!.report(this.account, output + this.parser.heldBytes());
    }
  }

  /** The memory budget needs this client's buffers: drop it (Redis's client eviction). */
  private evict(): void {
    this.server.logger.warn(
      { client: this.client.id, addr: this.client.addr, bytes: this.account?.bytes },
      "server memory bound reached: disconnecting the client with the largest buffers",
    );
    this.destroy();
  }

  /** Ends the socket once a QUIT, protocol error or half-close has nothing left to send. */
  private maybeEnd(): void {
    if (this.ended || this.client.closed) return;
    if (!this.closing && !this.inputEnded) return;
    if (this.client.blocked || this.head !== this.queue.length || this.writer.length > 0) return;
    this.end();
  }

  private end(): void {
    if (this.ended || this.socket.destroyed) return;
    this.ended = true;
    this.socket.end();
    // Keep reading (and dropping) input so the peer sees our reply rather than a reset;
    // destroy if it does not close in time.
    if (this.paused) this.socket.resume();
    setTimeout(() => this.destroy(), CLOSE_GRACE_MS).unref();
  }
}

export class RespServer<Ctx> {
  readonly table: CommandTable<Ctx>;
  readonly limits: ServerLimits;
  readonly logger: RespLogger;
  readonly budget: MemoryBudget | undefined;
  /** the clients that sent MONITOR */
  readonly monitors = new Monitors();
  readonly slowlog = new SlowLog();
  readonly stats: RespServerStats = {
    connectionsReceived: 0,
    rejectedConnections: 0,
    commandsProcessed: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
  };
  private readonly net: Listener;
  /** the TLS listener, when options.tls is set */
  private readonly secure: Listener | undefined;
  private readonly conns = new Set<Connection<Ctx>>();

  constructor(readonly options: RespServerOptions<Ctx>) {
    this.table = options.table;
    this.limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
    this.logger = options.logger ?? noopLogger;
    this.budget = options.budget;
    const accept = (socket: Socket) => this.accept(socket);
    this.net = new Listener({ allowHalfOpen: true, noDelay: true }, undefined, accept);
    if (options.tls)
      this.secure = new Listener({ allowHalfOpen: true, noDelay: true }, options.tls.options, accept);
  }

  /** Changes limits; parser limits apply to every connection at once. */
  setLimits(limits: Partial<ServerLimits>): void {
    Object.assign(this.limits, limits);
  }

  /** Listens on the plain port, and on the TLS port when configured. */
  async listen(): Promise<{ port: number; tlsPort?: number }> {
    const host = this.options.host ?? "127.0.0.1";
    const onError = (error: Error) => this.logger.error({ err: error }, "RESP server error");
    const port = await this.net.listen(this.options.port, host, onError);
    if (!this.secure || !this.options.tls) return { port };
    return { port, tlsPort: await this.secure.listen(this.options.tls.port, host, onError) };
  }

  /** Stops accepting, writes pending replies, ends every client (destroyed after a grace period). */
  async close(): Promise<void> {
    const closed = Promise.all([this.net.close(), this.secure?.close()]);
    for (const conn of this.conns) conn.shutdown();
    const deadline = setTimeout(() => {
      for (const conn of this.conns) conn.destroy();
    }, 500);
    await closed;
    clearTimeout(deadline);
  }

  *clients(): Iterable<RespClient> {
    for (const conn of this.conns) yield conn.client;
  }

  /** @internal */
  passwordRequired(): boolean {
    const password = this.options.requirePassword?.();
    return password !== undefined && password !== "";
  }

  /** @internal */
  forget(conn: Connection<Ctx>): void {
    this.conns.delete(conn);
  }

  private accept(socket: Socket): void {
    if (this.conns.size >= this.limits.maxClients) {
      this.stats.rejectedConnections++;
      socket.on("error", () => {});
      socket.end("-ERR max number of clients reached\r\n");
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      return;
    }
    this.stats.connectionsReceived++;
    try {
      this.conns.add(new Connection(this, socket));
    } catch (error) {
      this.logger.error({ err: error }, "could not set up a connection");
      socket.destroy();
    }
  }
}
