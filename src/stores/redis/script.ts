import { isUtf8 } from "node:buffer";
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

/** A script's arguments (or a part of them), as ioredis takes them */
export type Argv = Array<string | Buffer | number>;

interface BufferScripting {
  evalshaBuffer(sha: string, numKeys: number, keys: readonly string[], ...argv: Argv[]): Promise<Reply>;
  evalBuffer(source: string, numKeys: number, keys: readonly string[], ...argv: Argv[]): Promise<Reply>;
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

  /** ARGV is the parts one after the other (an addMany run's: its head, then each job's fields). */
  async run(client: Client | Redis, keys: readonly string[], ...parts: Argv[]): Promise<Reply> {
    // ioredis's callBuffer drops the command name under auto-pipelining; the typed
    // Buffer variants of EVALSHA/EVAL exist at run time but not in its .d.ts.
    const buffers = client as unknown as BufferScripting;
    // ioredis flattens its arguments one level (one copy): the parts are not joined here
    for (const part of parts) asText(part);
    try {
      return await buffers.evalshaBuffer(this.sha, keys.length, keys, ...parts);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("NOSCRIPT")) {
        try {
          return await buffers.evalBuffer(this.source, keys.length, keys, ...parts);
        } catch (again) {
          throw brokerError(again);
        }
      }
      throw brokerError(error);
    }
  }
}

/**
 * The arguments with each Buffer that is valid UTF-8 (job bodies, nearly always) as a string:
 * Redis receives the same bytes, as ioredis writes a string UTF-8 encoded and a valid UTF-8
 * Buffer decodes and encodes back to itself. A single Buffer among a command's arguments
 * makes ioredis encode every argument into a Buffer of its own and join them (MixedBuffers),
 * about twice the CPU of one string for an addMany run of 18 jobs; an invalid one stays a
 * Buffer (that run only pays for it), as does a large one. The array is changed in place: callers build it per run.
 */
export function asText(args: Argv): Argv {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (typeof arg === "object" && arg.length <= TEXT_MAX && isUtf8(arg)) args[i] = arg.toString("utf8");
  }
  return args;
}

/** above this, a Buffer's one copy costs less than decoding it (and encoding it back) */
const TEXT_MAX = 16 * 1024;

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
