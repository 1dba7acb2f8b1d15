import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BIG_BUFFER, ReplyWriter, encode } from "../../src/doors/resp/transport/encoder.js";
import {
  ErrorReply,
  NULL_ARRAY,
  OK,
  SimpleString,
  err,
  type Reply,
} from "../../src/doors/resp/transport/reply.js";

const bytes = (reply: Reply): string => encode(reply).toString("latin1");

describe("RESP encoder", () => {
  it("encodes simple strings and errors", () => {
    assert.equal(bytes(OK), "+OK\r\n");
    assert.equal(bytes(new SimpleString("PONG")), "+PONG\r\n");
    assert.equal(bytes(new SimpleString("")), "+\r\n");
    assert.equal(bytes(err("ERR syntax error")), "-ERR syntax error\r\n");
    assert.equal(bytes(new ErrorReply("BADID Invalid Job ID format.")), "-BADID Invalid Job ID format.\r\n");
    // CR/LF would break the framing: they become spaces
    assert.equal(bytes(err("ERR a\r\nb\nc")), "-ERR a  b c\r\n");
    assert.equal(bytes(new SimpleString("é")), "+\xc3\xa9\r\n");
  });

  it("encodes integers and bigints", () => {
    assert.equal(bytes(0), ":0\r\n");
    assert.equal(bytes(7), ":7\r\n");
    assert.equal(bytes(1234567890), ":1234567890\r\n");
    assert.equal(bytes(-42), ":-42\r\n");
    assert.equal(bytes(Number.MAX_SAFE_INTEGER), ":9007199254740991\r\n");
    assert.equal(bytes(Number.MIN_SAFE_INTEGER), ":-9007199254740991\r\n");
    assert.equal(bytes(2 ** 60), ":1152921504606846976\r\n");
    assert.equal(bytes(0n), ":0\r\n");
    assert.equal(bytes(9223372036854775807n), ":9223372036854775807\r\n");
    assert.equal(bytes(-9223372036854775808n), ":-9223372036854775808\r\n");
    // not an integer: a bulk string, as RESP2 sends doubles
    assert.equal(bytes(1.5), "$3\r\n1.5\r\n");
  });

  it("encodes bulks from strings and buffers, binary-safe", () => {
    assert.equal(bytes("hello"), "$5\r\nhello\r\n");
    assert.equal(bytes(""), "$0\r\n\r\n");
    assert.equal(
      bytes("héllo wörld ✓"),
      "$17\r\n" + Buffer.from("héllo wörld ✓").toString("latin1") + "\r\n",
    );
    assert.equal(bytes("a\r\nb"), "$4\r\na\r\nb\r\n");
    assert.equal(bytes(Buffer.from([0, 13, 10, 255])), "$4\r\n\x00\r\n\xff\r\n");
    assert.equal(bytes(Buffer.alloc(0)), "$0\r\n\r\n");
    const long = "x".repeat(100) + "✓";
    assert.equal(bytes(long), `$103\r\n${Buffer.from(long).toString("latin1")}\r\n`);
  });

  it("gives short ASCII text (the byte-by-byte path) and everything else the same bytes", () => {
    // around the short path's 64-character bound, for bulks and status lines
    for (const n of [63, 64, 65]) {
      const ascii = "D-".padEnd(n, "x");
      assert.equal(bytes(ascii), `$${n}\r\n${ascii}\r\n`);
      assert.equal(bytes(new SimpleString(ascii)), `+${ascii}\r\n`);
      // a late non-ASCII character: the partial copy must leave no trace
      const late = ascii.slice(0, n - 1) + "é";
      const utf8 = Buffer.from(late).toString("latin1");
      assert.equal(bytes(late), `$${n + 1}\r\n${utf8}\r\n`);
      assert.equal(bytes(new SimpleString(late)), `+${utf8}\r\n`);
      // CR/LF: kept in a bulk, spaces in a status line
      const crlf = ascii.slice(0, n - 2) + "\r\n";
      assert.equal(bytes(crlf), `$${n}\r\n${crlf}\r\n`);
      assert.equal(bytes(new SimpleString(crlf)), `+${ascii.slice(0, n - 2)}  \r\n`);
    }
    assert.equal(bytes(["q", "D-1", "\x7f"]), "*3\r\n$1\r\nq\r\n$3\r\nD-1\r\n$1\r\n\x7f\r\n");
  });

  it("encodes nulls", () => {
    assert.equal(bytes(null), "$-1\r\n");
    assert.equal(bytes(NULL_ARRAY), "*-1\r\n");
  });

  it("encodes arrays, nested and empty", () => {
    assert.equal(bytes([]), "*0\r\n");
    assert.equal(bytes([1, "a", null]), "*3\r\n:1\r\n$1\r\na\r\n$-1\r\n");
    assert.equal(
      bytes([1, "node", ["id", "127.0.0.1", "7711", "1"], [[], NULL_ARRAY, OK, err("ERR x")], 5n]),
      "*5\r\n:1\r\n$4\r\nnode\r\n*4\r\n$2\r\nid\r\n$9\r\n127.0.0.1\r\n$4\r\n7711\r\n$1\r\n1\r\n" +
        "*4\r\n*0\r\n*-1\r\n+OK\r\n-ERR x\r\n:5\r\n",
    );
  });

  it("writes an error element for a value that is not a Reply", () => {
    const bad = [1, undefined] as unknown as Reply;
    assert.equal(bytes(bad), "*2\r\n:1\r\n-ERR internal error: unsupported reply type undefined\r\n");
  });

  it("passes large buffers as chunks of their own, without copying", () => {
    const big = Buffer.alloc(BIG_BUFFER + 1, 0x61);
    const writer = new ReplyWriter();
    writer.write("before");
    writer.write(big);
    writer.write(7);
    assert.equal(writer.length, 12 + 8 + big.length + 2 + 4);
    const chunks = writer.take();
    assert.ok(chunks.includes(big), "the big buffer itself is a chunk");
    const all = Buffer.concat(chunks).toString("latin1");
    assert.equal(all, `$6\r\nbefore\r\n$${big.length}\r\n${"a".repeat(big.length)}\r\n:7\r\n`);
    assert.equal(writer.length, 0);
    assert.deepEqual(writer.take(), []);
  });

  it("encodes large strings and many replies across slab boundaries", () => {
    const huge = "z".repeat(300 * 1024);
    assert.equal(bytes(huge), `$${huge.length}\r\n${huge}\r\n`);
    const writer = new ReplyWriter();
    let expected = "";
    for (let i = 0; i < 20_000; i++) {
      writer.write(["k" + i, i]);
      expected += `*2\r\n$${("k" + i).length}\r\nk${i}\r\n:${i}\r\n`;
    }
    assert.equal(writer.length, expected.length);
    assert.equal(Buffer.concat(writer.take()).toString("latin1"), expected);
  });

  it("keeps each writer's bytes intact when writers interleave", () => {
    const a = new ReplyWriter();
    const b = new ReplyWriter();
    const takenA: Buffer[] = [];
    let expectA = "";
    let expectB = "";
    for (let i = 0; i < 5000; i++) {
      a.write(i);
      expectA += `:${i}\r\n`;
      b.write("b" + i);
      expectB += `$${("b" + i).length}\r\nb${i}\r\n`;
      if (i % 97 === 0) takenA.push(...a.take());
    }
    takenA.push(...a.take());
    // later writes never overwrite bytes handed out earlier
    for (let i = 0; i < 1000; i++) a.write("overwrite?");
    assert.equal(Buffer.concat(takenA).toString("latin1"), expectA);
    assert.equal(Buffer.concat(b.take()).toString("latin1"), expectB);
  });
});
