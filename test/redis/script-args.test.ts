import assert from "node:assert/strict";
import { Command } from "ioredis";
import { describe, it } from "node:test";
import { openRedisBroker, type RedisBroker } from "../../src/stores/redis/index.js";
import { asText, type Argv } from "../../src/stores/redis/script.js";
import { ADD_FIELDS, addManyArgv } from "../../src/stores/redis/add-runs.js";
import { redisSuite, uniquePrefix } from "../helpers/redis.js";

/**
 * Script arguments go to ioredis with their valid UTF-8 Buffers as strings (asText, for the
 * CPU): Redis must still receive the same bytes, whatever the body.
 */
const BODIES: Record<string, Buffer> = {
  ascii: Buffer.from("xxxxxxxxxxxxxxxxxxxx"),
  empty: Buffer.alloc(0),
  "NUL and CRLF": Buffer.from([0, 13, 10, 0]),
  "multi-byte UTF-8": Buffer.from("ü 队列 😀 \u{10FFFF}"),
  "a byte-order mark": Buffer.from([0xef, 0xbb, 0xbf, 0x41]),
  "invalid: 0xff": Buffer.from([0x41, 0xff, 0x42]),
  "invalid: a lone continuation byte": Buffer.from([0x80]),
  "invalid: an overlong encoding": Buffer.from([0xc0, 0xaf]),
  "invalid: an encoded surrogate": Buffer.from([0xed, 0xa0, 0x80]),
  "invalid: a truncated sequence": Buffer.from([0xe2, 0x82]),
  "valid, above the size kept as a Buffer": Buffer.alloc(20_000, "é"),
};

/** the bytes ioredis writes for an EVALSHA with these arguments */
function wire(args: Argv): Buffer {
  const written = new Command("evalsha", [
    "0123456789abcdef0123456789abcdef01234567",
    1,
    "k",
    ...args,
  ]).toWritable(undefined as never);
  return Buffer.isBuffer(written) ? written : Buffer.from(written, "utf8");
}

describe("Redis store: script arguments as text", { timeout: 60_000 }, () => {
  const suite = redisSuite<RedisBroker>();

  for (const [name, body] of Object.entries(BODIES)) {
    it(`ioredis writes the same bytes for a body that is ${name}`, () => {
      const args: Argv = ["q", 12, body, "", Buffer.from("second")];
      const expected = wire(args);
      assert.deepEqual(wire(asText([...args])), expected);
    });
  }

  it("turns valid UTF-8 Buffers into strings and leaves the rest as they are", () => {
    const args = asText(["a", 1, BODIES["multi-byte UTF-8"]!, BODIES["invalid: 0xff"]!]);
    assert.deepEqual(args.slice(0, 3), ["a", 1, "ü 队列 😀 \u{10FFFF}"]);
    assert.ok(Buffer.isBuffer(args[3]));
  });

  it("an addMany run of plain jobs goes as two arguments a job; client text with the joiner sends it field by field", () => {
    const job = (eventId: string): Argv => {
      const fields: Argv = ["D-id", 7, Buffer.from("body"), 86_400, 0, 0, 0, 0, 0, 1, eventId, "", 0];
      while (fields.length < ADD_FIELDS) fields.push("");
      return fields;
    };
    const compact = addManyArgv([job("e1"), job("")]);
    assert.equal(compact.length, 1);
    assert.deepEqual(compact[0]!.slice(0, 2), [
      0,
      `D-id\x1f7\x1f86400\x1f0\x1f0\x1f0\x1f0\x1f0\x1f1\x1fe1\x1f\x1f0${"\x1f".repeat(11)}`,
    ]);
    assert.equal(compact[0]!.length, 1 + 2 * 2);
    assert.ok(Buffer.isBuffer(compact[0]![2]));
    const plain = addManyArgv([job("e1"), job("e\x1f2")]);
    assert.deepEqual(plain[0], [ADD_FIELDS]);
    assert.equal(plain.length, 3);
  });

  it("every body of one addMany run comes back from Redis byte for byte", async () => {
    const broker = await openRedisBroker({ urls: [suite.redis.url], prefix: uniquePrefix("text") });
    suite.opened.push(broker);
    // added in one turn: one addMany run holds them all, valid and invalid UTF-8 mixed
    const bodies = Object.values(BODIES);
    const added = await Promise.all(bodies.map((body) => broker.addJob({ queue: "q", body })));
    const got = await broker.getJobs({ queues: ["q"], count: bodies.length, nohang: true, timeoutMs: 0 });
    assert.deepEqual(
      got!.map((d) => d.id),
      added.map((a) => a.id),
    );
    got!.forEach((d, i) => assert.ok(d.body.equals(bodies[i]!), `body ${i}`));
  });
});
