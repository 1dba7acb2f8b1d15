import type { Arguments } from "../transport/arguments.js";
import { andThen } from "../../../util/awaitable.js";
import { afterFailureDelay, passwordMatches } from "../../../util/password.js";
import { takeLoopDelay } from "../../../util/loop-delay.js";
import { SYNTAX_ERROR, errorOf, str, word } from "../args.js";
import { arityMessage, type CommandSpec, type HandlerResult } from "../command.js";
import type { RespContext } from "../context.js";
import { cluster, hello } from "./cluster.js";
import { replyWhenDurable } from "../durable.js";
import { infoReply } from "./info.js";
import { ErrorReply, OK, SimpleString, type Reply } from "../transport/reply.js";
import { configGet, configSet } from "../settings.js";

/** Connection and server commands: PING, AUTH, INFO, CONFIG, CLIENT, CLUSTER … */

type Spec = CommandSpec<RespContext>;

function ping(_ctx: RespContext, args: Arguments): Reply {
  if (args.length > 2) return new ErrorReply(arityMessage("ping"));
  return args.length > 1 ? args.at(1)! : new SimpleString("PONG");
}

const INVALID_PASSWORD = new ErrorReply("ERR invalid password");

/** A wrong password is answered late, and the last one a connection may send closes it (util/password.ts). */
function auth(ctx: RespContext, args: Arguments): HandlerResult {
  const password = ctx.server.config.requirePass;
  if (password === undefined) return new ErrorReply("ERR Client sent AUTH, but no password is set");
  if (!passwordMatches(args.at(args.length - 1)!, password)) {
    ctx.client.authenticated = false;
    if (ctx.client.authFailures.failed()) ctx.client.closeAfterReply();
    return afterFailureDelay(INVALID_PASSWORD);
  }
  ctx.client.authenticated = true;
  return OK;
}

function quit(ctx: RespContext): Reply {
  ctx.client.closeAfterReply();
  return OK;
}

/** Disque's answer to any other COMMAND form (COMMAND DOCS is docket's own) */
const COMMAND_USAGE = new ErrorReply("ERR Unknown subcommand or wrong number of arguments.");

function command(ctx: RespContext, args: Arguments): Reply {
  const table = ctx.server.commands();
  if (args.length === 1) return table.all().map((spec) => table.commandInfo(spec));
  const sub = word(args, 1);
  if (sub === "count" && args.length === 2) return table.all().length;
  if (sub === "info") {
    return args.views(2).map((name) => {
      const spec = table.lookup(name);
      return spec ? table.commandInfo(spec) : null;
    });
  }
  if (sub === "docs") {
    const names = args.length > 2 ? args.views(2) : table.all().map((spec) => Buffer.from(spec.name));
    const out: Reply[] = [];
    for (const name of names) {
      const spec = table.lookup(name);
      if (spec) out.push(spec.name, ["summary", spec.summary, "syntax", spec.syntax, "group", spec.group]);
    }
    return out;
  }
  return COMMAND_USAGE;
}

/** CONFIG's subcommands and their argument counts, with Disque's errors. */
const CONFIG_ARGS: Record<string, number> = { get: 3, set: 4, resetstat: 2, rewrite: 2 };

function config(ctx: RespContext, args: Arguments): Reply {
  const sub = word(args, 1);
  const wanted = CONFIG_ARGS[sub];
  if (wanted === undefined) {
    return new ErrorReply("ERR CONFIG subcommand must be one of GET, SET, RESETSTAT, REWRITE");
  }
  if (args.length !== wanted) {
    return new ErrorReply(`ERR Wrong number of arguments for CONFIG ${sub.toUpperCase()}`);
  }
  if (sub === "get") return configGet(ctx.server.config, str(args, 2));
  if (sub === "set") {
    configSet(ctx, str(args, 2), str(args, 3));
    return OK;
  }
  // docket takes its settings from the command line only
  if (sub === "rewrite") return new ErrorReply("ERR The server is running without a config file");
  return OK;
}

const VALID_NAME = /^[\x21-\x7e]*$/;

function client(ctx: RespContext, args: Arguments): Reply {
  const sub = word(args, 1);
  const now = Date.now();
  if (sub === "list") {
    const lines: string[] = [];
    for (const c of ctx.server.clients()) {
      const age = Math.floor((now - c.createdAt) / 1000);
      const idle = Math.floor((now - c.lastCommandAt) / 1000);
      const flags = c.blocked ? "b" : "N";
      lines.push(
        `id=${c.id} addr=${c.addr} laddr=${c.laddr} name=${c.name} age=${age} idle=${idle} ` +
          `flags=${flags} omem=${c.outputBytes()} cmd=${c.lastCommand}`,
      );
    }
    return Buffer.from(lines.map((line) => line + "\n").join(""));
  }
  if (sub === "setname" && args.length === 3) {
    const name = str(args, 2);
    if (!VALID_NAME.test(name)) {
      return new ErrorReply("ERR Client names cannot contain spaces, newlines or special characters.");
    }
    ctx.client.name = name;
    return OK;
  }
  if (sub === "getname") return ctx.client.name === "" ? null : ctx.client.name;
  if (sub === "id") return ctx.client.id;
  if (sub === "kill" && args.length >= 3) return clientKill(ctx, args);
  return new ErrorReply(`ERR unknown subcommand or wrong number of arguments for '${str(args, 1)}'`);
}

/** CLIENT KILL addr | CLIENT KILL ID id | ADDR addr … */
function clientKill(ctx: RespContext, args: Arguments): Reply {
  const filters: { id?: number; addr?: string } = {};
  if (args.length === 3) filters.addr = str(args, 2);
  else {
    for (let i = 2; i + 1 < args.length; i += 2) {
      const key = word(args, i);
      if (key === "id") filters.id = Number(str(args, i + 1));
      else if (key === "addr") filters.addr = str(args, i + 1);
      else throw errorOf(SYNTAX_ERROR);
    }
  }
  let killed = 0;
  for (const c of ctx.server.clients()) {
    if (filters.id !== undefined && c.id !== filters.id) continue;
    if (filters.addr !== undefined && c.addr !== filters.addr) continue;
    c.kill();
    killed++;
  }
  if (args.length === 3) return killed > 0 ? OK : new ErrorReply("ERR No such client");
  return killed;
}

function debug(ctx: RespContext, args: Arguments): HandlerResult {
  if (!ctx.server.config.debugCommands) return new ErrorReply("ERR DEBUG command not allowed.");
  if (word(args, 1) === "flushall") {
    return andThen(ctx.broker.flushAll(), () => replyWhenDurable(ctx, OK, false));
  }
  if (word(args, 1) === "loopdelay") {
    const d = takeLoopDelay();
    return [
      "p50-ms",
      String(d.p50Ms),
      "p99-ms",
      String(d.p99Ms),
      "max-ms",
      String(d.maxMs),
      "samples",
      d.samples,
    ];
  }
  return new ErrorReply("ERR unknown DEBUG subcommand; try DEBUG FLUSHALL or DEBUG LOOPDELAY");
}

function time(): Reply {
  const micros = BigInt(Math.round(performance.timeOrigin * 1000 + performance.now() * 1000));
  return [String(micros / 1_000_000n), String(micros % 1_000_000n)];
}

/** Disque's SHUTDOWN options; docket always saves what it has (the journal) */
const SHUTDOWN_OPTIONS = new Set(["save", "nosave"]);

function shutdown(ctx: RespContext, args: Arguments): Reply {
  if (args.length > 2 || (args.length === 2 && !SHUTDOWN_OPTIONS.has(word(args, 1)))) {
    throw errorOf(SYNTAX_ERROR);
  }
  ctx.server.shutdown();
  ctx.client.closeAfterReply();
  return OK;
}

export const adminCommands: Spec[] = [
  {
    name: "ping",
    arity: -1,
    flags: ["readonly", "fast"],
    group: "server",
    summary: "Answers PONG, or echoes its argument",
    syntax: "PING [message]",
    handler: ping,
  },
  {
    name: "auth",
    arity: 2,
    flags: ["readonly", "loading", "fast", "noauth"],
    group: "server",
    summary: "Authenticate with the server password",
    syntax: "AUTH password",
    secretFrom: () => 1,
    handler: auth,
  },
  {
    name: "quit",
    arity: 1,
    flags: ["noauth", "fast"],
    group: "server",
    summary: "Close the connection",
    syntax: "QUIT",
    handler: quit,
  },
  {
    name: "hello",
    // Disque takes no argument, but ioredis opens with `HELLO 3`: docket ignores arguments.
    arity: -1,
    flags: ["readonly", "fast"],
    group: "disque",
    summary: "This node's id and every node of the deployment",
    syntax: "HELLO",
    handler: hello,
  },
  {
    name: "info",
    arity: -1,
    flags: ["readonly", "loading"],
    group: "server",
    summary: "Server information and statistics",
    syntax: "INFO [section]",
    handler: infoReply,
  },
  {
    name: "command",
    arity: 0,
    flags: ["readonly", "loading"],
    group: "server",
    summary: "Describe the command table",
    syntax: "COMMAND [COUNT|INFO name ...|DOCS [name ...]]",
    handler: command,
  },
  {
    name: "config",
    arity: -2,
    flags: ["readonly", "admin"],
    group: "server",
    summary: "Read or change settings",
    syntax: "CONFIG GET pattern | CONFIG SET name value | CONFIG RESETSTAT | CONFIG REWRITE",
    // CONFIG SET requirepass: the new password
    secretFrom: (args) => (args.length > 3 && word(args, 2) === "requirepass" ? 3 : undefined),
    handler: config,
  },
  {
    name: "client",
    arity: -2,
    flags: ["readonly", "admin"],
    group: "server",
    summary: "Inspect and manage connections",
    syntax: "CLIENT LIST|SETNAME name|GETNAME|ID|KILL addr|KILL ID id",
    handler: client,
  },
  {
    name: "debug",
    arity: -2,
    // Disque: `admin` alone; docket journals DEBUG FLUSHALL, so it is a write (-MISCONF).
    flags: ["admin", "write"],
    group: "server",
    summary:
      "DEBUG FLUSHALL deletes every job and queue; DEBUG LOOPDELAY: event-loop delay since the last call",
    syntax: "DEBUG FLUSHALL|LOOPDELAY",
    handler: debug,
  },
  {
    name: "time",
    arity: 1,
    flags: ["readonly", "fast"],
    group: "server",
    summary: "Server time: seconds and microseconds",
    syntax: "TIME",
    handler: time,
  },
  {
    name: "shutdown",
    arity: -1,
    flags: ["readonly", "admin", "loading"],
    group: "server",
    summary: "Stop the server cleanly",
    syntax: "SHUTDOWN",
    handler: shutdown,
  },
  {
    name: "cluster",
    arity: -2,
    flags: ["readonly", "admin"],
    group: "disque",
    summary: "The node's id, the deployment's nodes, whether this node is leaving",
    syntax: "CLUSTER MYID|INFO|NODES|LEAVING [yes|no]",
    handler: cluster,
  },
];
