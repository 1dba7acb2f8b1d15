import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { word, wordOf } from "../../src/doors/resp/args.js";
import { Arguments } from "../../src/doors/resp/transport/arguments.js";
import { RequestParser, type Request } from "../../src/doors/resp/transport/parser.js";

/**
 * word() keeps the option words it saw last in a small table and reuses
 * their strings: whatever it has seen before, its answer must be what the
 * rule itself gives, the argument's latin1 text in lower case.
 */

const rule = (arg: Buffer): string => arg.toString("latin1").toLowerCase();

/** word() of `arg` read as the parser hands it over (a span after another argument), which wordOf must match */
function wordAt(arg: Buffer): string {
  const parser = new RequestParser();
  parser.feed(
    Buffer.concat([Buffer.from(`*2\r\n$3\r\nGET\r\n$${arg.length}\r\n`), arg, Buffer.from("\r\n")]),
  );
  const { args } = parser.next() as Request;
  const fromSpan = word(args, 1);
  assert.equal(wordOf(arg), fromSpan);
  assert.equal(word(Arguments.of([arg]), 0), fromSpan);
  return fromSpan;
}

/** a deterministic generator (mulberry32), so that a failure repeats */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("option words", () => {
  it("read any case of a word, and words that differ by one byte apart", () => {
    for (const text of ["NOHANG", "nohang", "NoHang", "nohanG", "nohanh", "FROM", "from", "fRoM", "frob"]) {
      assert.equal(wordAt(Buffer.from(text, "latin1")), rule(Buffer.from(text, "latin1")));
    }
  });

  it("read empty, long, non-ASCII and binary words by the rule", () => {
    const cases = [
      Buffer.alloc(0),
      Buffer.from("WITHCOUNTERSXXXX", "latin1"), // 16 bytes, the longest kept
      Buffer.from("WITHCOUNTERSXXXXY", "latin1"), // 17 bytes, never kept
      Buffer.from([0xc0, 0x41, 0xde, 0x61]), // latin1 capitals outside ASCII
      Buffer.from([0xe0, 0x61, 0xfe, 0x41]),
      Buffer.from([0, 1, 2, 0x5b, 0x40, 0x7f, 0xff]), // the bytes either side of A and Z
    ];
    for (let round = 0; round < 2; round++) {
      for (const arg of cases) assert.equal(wordAt(arg), rule(arg));
    }
  });

  it("agree with the rule over 200,000 random words, most of them colliding in the table", () => {
    const next = random(16);
    const alphabet = Buffer.from("aAbBzZ@[`{09-\xc0\xe0", "latin1");
    // a few hundred distinct words over 256 slots: hits, misses and evictions all happen
    const pool = Array.from({ length: 600 }, () => {
      const length = 1 + Math.floor(next() * 18);
      return Buffer.from(Array.from({ length }, () => alphabet[Math.floor(next() * alphabet.length)]!));
    });
    for (let i = 0; i < 200_000; i++) {
      const arg = pool[Math.floor(next() * pool.length)]!;
      assert.equal(wordAt(arg), rule(arg));
    }
  });
});
