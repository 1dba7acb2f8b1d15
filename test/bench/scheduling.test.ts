import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SCHEDULING_VARIANTS, mixedWith } from "../../bench/scheduling.js";
import { RespConn } from "../../bench/clients.js";
import { QUEUE, startDocket } from "../../bench/systems.js";

/** Workload (g) against a docket server (dist/, built by npm test): every variant runs (c) to the end, no job lost. */
describe("bench smoke: scheduling options on (c) (g)", () => {
  for (const variant of SCHEDULING_VARIANTS) {
    it(`c with ${variant.name}: 300 jobs added and acked, the queue empty after`, async () => {
      const r = await startDocket();
      try {
        const g = await mixedWith(r, variant, 300, 2, 5);
        assert.ok(g.jobsPerSec > 0 && Number.isFinite(g.jobsPerSec));
        assert.ok(g.p50Ms !== undefined && g.p99Ms !== undefined && g.p99Ms >= g.p50Ms);
        const c = await RespConn.connect(r.port);
        try {
          assert.equal(await c.call("QLEN", QUEUE), 0);
          assert.deepEqual(
            await c.call("JSCAN", "COUNT", "1000", "BUSYLOOP").then((x) => (x as unknown[])[1]),
            [],
          );
        } finally {
          c.close();
        }
      } finally {
        await r.stop();
      }
    });
  }
});
