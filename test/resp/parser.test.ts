import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BIG_BULK,
  ProtocolError,
  RequestParser,
  type ParserLimits,
  type Request,
} from "../../src/doors/resp/transport/parser.js";
import { parseLongLong, splitArgs } from "../../src/doors/resp/transport/words.js";

type Parsed = { args: string[]; inline?: string } | { error: string };

function drain(parser: RequestParser, out: Parsed[]): void {
  if (out.length > 0 && "error" in out[out.length - 1]!) return; // reported once
  for (;;) {
    const r = parser.next();
    if (r === null) return;
    if (r instanceof ProtocolError) {
      out.push({ error: r.message });
      return;
    }
    out.push(show(r));
  }
}

function show(r: Request): Parsed {
  const p: Parsed = { args: r.args.views().map((a) => a.toString("latin1")) };
  if (r.inlineLine !== undefined) p.inline = r.inlineLine.toString("latin1");
  return p;
}

/** Feeds `input` in the given pieces, draining after each. */
function parseChunks(chunks: Buffer[], limits?: Partial<ParserLimits>): Parsed[] {
  const parser = new RequestParser({
    maxInlineBytes: 64 * 1024,
    maxMultibulkLength: 1024 * 1024,
    maxBulkBytes: 512 * 1024 * 1024,
    ...limits,
  });
  const out: Parsed[] = [];
  for (const chunk of chunks) {
    parser.feed(Buffer.from(chunk)); // a fresh copy, as a socket would deliver
    drain(parser, out);
  }
  return out;
}

function parse(input: string | Buffer, limits?: Partial<ParserLimits>): Parsed[] {
  return parseChunks([Buffer.from(input as string, "latin1")], limits);
}

function mb(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a, "latin1")}\r\n${a}\r\n`).join("");
}

const PIPELINE = Buffer.from(
  mb("SET", "key", "va\r\nlue") +
    "PING\r\n" +
    mb("ECHO", "") +
    "*0\r\n" +
    "  echo \"a b\" 'c d'\n" +
    "\r\n" +
    "*-1\r\n" +
    mb("ADDJOB", "q", "x".repeat(300), "0") +
    "QUIT\r\n",
  "latin1",
);
const PIPELINE_EXPECTED: Parsed[] = [
  { args: ["SET", "key", "va\r\nlue"] },
  { args: ["PING"], inline: "PING" },
  { args: ["ECHO", ""] },
  { args: ["echo", "a b", "c d"], inline: "  echo \"a b\" 'c d'" },
  { args: ["ADDJOB", "q", "x".repeat(300), "0"] },
  { args: ["QUIT"], inline: "QUIT" },
];

describe("RequestParser", () => {
  it("parses multibulk and inline requests", () => {
    assert.deepEqual(parse(mb("PING")), [{ args: ["PING"] }]);
    assert.deepEqual(parse("PING\r\n"), [{ args: ["PING"], inline: "PING" }]);
    assert.deepEqual(parse("ping a  b\n"), [{ args: ["ping", "a", "b"], inline: "ping a  b" }]);
    assert.deepEqual(parse(PIPELINE), PIPELINE_EXPECTED);
  });

  it("gives the same requests for every split of a pipelined stream", () => {
    // every single cut point
    for (let cut = 0; cut <= PIPELINE.length; cut++) {
      const got = parseChunks([PIPELINE.subarray(0, cut), PIPELINE.subarray(cut)]);
      assert.deepEqual(got, PIPELINE_EXPECTED, `cut at ${cut}`);
    }
    // every pair of cut points (three pieces) on a shorter stream
    const short = Buffer.from(mb("A", "b\r\n") + "X y\r\n" + mb("Z"), "latin1");
    const shortExpected = parse(short);
    for (let i = 0; i <= short.length; i++) {
      for (let j = i; j <= short.length; j++) {
        const got = parseChunks([short.subarray(0, i), short.subarray(i, j), short.subarray(j)]);
        assert.deepEqual(got, shortExpected, `cuts at ${i}, ${j}`);
      }
    }
    // byte by byte
    const bytes = Array.from(PIPELINE, (b) => Buffer.from([b]));
    assert.deepEqual(parseChunks(bytes), PIPELINE_EXPECTED);
  });

  it("returns a request only once complete", () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from("*2\r\n$4\r\nECHO\r\n$3\r\nab"));
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedBytes(), 2);
    parser.feed(Buffer.from("c\r"));
    assert.equal(parser.next(), null);
    parser.feed(Buffer.from("\n"));
    const r = parser.next() as Request;
    assert.deepEqual(
      r.args.views().map((a) => a.toString()),
      ["ECHO", "abc"],
    );
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedBytes(), 0);
  });

  it("keeps binary bulks intact, CR LF and NUL included", () => {
    const body = Buffer.from([0, 13, 10, 255, 13, 10, 36, 42, 0]);
    const input = Buffer.concat([
      Buffer.from(`*2\r\n$3\r\nSET\r\n$${body.length}\r\n`),
      body,
      Buffer.from("\r\n"),
    ]);
    for (let cut = 0; cut <= input.length; cut++) {
      const parser = new RequestParser();
      parser.feed(Buffer.from(input.subarray(0, cut)));
      const first = parser.next();
      parser.feed(Buffer.from(input.subarray(cut)));
      const r = (first ?? parser.next()) as Request;
      assert.ok(!(r instanceof ProtocolError));
      assert.deepEqual(r.args.at(1), body, `cut at ${cut}`);
    }
  });

  it("reads big bulks into their own buffer across many chunks", () => {
    const size = BIG_BULK * 5 + 17;
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = (i * 7) & 0xff;
    const input = Buffer.concat([
      Buffer.from(`*3\r\n$6\r\nADDJOB\r\n$${size}\r\n`),
      body,
      Buffer.from("\r\n$1\r\n0\r\n"),
      Buffer.from(mb("PING")),
    ]);
    for (const step of [1000, 4096, 65536, 7, input.length]) {
      const parser = new RequestParser();
      const out: Request[] = [];
      for (let at = 0; at < input.length; at += step) {
        parser.feed(Buffer.from(input.subarray(at, at + step)));
        for (let r = parser.next(); r !== null; r = parser.next()) out.push(r as Request);
      }
      assert.equal(out.length, 2, `step ${step}`);
      const bulk = out[0]!.args.at(1)!;
      assert.ok(bulk.equals(body), `step ${step}`);
      // a big bulk owns its memory: nothing else is pinned by it
      assert.equal(bulk.byteLength, bulk.buffer.byteLength);
      assert.equal(out[0]!.args.copy(1), bulk);
      assert.equal(out[0]!.args.byteLength(1), size);
      assert.equal(out[0]!.args.latin1(2), "0");
      assert.equal(out[1]!.args.latin1(0), "PING");
    }
  });

  it("does not allocate an announced bulk in full before it arrives", () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from(`*2\r\n$3\r\nSET\r\n$${400 * 1024 * 1024}\r\nabc`));
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedBytes(), 3);
    // what would have been 400 MiB is at most a few MiB (measured loosely via rss)
    assert.ok(process.memoryUsage().rss < 350 * 1024 * 1024);
  });

  it("splits inline arguments like sdssplitargs", () => {
    const split = (s: string) =>
      splitArgs(Buffer.from(s, "latin1"))?.map((a) => a.toString("latin1")) ?? null;
    assert.deepEqual(split("  a   b\tc  "), ["a", "b", "c"]);
    assert.deepEqual(split(""), []);
    assert.deepEqual(split('"hello world" x'), ["hello world", "x"]);
    assert.deepEqual(split('"a\\n\\r\\t\\b\\a\\\\\\"z"'), ['a\n\r\t\b\x07\\"z']);
    assert.deepEqual(split('"\\x41\\x6a\\xff\\xZZ"'), ["Aj\xff" + "xZZ"]);
    assert.deepEqual(split("'it\\'s' 'a\\nb'"), ["it's", "a\\nb"]);
    assert.deepEqual(split('ab"c d"'), ["abc d"]);
    assert.deepEqual(split('""'), [""]);
    assert.deepEqual(split("a\0b c"), ["a"]);
    assert.equal(split('"unterminated'), null);
    assert.equal(split("'unterminated"), null);
    assert.equal(split('"a"b'), null);
    assert.equal(split("'a'b"), null);
    assert.equal(split('"ends with backslash\\'), null);
  });

  it("keeps the raw inline line for dialects that take the rest verbatim", () => {
    assert.deepEqual(parse('PUB q some "quoted" text\r\n'), [
      { args: ["PUB", "q", "some", "quoted", "text"], inline: 'PUB q some "quoted" text' },
    ]);
    assert.deepEqual(parse("\r\n\n   \r\nPING\n"), [{ args: ["PING"], inline: "PING" }]);
  });

  it("answers unbalanced quotes with Redis's error", () => {
    assert.deepEqual(parse('ECHO "abc\r\n'), [{ error: "ERR Protocol error: unbalanced quotes in request" }]);
  });

  it("skips *0 and *-1 like Redis", () => {
    assert.deepEqual(parse("*0\r\n*-1\r\n*-7\r\n" + mb("PING")), [{ args: ["PING"] }]);
  });

  it("enforces the inline limit whatever the split", () => {
    const limits = { maxInlineBytes: 16 };
    const error = [{ error: "ERR Protocol error: too big inline request" }];
    assert.deepEqual(parse("x".repeat(16) + "\r\n", limits), [
      { args: ["x".repeat(16)], inline: "x".repeat(16) },
    ]);
    assert.deepEqual(parse("x".repeat(17) + "\r\n", limits), error);
    assert.deepEqual(parse("x".repeat(18), limits), error); // no newline yet, already too long
    const line = Buffer.from("x".repeat(17) + "\r\n");
    for (let cut = 0; cut <= line.length; cut++) {
      assert.deepEqual(parseChunks([line.subarray(0, cut), line.subarray(cut)], limits), error, `cut ${cut}`);
    }
    // the default: 64 KiB
    assert.deepEqual(parse("a".repeat(64 * 1024 + 2)), error);
  });

  it("rejects bad multibulk lengths", () => {
    const error = [{ error: "ERR Protocol error: invalid multibulk length" }];
    assert.deepEqual(parse("*abc\r\n"), error);
    assert.deepEqual(parse("*\r\n"), error);
    assert.deepEqual(parse("*01\r\n"), error);
    assert.deepEqual(parse("*+1\r\n"), error);
    assert.deepEqual(parse("*1 \r\n"), error);
    assert.deepEqual(parse(`*${1024 * 1024 + 1}\r\n`), error);
    assert.deepEqual(parse("*3\r\n", { maxMultibulkLength: 2 }), error);
    assert.deepEqual(parse("*99999999999999999999\r\n"), error);
    assert.deepEqual(parse("*" + "1".repeat(20) + "\r\n", { maxInlineBytes: 8 }), [
      { error: "ERR Protocol error: too big mbulk count string" },
    ]);
  });

  it("rejects bad bulk lengths", () => {
    const error = [{ error: "ERR Protocol error: invalid bulk length" }];
    assert.deepEqual(parse("*1\r\n$-1\r\n"), error);
    assert.deepEqual(parse("*1\r\n$x\r\n"), error);
    assert.deepEqual(parse("*1\r\n$\r\n"), error);
    assert.deepEqual(parse(`*1\r\n$${512 * 1024 * 1024 + 1}\r\n`), error);
    assert.deepEqual(parse("*1\r\n$11\r\n", { maxBulkBytes: 10 }), error);
    assert.deepEqual(parse("*1\r\n$10\r\n0123456789\r\n", { maxBulkBytes: 10 }), [{ args: ["0123456789"] }]);
    assert.deepEqual(parse("*1\r\n$" + "1".repeat(20), { maxInlineBytes: 8 }), [
      { error: "ERR Protocol error: too big bulk count string" },
    ]);
  });

  it("requires '$' before each bulk", () => {
    assert.deepEqual(parse("*2\r\n$4\r\nECHO\r\n:5\r\n"), [
      { error: "ERR Protocol error: expected '$', got ':'" },
    ]);
    assert.deepEqual(parse("*1\r\nPING\r\n"), [{ error: "ERR Protocol error: expected '$', got 'P'" }]);
  });

  it("is dead after an error: same error again, input ignored", () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from("*1\r\n$-5\r\n"));
    const first = parser.next();
    assert.ok(first instanceof ProtocolError);
    assert.ok(parser.dead);
    parser.feed(Buffer.from(mb("PING")));
    assert.equal(parser.next(), first);
    assert.equal(parser.bufferedBytes(), 0);
  });

  it("returns requests parsed before an error in the same chunk", () => {
    assert.deepEqual(parse(mb("PING") + "*x\r\n" + mb("PING")), [
      { args: ["PING"] },
      { error: "ERR Protocol error: invalid multibulk length" },
    ]);
  });

  it("hands out views that later input never overwrites", () => {
    const parser = new RequestParser();
    parser.feed(Buffer.from(mb("A", "first") + "*2\r\n$1\r\nB\r\n$6\r\nsec"));
    const a = parser.next() as Request;
    assert.equal(parser.next(), null);
    for (let i = 0; i < 100; i++) parser.feed(Buffer.from(i === 0 ? "ond\r\n" : mb("C", "x".repeat(i))));
    assert.equal(a.args.utf8(1), "first");
    const b = parser.next() as Request;
    assert.equal(b.args.utf8(1), "second");
    assert.equal(a.args.utf8(1), "first");
    assert.equal(a.args.at(1)!.toString(), "first");
  });

  it("copies an inline request's words out of its line", () => {
    const parser = new RequestParser();
    const line = Buffer.from('ADDJOB q "a body" 0\r\nPING\r\n');
    parser.feed(line); // adopted, not copied: the words are views of `line`
    const { args } = parser.next() as Request;
    assert.equal(args.length, 4);
    const copies = [0, 1, 2, 3].map((i) => args.copy(i));
    line.fill(0x7a); // what a copy must not see
    assert.deepEqual(
      copies.map((copy) => copy.toString()),
      ["ADDJOB", "q", "a body", "0"],
    );
  });

  it("reads every argument from its span as from its view, big bulks mixed in", () => {
    const big = Buffer.alloc(BIG_BULK + 3, 0x62);
    const input = Buffer.concat([
      Buffer.from(`*5\r\n$6\r\nADDJOB\r\n$${big.length}\r\n`),
      big,
      Buffer.from("\r\n$4\r\nQu\xe9e\r\n$0\r\n\r\n$2\r\n42\r\n", "latin1"),
    ]);
    const parser = new RequestParser();
    parser.feed(input);
    const { args } = parser.next() as Request;
    assert.equal(args.length, 5);
    for (let i = 0; i < args.length; i++) {
      const view = args.at(i)!;
      assert.equal(args.byteLength(i), view.length);
      assert.equal(args.latin1(i), view.toString("latin1"));
      assert.equal(args.utf8(i), view.toString("utf8"));
      const copy = args.copy(i);
      assert.deepEqual(copy, view);
      // a copy shares no memory with the input (a big bulk is its own Buffer already)
      if (i === 1) assert.equal(copy, view);
      else assert.notEqual(copy.buffer, view.buffer);
    }
    // the big bulk is handed out as itself, not as a view of the input
    assert.equal(args.at(1)!.byteLength, args.at(1)!.buffer.byteLength);
    assert.equal(args.at(5), undefined);
    assert.equal(args.at(-1), undefined);
    assert.throws(() => args.latin1(5), RangeError);
    assert.deepEqual(
      args.views(3).map((v) => v.toString()),
      ["", "42"],
    );
  });

  it("parseLongLong follows string2ll", () => {
    const p = (s: string) => parseLongLong(Buffer.from(s), 0, s.length);
    assert.equal(p("0"), 0);
    assert.equal(p("-1"), -1);
    assert.equal(p("1234567"), 1234567);
    for (const bad of ["", "-", "-0", "00", "01", "+1", " 1", "1 ", "1a", "99999999999999999999"]) {
      assert.ok(Number.isNaN(p(bad)), bad);
    }
  });
});
