import { Redis } from "ioredis";

/**
 * The client's view of the servers: a list of nodes (given, then learnt from
 * HELLO), one command connection to the preferred reachable node, and a small
 * pool of connections for blocking calls (GETJOB, WAITJOB), so a blocked call
 * never stalls other commands or another blocked call.
 */

export interface NodeAddress {
  host: string;
  port: number;
  /** HELLO's priority: 1 = healthy, higher = less preferred */
  priority: number;
}

export interface ConnectionOptions {
  password?: string | undefined;
  /** ms to establish a TCP connection to one node (default 2000) */
  connectTimeout?: number | undefined;
  /**
   * ms a call keeps trying to reach some node after connections fail before
   * it rejects (default 10000; 0 = one round over the nodes).
   */
  failoverTimeout?: number | undefined;
}

/** A server's `-CODE message` reply: `code` is CODE, `message` the whole line. */
export class DocketError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "DocketError";
  }
}

/** No node could be reached (after failoverTimeout). */
export class ConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConnectionError";
  }
}

/** Parses "host:port", "host" or ":port" (defaults 127.0.0.1:7711). */
export function parseAddress(address: string): NodeAddress {
  const at = address.lastIndexOf(":");
  const host = at < 0 ? address : address.slice(0, at);
  const portText = at < 0 ? "" : address.slice(at + 1);
  const port = portText === "" ? 7711 : Number(portText);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`bad server address '${address}'`);
  return { host: host === "" ? "127.0.0.1" : host, port, priority: 1 };
}

function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === "ReplyError";
}

function toDocketError(error: Error): DocketError {
  const space = error.message.indexOf(" ");
  return new DocketError(space < 0 ? error.message : error.message.slice(0, space), error.message);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Connection {
  readonly nodes: NodeAddress[];
  private current: { node: NodeAddress; redis: Redis } | undefined;
  private connecting: Promise<{ node: NodeAddress; redis: Redis }> | undefined;
  private readonly idle: Redis[] = [];
  private readonly busy = new Set<Redis>();
  private closed = false;
  private readonly connectTimeout: number;
  private readonly failoverTimeout: number;

  constructor(
    addresses: string[],
    private readonly options: ConnectionOptions = {},
  ) {
    if (addresses.length === 0) addresses = ["127.0.0.1:7711"];
    this.nodes = addresses.map(parseAddress);
    this.connectTimeout = options.connectTimeout ?? 2000;
    this.failoverTimeout = options.failoverTimeout ?? 10_000;
  }

  private async open(node: NodeAddress): Promise<Redis> {
    const redis = new Redis({
      host: node.host,
      port: node.port,
      password: this.options.password,
      // RESP2, and no CLIENT SETINFO: docket's HELLO is Disque's, not RESP3's handshake
      protocol: 2,
      disableClientInfo: true,
      lazyConnect: true,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: this.connectTimeout,
    });
    let socketError: Error | undefined;
    redis.on("error", (error: Error) => (socketError ??= error));
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw isReplyError(error) ? error : (socketError ?? error);
    }
    return redis;
  }

  /** Nodes in the order to try them: healthy first, then as given. */
  private order(): NodeAddress[] {
    const first = this.current?.node;
    return [...this.nodes].sort(
      (a, b) => a.priority - b.priority || Number(b === first) - Number(a === first),
    );
  }

  /** Connects to the first reachable node, then learns the others from HELLO. */
  private async primary(): Promise<{ node: NodeAddress; redis: Redis }> {
    if (this.current && this.current.redis.status === "ready") return this.current;
    if (this.connecting) return this.connecting;
    this.connecting = (async () => {
      const deadline = Date.now() + this.failoverTimeout;
      let lastError: unknown;
      for (let round = 0; ; round++) {
        for (const node of this.order()) {
          if (this.closed) throw new ConnectionError("client closed");
          try {
            const redis = await this.open(node);
            this.current?.redis.disconnect();
            this.current = { node, redis };
            await this.hello(redis, node);
            return this.current;
          } catch (error) {
            if (isReplyError(error)) throw toDocketError(error);
            lastError = error;
          }
        }
        if (Date.now() >= deadline) {
          const list = this.nodes.map((n) => `${n.host}:${n.port}`).join(", ");
          const why = lastError instanceof Error ? `: ${lastError.message}` : "";
          throw new ConnectionError(`cannot reach any docket server (${list})${why}`, { cause: lastError });
        }
        await sleep(Math.min(50 * 2 ** round, 1000, Math.max(1, deadline - Date.now())));
      }
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async hello(redis: Redis, via: NodeAddress): Promise<void> {
    let reply: unknown;
    try {
      reply = await redis.call("HELLO");
    } catch (error) {
      if (isReplyError(error)) return; // a server without HELLO: keep the list as given
      throw error;
    }
    if (!Array.isArray(reply)) return;
    for (const entry of reply.slice(2) as unknown[]) {
      if (!Array.isArray(entry) || entry.length < 4) continue;
      let host = String(entry[1]);
      const port = Number(entry[2]);
      const priority = Number(entry[3]) || 1;
      if (host === "0.0.0.0" || host === "::" || host === "") host = via.host;
      const known = this.nodes.find(
        (n) => n.port === port && (n.host === host || (n === via && port === via.port)),
      );
      if (known) known.priority = priority;
      else if (Number.isInteger(port) && port > 0) this.nodes.push({ host, port, priority });
    }
  }

  /**
   * Runs one command, failing over to another node when the connection is
   * lost. Commands may be resent after a connection loss (at-least-once).
   */
  async call(binary: boolean, args: Array<string | Buffer | number>): Promise<unknown> {
    const deadline = Date.now() + this.failoverTimeout;
    while (true) {
      const { redis, node } = await this.primary();
      try {
        return binary
          ? await redis.callBuffer(String(args[0]), args.slice(1))
          : await redis.call(String(args[0]), args.slice(1));
      } catch (error) {
        if (isReplyError(error)) throw toDocketError(error);
        if (this.closed) throw new ConnectionError("client closed", { cause: error });
        if (this.current?.redis === redis) {
          this.current = undefined;
          redis.disconnect();
          node.priority = Math.max(node.priority, 2);
          setTimeout(() => (node.priority = 1), 5000).unref();
        }
        if (Date.now() >= deadline)
          throw new ConnectionError(`lost the connection to ${node.host}:${node.port}`, { cause: error });
      }
    }
  }

  /**
   * Runs a blocking command on a connection of its own. `abort` ends the call
   * by closing that connection (the server then takes nothing from it).
   */
  async blocking(
    binary: boolean,
    args: Array<string | Buffer | number>,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const deadline = Date.now() + this.failoverTimeout;
    while (true) {
      if (signal?.aborted) return null;
      const { node } = await this.primary();
      let redis = this.idle.pop();
      if (redis && redis.status !== "ready") {
        redis.disconnect();
        redis = undefined;
      }
      try {
        redis ??= await this.open(node);
      } catch (error) {
        if (isReplyError(error)) throw toDocketError(error);
        this.current = undefined;
        if (Date.now() >= deadline)
          throw new ConnectionError(`cannot reach ${node.host}:${node.port}`, { cause: error });
        continue;
      }
      const conn = redis;
      this.busy.add(conn);
      const onAbort = () => conn.disconnect();
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const reply = binary
          ? await conn.callBuffer(String(args[0]), args.slice(1))
          : await conn.call(String(args[0]), args.slice(1));
        if (!this.closed && this.idle.length < 16) this.idle.push(conn);
        else conn.disconnect();
        return reply;
      } catch (error) {
        if (isReplyError(error)) {
          this.idle.push(conn);
          throw toDocketError(error);
        }
        conn.disconnect();
        if (signal?.aborted) return null;
        if (this.closed) throw new ConnectionError("client closed", { cause: error });
        if (this.current && this.current.node === node) {
          // the primary may be gone too: check it on the next call
          if (this.current.redis.status !== "ready") this.current = undefined;
        }
        if (Date.now() >= deadline)
          throw new ConnectionError(`lost the connection to ${node.host}:${node.port}`, { cause: error });
      } finally {
        this.busy.delete(conn);
        signal?.removeEventListener("abort", onAbort);
      }
    }
  }

  /** Closes every connection; blocked calls end with a ConnectionError. */
  close(): void {
    this.closed = true;
    this.current?.redis.disconnect();
    this.current = undefined;
    for (const redis of this.idle) redis.disconnect();
    for (const redis of this.busy) redis.disconnect();
    this.idle.length = 0;
  }
}
