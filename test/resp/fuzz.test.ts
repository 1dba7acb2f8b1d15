import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { CommandTable, type CommandSpec } from "../../src/doors/resp/command.js";
import { OK, SimpleString, type Reply } from "../../src/doors/resp/transport/reply.js";
import { RespServer } from "../../src/doors/resp/transport/server.js";
import { RawClient } from "../helpers/raw-client.js";

/**
 * Random and mutated-valid RESP input against a live server: the server
 * must keep its framing (every byte it sends is a sequence of well-formed
 * replies), never crash, and still answer PING afterwards.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const TIME_BUDGET_MS = 8000;
const INPUTS = 4000;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = mulberry32(SEED);
const int = (n: number): number => Math.floor(rand() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;

type Ctx = object;
const handlerErrors: string[] = [];

function spec(
  name: string,
  arity: number,
  flags: CommandSpec<Ctx>["flags"],
  handler: CommandSpec<Ctx>["handler"],
) {
  return { name, arity, flags, group: "fuzz", summary: name, syntax: name, handler };
}

/** handlers draw from their own generator, so the inputs do not depend on timing */
const handlerRand = mulberry32(SEED + 1);
const delayed = (ms: number, value: Reply): Promise<Reply> =>
  new Promise((resolve) => setTimeout(() => resolve(value), ms));

const table = new CommandTable<Ctx>([
  spec("ping", -1, ["fast"], (_c, args) => (args.length > 1 ? args.at(1)! : new SimpleString("PONG"))),
  spec("echo", 2, [], (_c, args) => args.at(1)!),
  spec("set", 3, ["write"], () => OK),
  spec("slow", -1, ["blocking"], () => delayed(Math.floor(handlerRand() * 5), "slow")),
  spec("delay", -1, [], () => delayed(Math.floor(handlerRand() * 5), [1, "delay", null])),
  spec("big", 2, [], (_c, args) =>
    Buffer.alloc(Math.max(0, Math.min(Number(args.at(1)!.toString()) || 0, 64 * 1024)), 0x7a),
  ),
  spec("boom", -1, [], () => {
    throw new Error("boom");
  }),
  spec("quit", 1, ["noauth"], () => OK),
]);

const COMMANDS = ["PING", "ping", "ECHO", "SET", "SLOW", "DELAY", "BIG", "BOOM", "QUIT", "NOPE", "EcHo"];

function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
}

function randomArg(): Buffer {
  switch (int(6)) {
    case 0:
      return Buffer.from(String(int(100_000)));
    case 1:
      return randomBytes(int(40));
    case 2:
      return Buffer.from("\r\n" + "x".repeat(int(10)) + "\"'\\");
    case 3:
      return Buffer.alloc(0);
    case 4:
      return Buffer.alloc(int(3000), 0x61);
    default:
      return Buffer.from(pick(["a", "b c", "FROM", "TIMEOUT", "-1", "0"]));
  }
}

function validMultibulk(): Buffer {
  const args: Buffer[] = [Buffer.from(pick(COMMANDS))];
  const n = int(4);
  for (let i = 0; i < n; i++) args.push(randomArg());
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from("\r\n"));
  return Buffer.concat(parts);
}

function validInline(): Buffer {
  const words = [pick(COMMANDS)];
  const n = int(4);
  for (let i = 0; i < n; i++) {
    words.push(pick(["x", '"quoted arg"', "'single'", '"\\x41\\n"', String(int(1000)), '"unbalanced', "''"]));
  }
  return Buffer.from(words.join(pick([" ", "  ", "\t"])) + pick(["\r\n", "\n"]));
}

function mutate(input: Buffer): Buffer {
  const b = Buffer.from(input);
  switch (int(7)) {
    case 0: // flip some bytes
      for (let i = 0, n = 1 + int(3); i < n && b.length > 0; i++) b[int(b.length)] = int(256);
      return b;
    case 1: // truncate
      return b.subarray(0, int(b.length + 1));
    case 2: {
      // replace a length with another number
      const s = b
        .toString("latin1")
        .replace(
          /([*$])(\d+)/,
          (_m, t: string) => t + pick(["-1", "0", "99999999999", "x", "", "-5", "1048577", "3"]),
        );
      return Buffer.from(s, "latin1");
    }
    case 3: // duplicate a slice
      if (b.length === 0) return b;
      {
        const at = int(b.length);
        return Buffer.concat([b, b.subarray(at, at + int(20))]);
      }
    case 4: {
      // insert CR/LF/quotes/NUL
      const at = int(b.length + 1);
      return Buffer.concat([
        b.subarray(0, at),
        Buffer.from(pick(["\r", "\n", "\r\n", '"', "'", "\0", "*", "$"])),
        b.subarray(at),
      ]);
    }
    case 5: // a huge line without newline
      return Buffer.concat([b, Buffer.alloc(2000 + int(3000), 0x41)]);
    default:
      return b;
  }
}

function randomInput(): Buffer {
  switch (int(5)) {
    case 0:
      return randomBytes(int(300));
    case 1:
      return validMultibulk();
    case 2:
      return validInline();
    default:
      return mutate(rand() < 0.5 ? validMultibulk() : validInline());
  }
}

/**
 * Checks that `data` is a sequence of complete RESP replies, allowing an
 * incomplete tail (we may have closed before everything arrived).
 * Returns the number of replies or throws on a malformed one.
 */
function checkFraming(data: Buffer): number {
  let count = 0;
  let at = 0;
  const one = (pos: number): number => {
    if (pos >= data.length) return -1;
    const nl = data.indexOf("\r\n", pos);
    if (nl < 0) return -1;
    const type = String.fromCharCode(data[pos]!);
    const header = data.toString("latin1", pos + 1, nl);
    if (type === "+" || type === "-") {
      assert.ok(!header.includes("\r") && !header.includes("\n"));
      return nl + 2;
    }
    if (type === ":") {
      assert.match(header, /^-?\d+$/);
      return nl + 2;
    }
    assert.match(header, /^(-1|\d+)$/, `bad header ${JSON.stringify(header)}`);
    const n = Number(header);
    if (type === "$") {
      if (n < 0) return nl + 2;
      if (data.length < nl + 2 + n + 2) return -1;
      assert.equal(data.toString("latin1", nl + 2 + n, nl + 4 + n), "\r\n");
      return nl + 4 + n;
    }
    assert.equal(type, "*", `bad reply type ${JSON.stringify(type)} at ${pos}`);
    let p = nl + 2;
    for (let i = 0; i < n; i++) {
      p = one(p);
      if (p < 0) return -1;
    }
    return p;
  };
  for (;;) {
    const next = one(at);
    if (next < 0) return count;
    count++;
    at = next;
  }
}

interface Conn {
  socket: Socket;
  data: Buffer[];
  closed: Promise<void>;
}

function open(port: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const data: Buffer[] = [];
    const socket = connect({ port, host: "127.0.0.1" });
    const closed = new Promise<void>((done) => socket.on("close", () => done()));
    socket.on("data", (chunk: Buffer) => data.push(chunk));
    socket.once("connect", () => {
      socket.on("error", () => {});
      resolve({ socket, data, closed });
    });
    socket.once("error", reject);
  });
}

describe("RESP fuzzing", () => {
  let server: RespServer<Ctx>;
  let port: number;

  before(async () => {
    server = new RespServer<Ctx>({
      port: 0,
      host: "127.0.0.1",
      table,
      makeContext: () => ({}),
      limits: { maxInlineBytes: 4096, maxMultibulkLength: 1000, maxBulkBytes: 1024 * 1024, maxClients: 1000 },
      logger: {
        info() {},
        warn() {},
        error: (obj, msg) => {
          const message = (obj as { err?: Error }).err?.message;
          if (message !== "boom") handlerErrors.push(`${msg}: ${message}`);
        },
      },
    });
    ({ port } = await server.listen());
  });
  after(() => server.close());

  it(`survives ${INPUTS} random and mutated inputs (seed ${SEED})`, async (t) => {
    const started = Date.now();
    const reused: Conn[] = [];
    const finished: Conn[] = [];
    let sent = 0;
    while (sent < INPUTS && Date.now() - started < TIME_BUDGET_MS) {
      // a fresh connection a third of the time, else one of a few long-lived ones
      let conn: Conn;
      if (reused.length < 4 || rand() < 0.33) {
        conn = await open(port);
        if (reused.length < 8) reused.push(conn);
        else finished.push(conn);
      } else {
        conn = pick(reused);
      }
      if (conn.socket.destroyed || conn.socket.writableEnded) {
        reused.splice(reused.indexOf(conn), 1);
        finished.push(conn);
        continue;
      }
      const burst = 1 + int(5);
      for (let i = 0; i < burst; i++) {
        const input = randomInput();
        // sometimes in small pieces, to exercise the parser's split handling over TCP
        if (rand() < 0.2)
          for (let at = 0; at < input.length; at += 7) conn.socket.write(input.subarray(at, at + 7));
        else conn.socket.write(input);
        sent++;
      }
      if (!reused.includes(conn)) {
        if (rand() < 0.5) conn.socket.end();
        else setTimeout(() => conn.socket.destroy(), int(20));
      }
      if (sent % 200 < 5) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const conn of reused) {
      conn.socket.end();
      finished.push(conn);
    }
    // give the server a moment to answer, then check every connection's framing
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(finished.map((c) => c.closed)),
      new Promise((resolve) => (timer = setTimeout(resolve, 3000))),
    ]);
    clearTimeout(timer);
    let replies = 0;
    for (const conn of finished) {
      conn.socket.destroy();
      replies += checkFraming(Buffer.concat(conn.data));
    }
    t.diagnostic(`${sent} inputs on ${finished.length} connections, ${replies} replies`);
    assert.ok(sent >= 1000, `only ${sent} inputs within the time budget`);
    assert.ok(replies > 0, "the server answered something");
    assert.deepEqual(handlerErrors, [], "no unexpected failures were logged");

    // the server still works, and has let every fuzzing connection go
    const c = await RawClient.connect(port);
    try {
      assert.equal(await c.call("PING"), "+PONG\r\n");
      c.write("PING\r\n");
      assert.equal(await c.reply(), "+PONG\r\n");
      const deadline = Date.now() + 5000;
      while ([...server.clients()].length > 1 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.equal([...server.clients()].length, 1);
    } finally {
      c.close();
    }
  });
});
