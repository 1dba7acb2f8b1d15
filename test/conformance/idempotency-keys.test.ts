import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_KEY_TTL_SECONDS, MAX_KEY_BYTES } from "../../src/core/scheduling.js";
import { T0 } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/**
 * Idempotency keys (core/scheduling.ts): per queue; a second add with a live
 * key adds nothing and answers the first job's id and state ("acked" once it
 * is gone); the key lives KEYTTL after its add.
 */

forEachStore((open) => {
  describe("idempotency keys", () => {
    it("a second add with the key returns the first job, adds nothing", async () => {
      const h = await open();
      const first = await h.addJob("q", "a", { key: "order-1" });
      assert.ok(!first.duplicate);
      const again = await h.addJob("q", "b", { key: "order-1" });
      assert.equal(again.id, first.id);
      assert.equal(again.seq, first.seq);
      assert.equal(again.duplicate, true);
      assert.equal(again.state, "queued");
      assert.equal(await h.broker.qlen("q"), 1);
      assert.equal((await h.show(first.id)).body.toString(), "a");
    });

    it("the duplicate's state follows the first job: active, then acked once it is done or gone", async () => {
      const h = await open();
      const { id } = await h.addJob("q", "a", { key: "k" });
      await h.take("q");
      assert.equal((await h.addJob("q", "a", { key: "k" })).state, "active");
      assert.equal(await h.broker.ackJobs([id]), 1);
      const afterAck = await h.addJob("q", "a", { key: "k" });
      assert.deepEqual([afterAck.id, afterAck.duplicate, afterAck.state], [id, true, "acked"]);
      const deleted = await h.add("q", "d", { key: "gone" });
      assert.equal(await h.broker.deleteJobs([deleted]), 1);
      const afterDelete = await h.addJob("q", "d", { key: "gone" });
      assert.deepEqual([afterDelete.id, afterDelete.state], [deleted, "acked"]);
      assert.equal(await h.broker.qlen("q"), 0);
    });

    it("keys are per queue", async () => {
      const h = await open();
      const a = await h.addJob("q1", "a", { key: "k" });
      const b = await h.addJob("q2", "b", { key: "k" });
      assert.notEqual(a.id, b.id);
      assert.ok(!b.duplicate);
    });

    it("a key lives KEYTTL seconds after its add, also past its job's expiry", async () => {
      const h = await open();
      const first = await h.add("q", "a", { key: "k", keyTtl: 60, ttl: 10 });
      const info = await h.show(first);
      assert.equal(info.key, "k");
      assert.equal(info.keyExpiresAt, T0 + 60_000);
      await h.advance(30_000); // the job expired, the key lives
      assert.equal(await h.state(first), null);
      const dup = await h.addJob("q", "b", { key: "k" });
      assert.deepEqual([dup.id, dup.duplicate, dup.state], [first, true, "acked"]);
      await h.advance(31_000);
      const fresh = await h.addJob("q", "c", { key: "k" });
      assert.notEqual(fresh.id, first);
      assert.ok(!fresh.duplicate);
      assert.equal(await h.broker.qlen("q"), 1);
    });

    it("the default key TTL is 24 h", async () => {
      const h = await open();
      const id = await h.add("q", "a", { key: "k" });
      assert.equal((await h.show(id)).keyExpiresAt, T0 + DEFAULT_KEY_TTL_SECONDS * 1000);
      await h.advance(DEFAULT_KEY_TTL_SECONDS * 1000 - 1000);
      assert.equal((await h.addJob("q", "a", { key: "k" })).id, id);
    });

    it("a job without a key shows none", async () => {
      const h = await open();
      const info = await h.show(await h.add("q"));
      assert.equal(info.key, undefined);
      assert.equal(info.keyExpiresAt, undefined);
    });

    it("refuses KEYTTL without KEY, an empty key and one over 256 bytes; takes one of 256 bytes", async () => {
      const h = await open();
      await h.expectError(() => h.addJob("q", "x", { keyTtl: 10 }), "ERR");
      await h.expectError(() => h.addJob("q", "x", { key: "" }), "ERR");
      await h.expectError(() => h.addJob("q", "x", { key: "é".repeat(129) }), "ERR");
      const long = "k".repeat(MAX_KEY_BYTES);
      const id = await h.add("q", "x", { key: long });
      assert.equal((await h.show(id)).key, long);
      assert.equal((await h.addJob("q", "y", { key: long })).id, id);
    });
  });
});
