import { createServer, type Server, type Socket } from "node:net";
import type { Broker } from "../../broker.js";
import type { Logger } from "../../log.js";
import { runTaskq } from "./commands.js";
import { TaskqFatal, TaskqParser, type TaskqLimits } from "./parser.js";

export interface TaskqServerOptions {
  host: string;
  port: number;
  broker: Broker;
  limits: TaskqLimits;
  logger: Logger;
  /** why writes are refused right now (the journal cannot write), or undefined */
  writeRefusal?: () => string | undefined;
}

/**
 * The TaskQ text protocol's TCP door: parses requests, runs them in order
 * and writes the replies in request order (requests may be pipelined).
 */
export class TaskqServer {
  private readonly net: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly options: TaskqServerOptions) {
    this.net = createServer((socket) => this.accept(socket));
  }

  /** CONFIG SET max-job-size: applies to new and open connections */
  setMaxBodyBytes(bytes: number): void {
    this.options.limits.maxBodyBytes = bytes;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.net.once("error", reject);
      this.net.listen(this.options.port, this.options.host, () => {
        this.net.off("error", reject);
        const address = this.net.address();
        resolve(typeof address === "object" && address ? address.port : this.options.port);
      });
    });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const parser = new TaskqParser(this.options.limits);
    /** the replies not yet written, in request order, as a chain */
    let behind: Promise<void> | undefined;
    let ended = false;
    const write = (bytes: Buffer) => {
      if (!socket.destroyed) socket.write(bytes);
    };
    socket.on("data", (chunk: Buffer) => {
      if (ended) return;
      parser.feed(chunk);
      socket.cork();
      try {
        for (;;) {
          const item = parser.next();
          if (item === null) break;
          if (item instanceof TaskqFatal) {
            ended = true;
            const bytes = Buffer.from(`${item.rid} error ${item.message}\n`);
            const finish = () => {
              write(bytes);
              socket.end();
            };
            if (behind) void behind.then(finish);
            else finish();
            break;
          }
          const reply = runTaskq(this.options.broker, item, this.options.writeRefusal);
          if (behind === undefined && !(reply instanceof Promise)) {
            write(reply);
            continue;
          }
          const chain: Promise<void> = (behind ?? Promise.resolve())
            .then(() => reply)
            .then(write, (error: unknown) => {
              this.options.logger.error({ err: error }, "taskq request failed");
              socket.destroy();
            })
            .then(() => {
              if (behind === chain) behind = undefined;
            });
          behind = chain;
        }
      } finally {
        socket.uncork();
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => this.sockets.delete(socket));
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.net.close(() => resolve()));
  }
}
