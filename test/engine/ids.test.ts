import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isValidJobId } from "../../src/core/contract.js";
import { IdGenerator, newNodeId, ttlSuffix } from "../../src/core/ids.js";
import { Engine, ManualClock } from "../../src/stores/embedded/engine/index.js";

const FORMAT = /^D-[0-9a-f]{8}-[A-Za-z0-9+/]{24}-[0-9a-f]{4}$/;

describe("job ids", () => {
  it("are 40 characters in the Disque format, with the node prefix", () => {
    const gen = new IdGenerator("0badc0de");
    for (let i = 0; i < 3000; i++) {
      const id = gen.next(86_400, 8640);
      assert.equal(id.length, 40);
      assert.match(id, FORMAT);
      assert.ok(id.startsWith("D-0badc0de-"));
      assert.ok(isValidJobId(id));
    }
  });

  it("the random part is the pool's bytes in standard base64, 18 bytes per id; the suffix follows each id's TTL", () => {
    let pool = Buffer.alloc(0);
    const gen = new IdGenerator(
      "00c0ffee",
      (size) => (pool = Buffer.from(Array.from({ length: size }, (_, i) => (i * 97 + 13) % 256))),
    );
    const ttls = [86_400, 600, 600, 86_400, 60];
    for (let i = 0; i < 2100; i++) {
      const ttl = ttls[i % ttls.length]!;
      const id = gen.next(ttl, i % 2);
      const at = (i % 1024) * 18;
      assert.equal(id.slice(11, 35), pool.toString("base64", at, at + 18), `id ${i}`);
      assert.equal(id.slice(36), ttlSuffix(ttl, i % 2), `suffix of id ${i}`);
    }
  });

  it("end in the TTL in minutes with the low bit as the retry flag", () => {
    assert.equal(ttlSuffix(86_400, 300), "05a1");
    assert.equal(ttlSuffix(86_400, 0), "05a0");
    assert.equal(ttlSuffix(60, 1), "0001");
    assert.equal(ttlSuffix(60, 0), "0000");
    assert.equal(ttlSuffix(59, 5), "0001");
    assert.equal(ttlSuffix(59, 0), "0000");
    assert.equal(ttlSuffix(120, 0), "0002");
    assert.equal(ttlSuffix(180, 0), "0002"); // 3 minutes, low bit cleared
    assert.equal(ttlSuffix(180, 7), "0003");
    assert.equal(ttlSuffix(3600, 1), "003d"); // 60 = 0x3c, low bit set
    assert.equal(ttlSuffix(65535 * 60, 0), "fffe");
    assert.equal(ttlSuffix(10_000_000, 3), "ffff"); // clamped to 65535
    assert.equal(ttlSuffix(10_000_000, 0), "fffe");
  });

  it("the engine's ids carry the TTL suffix (default TTL + retry → 05a1, RETRY 0 → 05a0)", () => {
    const engine = new Engine({ clock: new ManualClock() });
    const body = Buffer.from("x");
    const withRetry = engine.addJob({ queue: "q", body }).id;
    const atMostOnce = engine.addJob({ queue: "q", body, retry: 0 }).id;
    const short = engine.addJob({ queue: "q", body, ttl: 600, retry: 0 }).id;
    assert.ok(withRetry.endsWith("-05a1"), withRetry);
    assert.ok(atMostOnce.endsWith("-05a0"), atMostOnce);
    assert.ok(short.endsWith("-000a"), short);
    for (const id of [withRetry, atMostOnce, short]) {
      assert.match(id, FORMAT);
      assert.equal(id.slice(2, 10), engine.nodeId.slice(0, 8));
    }
  });

  it("node ids are 40 lower-case hex characters", () => {
    for (let i = 0; i < 50; i++) assert.match(newNodeId(), /^[0-9a-f]{40}$/);
    assert.match(new Engine({ clock: new ManualClock() }).nodeId, /^[0-9a-f]{40}$/);
  });

  it("use the injected random source (deterministic ids)", () => {
    let calls = 0;
    const random = (size: number) => {
      calls++;
      return Buffer.alloc(size, calls);
    };
    const a = new IdGenerator("00000000", random);
    const first = a.next(60, 1);
    assert.equal(first, `D-00000000-${Buffer.alloc(18, 1).toString("base64")}-0001`);
    // the pool serves 1024 ids from one draw
    for (let i = 1; i < 1024; i++) a.next(60, 1);
    assert.equal(calls, 1);
    const next = a.next(60, 1);
    assert.equal(calls, 2);
    assert.equal(next.slice(11, 35), Buffer.alloc(18, 2).toString("base64"));
  });

  it("are unique over 100k ids", () => {
    const gen = new IdGenerator("12345678");
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(gen.next(86_400, 1));
    assert.equal(seen.size, 100_000);
  });

  it("validation: length 40 and the dashes at 1, 10, 35", () => {
    const good = new IdGenerator("abcdef01").next(3600, 0);
    assert.ok(isValidJobId(good));
    assert.ok(!isValidJobId(good.slice(1)));
    assert.ok(!isValidJobId(good + "0"));
    assert.ok(!isValidJobId(""));
    assert.ok(!isValidJobId("E" + good.slice(1)));
    assert.ok(!isValidJobId("D_" + good.slice(2)));
    assert.ok(!isValidJobId(good.slice(0, 10) + "x" + good.slice(11)));
    assert.ok(!isValidJobId(good.slice(0, 35) + "x" + good.slice(36)));
  });
});
