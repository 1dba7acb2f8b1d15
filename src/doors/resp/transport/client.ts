import type { Connection } from "./connection.js";
import { AuthFailures } from "../../../util/password.js";
import type { Consumer } from "../../../core/explain.js";

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
  /** `closed` as a function, made once: for the write gate's handOver, on every GETJOB */
  readonly isGone = (): boolean => this.closed;

  private consumerRef: Consumer | undefined = undefined;

  /**
   * This connection as the broker's consumer (EXPLAIN's "leased to", "paused
   * by", last fetch): one object per connection, shared by every job it fetches.
   */
  get consumer(): Consumer {
    return (this.consumerRef ??= { id: String(this.id), addr: this.addr });
  }

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
