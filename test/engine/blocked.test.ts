import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { describe, it } from "node:test";
import { harness, settle, sync, track } from "./helpers.js";

/** The blocked-client registry: every way a wait ends drops the abort listener it added. */
describe("blocked clients and their AbortSignal", () => {
  const listeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

  it("a fetch served by a job removes its abort listener", async () => {
    const h = harness();
    const ctl = new AbortController();
    const w = track(h.block({ queues: ["q"], signal: ctl.signal }));
    assert.equal(listeners(ctl.signal), 1);
    h.add("q");
    await settle();
    assert.equal(w.done, true);
    assert.equal(listeners(ctl.signal), 0);
    assert.equal(sync(h.engine.stats()).blockedClients, 0);
  });

  it("a fetch that times out removes its abort listener", async () => {
    const h = harness();
    const ctl = new AbortController();
    const w = track(h.block({ queues: ["q"], timeoutMs: 100, signal: ctl.signal }));
    h.advance(100);
    await settle();
    assert.deepEqual(w, { done: true, value: null });
    assert.equal(listeners(ctl.signal), 0);
  });

  it("a fetch that is aborted removes its abort listener", async () => {
    const h = harness();
    const ctl = new AbortController();
    const w = track(h.block({ queues: ["q"], signal: ctl.signal }));
    ctl.abort();
    await settle();
    assert.deepEqual(w, { done: true, value: null });
    assert.equal(listeners(ctl.signal), 0);
  });

  it("one signal reused by many fetches in turn keeps no listener behind", async () => {
    const h = harness();
    const ctl = new AbortController();
    for (let i = 0; i < 20; i++) {
      const w = track(h.block({ queues: ["q"], signal: ctl.signal }));
      h.add("q");
      await settle();
      assert.equal(w.done, true);
    }
    assert.equal(listeners(ctl.signal), 0);
  });

  it("WAITJOB ended by the job leaving or by its time-out removes its abort listener", async () => {
    const h = harness();
    const ctl = new AbortController();
    const id = h.add("q");
    const acked = track(h.engine.waitJob(id, 0, ctl.signal));
    assert.equal(listeners(ctl.signal), 1);
    sync(h.engine.ackJobs([id]));
    await settle();
    assert.deepEqual(acked, { done: true, value: "acked" });
    assert.equal(listeners(ctl.signal), 0);
    const other = h.add("q");
    const timedOut = track(h.engine.waitJob(other, 50, ctl.signal));
    h.advance(50);
    await settle();
    assert.deepEqual(timedOut, { done: true, value: null });
    assert.equal(listeners(ctl.signal), 0);
  });

  it("QNOTIFY woken by a job or timed out removes its abort listener", async () => {
    const h = harness();
    const ctl = new AbortController();
    h.engine.registerConsumer("c", ["q"]);
    const woken = track(h.engine.notify("c", 0, ctl.signal));
    assert.equal(listeners(ctl.signal), 1);
    h.add("q");
    await settle();
    assert.deepEqual(woken, { done: true, value: "q" });
    assert.equal(listeners(ctl.signal), 0);
    h.take("q");
    const timedOut = track(h.engine.notify("c", 50, ctl.signal));
    h.advance(50);
    await settle();
    assert.deepEqual(timedOut, { done: true, value: null });
    assert.equal(listeners(ctl.signal), 0);
    assert.equal(sync(h.engine.stats()).blockedClients, 0);
  });
});
