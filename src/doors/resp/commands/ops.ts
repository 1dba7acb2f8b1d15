import type { Arguments } from "../transport/arguments.js";
import { NOT_INTEGER, SYNTAX_ERROR, parseIntArg, str, word } from "../args.js";
import type { CommandSpec } from "../command.js";
import type { RespContext } from "../context.js";
import { ErrorReply, OK, SimpleString, type Reply } from "../transport/reply.js";

/**
 * Operators' commands Disque has and tools call: MONITOR, SLOWLOG, LATENCY,
 * BGREWRITEAOF, LOADJOB. Replies as Disque 1.0-rc1 gives them (docs/disque.md).
 */

type Spec = CommandSpec<RespContext>;

function monitor(ctx: RespContext): Reply {
  ctx.client.monitor();
  return OK;
}

const SLOWLOG_USAGE = new ErrorReply(
  "ERR Unknown SLOWLOG subcommand or wrong # of args. Try GET, RESET, LEN.",
);
/** SLOWLOG GET with no count */
const SLOWLOG_DEFAULT_COUNT = 10;

function slowlog(ctx: RespContext, args: Arguments): Reply {
  const sub = word(args, 1);
  const log = ctx.server.slowlog;
  if (sub === "reset" && args.length === 2) {
    log.reset();
    return OK;
  }
  if (sub === "len" && args.length === 2) return log.length;
  if (sub === "get" && args.length <= 3) {
    let count = SLOWLOG_DEFAULT_COUNT;
    if (args.length === 3) {
      const given = parseIntArg(args, 2);
      if (given === undefined) return new ErrorReply(`ERR ${NOT_INTEGER}`);
      count = given;
    }
    return log.newest(count).map((entry) => [entry.id, entry.at, entry.micros, entry.args]);
  }
  return SLOWLOG_USAGE;
}

export const LATENCY_DOCTOR =
  "I'm sorry, Dave, I can't do that. docket has no latency monitor (latency-monitor-threshold is 0 " +
  "and stays 0): DEBUG LOOPDELAY reports the event loop's delays, and SLOWLOG the slow commands.\n";

/** docket has no latency monitor: every subcommand answers as Disque's does while it is off. */
function latency(_ctx: RespContext, args: Arguments): Reply {
  const sub = word(args, 1);
  if (sub === "latest" && args.length === 2) return [];
  if (sub === "history" && args.length === 3) return [];
  if (sub === "reset") return 0;
  if (sub === "doctor" && args.length === 2) return LATENCY_DOCTOR;
  if (sub === "graph" && args.length === 3) {
    return new ErrorReply(`ERR No samples available for event '${str(args, 2)}'`);
  }
  return new ErrorReply(`ERR ${SYNTAX_ERROR}`);
}

const REWRITE_STARTED = new SimpleString("Background append only file rewriting started");
const REWRITE_RUNNING = new ErrorReply("ERR Background append only file rewriting already in progress");
const NO_JOURNAL = new ErrorReply(
  "ERR BGREWRITEAOF: the Redis store has no journal to rewrite (Redis keeps its own persistence)",
);

/** The journal's compaction is docket's AOF rewrite: a snapshot, then a fresh journal. */
function bgrewriteaof(ctx: RespContext): Reply {
  const state = ctx.server.compactJournal();
  if (state === "started") return REWRITE_STARTED;
  return state === "in-progress" ? REWRITE_RUNNING : NO_JOURNAL;
}

/** Disque reads LOADJOB only from its AOF; docket's journal is not replayed through commands. */
const LOADJOB_REFUSED = new ErrorReply("ERR LOADJOB is a special command only processed from AOF");

export const opsCommands: Spec[] = [
  {
    name: "monitor",
    arity: 1,
    flags: ["readonly", "admin"],
    group: "server",
    summary: "Show every command the server runs, as it runs it (AUTH's password redacted)",
    syntax: "MONITOR",
    handler: monitor,
  },
  {
    name: "slowlog",
    arity: -2,
    flags: ["readonly"],
    group: "server",
    summary: "The commands that ran longer than slowlog-log-slower-than microseconds",
    syntax: "SLOWLOG GET [count] | SLOWLOG LEN | SLOWLOG RESET",
    handler: slowlog,
  },
  {
    name: "latency",
    arity: -2,
    flags: ["readonly", "admin", "loading"],
    group: "server",
    summary: "Disque's latency monitor, which docket does not have: empty answers",
    syntax: "LATENCY LATEST | HISTORY event | RESET [event ...] | DOCTOR | GRAPH event",
    handler: latency,
  },
  {
    name: "bgrewriteaof",
    arity: 1,
    flags: ["readonly", "admin"],
    group: "server",
    summary: "Compact the journal now (embedded store)",
    syntax: "BGREWRITEAOF",
    handler: bgrewriteaof,
  },
  {
    name: "loadjob",
    arity: 2,
    flags: ["write"],
    group: "disque",
    summary: "Disque's AOF-only command: refused, as Disque refuses it from clients",
    syntax: "LOADJOB serialized-job",
    handler: () => LOADJOB_REFUSED,
  },
];
