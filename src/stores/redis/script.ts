import { createHash } from "node:crypto";
import { BrokerError, type BrokerErrorCode } from "../../core/contract.js";
import type { Redis } from "ioredis";
import type { Client } from "./connection.js";

const CODES = new Set<BrokerErrorCode>([
  "ERR",
  "BADID",
  "NOREPL",
  "MAXLEN",
  "PAUSED",
  "NOJOB",
  "TOOLATE",
  "OOM",
  "MISCONF",
  "DUPLICATE",
]);

/** A Redis reply as ioredis's Buffer commands return it. */
export type Reply = Buffer | number | null | Reply[];

interface BufferScripting {
  evalshaBuffer(sha: string, numKeys: number, ...args: Array<string | Buffer | number>): Promise<Reply>;
  evalBuffer(source: string, numKeys: number, ...args: Array<string | Buffer | number>): Promise<Reply>;
}

/**
 * One Lua script: loaded once on every master (SCRIPT LOAD), then run by
 * EVALSHA; EVAL when a node answers NOSCRIPT (restart, failover).
 */
export class Script {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async load(node: Redis): Promise<void> {
    await node.script("LOAD", this.source);
  }

  async run(
    client: Client | Redis,
    keys: readonly string[],
    args: Array<string | Buffer | number>,
  ): Promise<Reply> {
    // ioredis's callBuffer drops the command name under auto-pipelining; the typed
    // Buffer variants of EVALSHA/EVAL exist at run time but not in its .d.ts.
    const buffers = client as unknown as BufferScripting;
    try {
      return await buffers.evalshaBuffer(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("NOSCRIPT")) {
        try {
          return await buffers.evalBuffer(this.source, keys.length, ...keys, ...args);
        } catch (again) {
          throw brokerError(again);
        }
      }
      throw brokerError(error);
    }
  }
}

/** Script errors whose first word is a broker code become BrokerErrors; others pass through. */
export function brokerError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const space = error.message.indexOf(" ");
  const code = error.message.slice(0, space) as BrokerErrorCode;
  if (space > 0 && CODES.has(code)) {
    // Lua error replies may carry a script location suffix; ours are plain.
    return new BrokerError(code, error.message.slice(space + 1));
  }
  return error;
}

export function str(reply: Reply | undefined): string {
  if (Buffer.isBuffer(reply)) return reply.toString("utf8");
  if (typeof reply === "number") return String(reply);
  return "";
}

export function num(reply: Reply | undefined): number {
  if (typeof reply === "number") return reply;
  if (Buffer.isBuffer(reply)) return Number(reply.toString("latin1"));
  return 0;
}

export function buf(reply: Reply | undefined): Buffer {
  return Buffer.isBuffer(reply) ? reply : Buffer.alloc(0);
}

export function list(reply: Reply | undefined): Reply[] {
  return Array.isArray(reply) ? reply : [];
}
