import type { Socket } from "node:net";
import type { ClientAccount, MemoryBudget } from "../../util/memory.js";

export interface BuffersLogger {
  warn(obj: object, msg?: string): void;
}

export interface ConnectionBuffersOptions {
  socket: Socket;
  /** the server-wide memory bound: this connection's buffers count toward it */
  budget: MemoryBudget | undefined;
  logger: BuffersLogger;
  /** who this connection is, for the log */
  describe(): object;
  /** input received and not yet run */
  heldInput(): number;
  /** output produced and not yet handed to the socket */
  unflushedOutput(): number;
  /** read per check: CONFIG SET client-output-limit applies at once */
  maxOutputBytes(): number;
}

/**
 * One connection's buffers, as both TCP doors bound them: its own output
 * limit (past it the client is disconnected) and its share of the
 * server-wide memory bound (which may evict it, Redis's client eviction).
 */
export class ConnectionBuffers {
  private readonly account: ClientAccount | undefined;
  private closed = false;

  constructor(private readonly options: ConnectionBuffersOptions) {
    this.account = options.budget?.open(() => this.evict());
  }

  /** Output bytes produced and not yet handed to the kernel. */
  outputBytes(): number {
    const socket = this.options.socket;
    return this.options.unflushedOutput() + (socket.destroyed ? 0 : socket.writableLength);
  }

  /** Tells the memory budget what this connection's input and output buffers hold now: O(1). */
  report(output = this.outputBytes()): void {
    if (this.account && !this.closed) {
      this.options.budget!.report(this.account, output + this.options.heldInput());
    }
  }

  /** Checks the output limit (disconnecting past it) and reports to the budget; true when the socket is gone. */
  overOutputLimit(): boolean {
    const { socket, logger } = this.options;
    const bytes = this.outputBytes();
    const limit = this.options.maxOutputBytes();
    if (bytes <= limit) {
      this.report(bytes);
      return socket.destroyed;
    }
    logger.warn({ ...this.options.describe(), bytes, limit }, "client output limit exceeded, disconnecting");
    socket.destroy();
    return true;
  }

  /** The socket closed: its buffers leave the budget. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.account) this.options.budget!.close(this.account);
  }

  private evict(): void {
    this.options.logger.warn(
      { ...this.options.describe(), bytes: this.account?.bytes },
      "server memory bound reached: disconnecting the client with the largest buffers",
    );
    this.options.socket.destroy();
  }
}
