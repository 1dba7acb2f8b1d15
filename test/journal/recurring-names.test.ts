import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RecurringNames } from "../../src/stores/embedded/journal/recurring-names.js";

/** `text` placed at `at` in a buffer of other bytes, as a record would hold it. */
function inBuffer(text: string, at: number): { buf: Buffer; from: number; to: number } {
  const bytes = Buffer.from(text, "utf8");
  const buf = Buffer.alloc(at + bytes.length + 7, 0xab);
  bytes.copy(buf, at);
  return { buf, from: at, to: at + bytes.length };
}

describe("RecurringNames: a queue name decoded once per name, not once per record", () => {
  it("gives each name's exact text, with far more names than slots (collisions) and mixed in any order", () => {
    const names = new RecurringNames();
    const all = Array.from({ length: 2000 }, (_, i) => `queue-${i}`);
    all.push("", "é", "ünïcödé-queue", "日本語のキュー", "q".repeat(128), "q".repeat(129), "x".repeat(5000));
    for (let pass = 0; pass < 3; pass++) {
      for (let i = 0; i < all.length; i++) {
        const name = all[(i * 7919 + pass) % all.length]!;
        const { buf, from, to } = inBuffer(name, (i * 13) % 31);
        assert.equal(names.text(buf, from, to), name);
      }
    }
  });

  it("decodes each of 100 queue names once, read round-robin as a million jobs over 100 queues are", () => {
    // names as the recovery bench makes them, and as users often do (a prefix and a number)
    for (const prefix of ["queue-", "q", "tenant-"]) {
      const names = new RecurringNames();
      for (let record = 0; record < 100 * 20; record++) {
        const name = `${prefix}${record % 100}`;
        const { buf, from, to } = inBuffer(name, record % 5);
        assert.equal(names.text(buf, from, to), name);
      }
      assert.equal(
        names.misses,
        100,
        `${prefix}: each name decoded once, not once per record after a collision`,
      );
    }
  });

  it("names differing in one byte or in length are told apart", () => {
    const names = new RecurringNames();
    for (const name of ["ab", "ac", "abc", "ab\u0000", "ba", "ab"]) {
      const { buf, from, to } = inBuffer(name, 3);
      assert.equal(names.text(buf, from, to), name);
    }
  });

  it("keeps its own copy of the bytes: the read buffer being reused changes nothing", () => {
    const names = new RecurringNames();
    const { buf, from, to } = inBuffer("jobs", 0);
    assert.equal(names.text(buf, from, to), "jobs");
    buf.write("jabs", from, "utf8");
    assert.equal(names.text(buf, from, to), "jabs");
    buf.write("jobs", from, "utf8");
    assert.equal(names.text(buf, from, to), "jobs");
  });
});
