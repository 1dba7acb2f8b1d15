import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failing } from "../../bench/failing.js";
import { startDocket } from "../../bench/systems.js";
import { mixed } from "../../bench/workloads.js";

/** Workload (f) against a docket server (dist/, built by npm test): it runs, every failing job fails twice, none is lost. */
describe("bench smoke: failing jobs (f)", () => {
  it("a third of 300 jobs fail twice then succeed; throughput and the healthy jobs' p99 are reported", async () => {
    const r = await startDocket();
    try {
      const f = await failing(r, 300, 2, 5, 5);
      assert.equal(f.nacks, 200, "jobs 0, 3, …, 297 nacked twice each");
      assert.ok(f.jobsPerSec > 0 && Number.isFinite(f.jobsPerSec));
      assert.ok(f.p50Ms !== undefined && f.p99Ms !== undefined && f.p50Ms >= 0 && f.p99Ms >= f.p50Ms);
      const c = await mixed(r, 300, 2, 5);
      assert.ok(c.jobsPerSec > 0);
    } finally {
      await r.stop();
    }
  });
});
