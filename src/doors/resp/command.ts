import type { Request } from "./transport/parser.js";
import type { Arguments } from "./transport/arguments.js";
import type { HeldReply } from "./transport/held-reply.js";
import { lowerAscii } from "../../util/ascii.js";
import { SimpleString, type Reply } from "./transport/reply.js";

/**
 * The command table: one list of specs drives dispatch, arity errors,
 * COMMAND and the docs, as in Redis.
 */

/**
 * Redis's and Disque's flags, shown by COMMAND: `write` is refused with
 * -MISCONF while the journal cannot write, `denyoom` with -OOM above
 * --maxmemory; `loading` (allowed while the data loads) is descriptive, as
 * docket listens only once its data is loaded. Two more steer dispatch and
 * are not shown (Disque's dispatcher knows AUTH and GETJOB by name):
 * `blocking` (the reply may wait for other clients) and `noauth` (allowed
 * before AUTH).
 */
export type CommandFlag =
  "write" | "readonly" | "denyoom" | "admin" | "loading" | "fast" | "blocking" | "noauth";

/** the flags COMMAND does not list */
const DISPATCH_ONLY_FLAGS: ReadonlySet<CommandFlag> = new Set<CommandFlag>(["blocking", "noauth"]);

/** What a handler answers: a reply, one held until a barrier passes (a write's durability), or a Promise of either. */
export type HandlerResult = Reply | HeldReply | Promise<Reply | HeldReply>;

export interface CommandSpec<Ctx> {
  /** lower-case */
  name: string;
  /** Redis convention, counting the command name: > 0 exactly, < 0 at least -arity, 0 any (Disque's COMMAND) */
  arity: number;
  flags: CommandFlag[];
  /** "disque" | "server" | "okq" | "takeanumber" | "docket" … */
  group: string;
  /** one-line doc */
  summary: string;
  /** e.g. "ADDJOB queue body ms-timeout [REPLICATE n] …" */
  syntax: string;
  /**
   * `args.at(0)` is the command name as sent. Arguments are spans of the
   * connection's input: copy (`args.copy(i)`) what you keep after returning.
   */
  handler: (ctx: Ctx, args: Arguments, req: Request) => HandlerResult;
  /**
   * The index of the first argument MONITOR and SLOWLOG show as `(redacted)`
   * (AUTH's password), or undefined when every argument may be shown.
   */
  secretFrom?: (args: Arguments) => number | undefined;
  /** inline, the command reads its last argument verbatim from `req.inlineLine` (takeanumber ADD) */
  verbatimInline?: boolean;
}

/** Flag bits, precomputed per command so that dispatch tests a number. */
export const FLAG_WRITE = 1;
export const FLAG_READONLY = 2;
export const FLAG_BLOCKING = 4;
export const FLAG_ADMIN = 8;
export const FLAG_NOAUTH = 16;
export const FLAG_FAST = 32;
export const FLAG_DENYOOM = 64;
export const FLAG_LOADING = 128;

const FLAG_BITS: Record<CommandFlag, number> = {
  write: FLAG_WRITE,
  readonly: FLAG_READONLY,
  blocking: FLAG_BLOCKING,
  admin: FLAG_ADMIN,
  noauth: FLAG_NOAUTH,
  fast: FLAG_FAST,
  denyoom: FLAG_DENYOOM,
  loading: FLAG_LOADING,
};

/** A spec with what dispatch needs precomputed. */
export interface CommandEntry<Ctx> {
  readonly spec: CommandSpec<Ctx>;
  /** FLAG_* bits */
  readonly mask: number;
  /** the name as lower-case ASCII bytes */
  readonly nameBytes: Buffer;
  /** times dispatched to its handler (as Redis's cmdstat calls) */
  calls: number;
}

const MAX_NAME_BYTES = 64;

/** FNV-1a over the ASCII-lower-cased bytes: no string is made to look a name up. */
function hashLower(buf: Buffer, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ lowerAscii(buf[i]!), 0x01000193);
  return h >>> 0;
}

function equalsLower(buf: Buffer, from: number, to: number, lower: Buffer): boolean {
  if (to - from !== lower.length) return false;
  for (let i = from; i < to; i++) if (lowerAscii(buf[i]!) !== lower[i - from]) return false;
  return true;
}

export class CommandTable<Ctx> {
  private readonly specs: CommandSpec<Ctx>[];
  private readonly byHash = new Map<number, CommandEntry<Ctx>[]>();
  private readonly entries = new Map<CommandSpec<Ctx>, CommandEntry<Ctx>>();
  private readonly infos = new Map<CommandSpec<Ctx>, Reply>();

  constructor(specs: CommandSpec<Ctx>[]) {
    this.specs = [...specs];
    for (const spec of this.specs) {
      if (spec.name !== spec.name.toLowerCase() || !/^[\x21-\x7e]+$/.test(spec.name)) {
        throw new Error(`command name must be lower-case printable ASCII: '${spec.name}'`);
      }
      if (spec.name.length > MAX_NAME_BYTES) throw new Error(`command name too long: '${spec.name}'`);
      if (!Number.isInteger(spec.arity)) {
        throw new Error(`bad arity ${spec.arity} for '${spec.name}'`);
      }
      const nameBytes = Buffer.from(spec.name, "latin1");
      const hash = hashLower(nameBytes, 0, nameBytes.length);
      const bucket = this.byHash.get(hash) ?? [];
      if (bucket.some((entry) => entry.spec.name === spec.name)) {
        throw new Error(`duplicate command '${spec.name}'`);
      }
      let mask = 0;
      for (const flag of spec.flags) mask |= FLAG_BITS[flag];
      const entry: CommandEntry<Ctx> = { spec, mask, nameBytes, calls: 0 };
      bucket.push(entry);
      this.byHash.set(hash, bucket);
      this.entries.set(spec, entry);
    }
  }

  /** The command named `nameBuf`, case-insensitively. */
  lookup(nameBuf: Buffer): CommandSpec<Ctx> | undefined {
    return this.lookupEntry(nameBuf, 0, nameBuf.length)?.spec;
  }

  /** As lookup, of the name at bytes[from, to), with the precomputed flag bits (used by the dispatcher). */
  lookupEntry(bytes: Buffer, from: number, to: number): CommandEntry<Ctx> | undefined {
    if (to - from > MAX_NAME_BYTES) return undefined;
    const bucket = this.byHash.get(hashLower(bytes, from, to));
    if (bucket === undefined) return undefined;
    for (let i = 0; i < bucket.length; i++) {
      const entry = bucket[i]!;
      if (equalsLower(bytes, from, to, entry.nameBytes)) return entry;
    }
    return undefined;
  }

  /** [name, calls] of every command called at least once, in table order. */
  *callCounts(): IterableIterator<[string, number]> {
    for (const entry of this.entries.values()) if (entry.calls > 0) yield [entry.spec.name, entry.calls];
  }

  /** Every spec, in table order. */
  all(): CommandSpec<Ctx>[] {
    return this.specs;
  }

  /** Disque's COMMAND INFO entry: [name, arity, [flags…], first key 0, last key 0, step 0]. */
  commandInfo(spec: CommandSpec<Ctx>): Reply {
    let info = this.infos.get(spec);
    if (info === undefined) {
      const shown = spec.flags.filter((flag) => !DISPATCH_ONLY_FLAGS.has(flag));
      info = [spec.name, spec.arity, shown.map((flag) => new SimpleString(flag)), 0, 0, 0];
      this.infos.set(spec, info);
    }
    return info;
  }
}

const REDACTED = Buffer.from("(redacted)");

/** The arguments as MONITOR and SLOWLOG may show them: secrets replaced by `(redacted)`. */
export function shownArgs<Ctx>(spec: CommandSpec<Ctx>, args: Arguments): Buffer[] {
  const from = spec.secretFrom?.(args);
  const shown = args.views();
  return from === undefined ? shown : shown.map((arg, i) => (i >= from ? REDACTED : arg));
}

/** `-ERR unknown command 'FOO'`, the name as sent (at most 128 characters, as Redis). */
export function unknownCommandMessage(nameBuf: Buffer): string {
  return `ERR unknown command '${nameBuf.toString("utf8", 0, Math.min(nameBuf.length, 128))}'`;
}

/** `-ERR wrong number of arguments for 'addjob' command` */
export function arityMessage(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

/** Whether `argc` (command name included) fits `arity`. */
export function arityOk(arity: number, argc: number): boolean {
  return arity > 0 ? argc === arity : argc >= -arity; // arity 0: any argc
}
