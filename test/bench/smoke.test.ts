import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ratioRows, renderSvg, renderText, targets, type Results } from "../../bench/report.js";
import { startDocket } from "../../bench/systems.js";
import { consume, memory, mixed, produce } from "../../bench/workloads.js";

/** The bench's own code against a docket server (dist/, built by npm test), a few hundred jobs: keeps bench/ from rotting. */
describe("bench smoke", () => {
  it("runs workloads a-d through the docket adapter and renders a report", async () => {
    const samples: Results["samples"] = {};
    const put = (row: string, v: number) => ((samples[row] ??= {})["docket (memory)"] = [v]);
    const fresh = async <T>(fn: (r: Awaited<ReturnType<typeof startDocket>>) => Promise<T>): Promise<T> => {
      const r = await startDocket();
      try {
        return await fn(r);
      } finally {
        await r.stop();
      }
    };
    const a = await fresh((r) => produce(r, 300, 5, 1));
    const a1 = await fresh((r) => produce(r, 300, 1, 32));
    const b = await fresh((r) => consume(r, 300, 5));
    const c = await fresh((r) => mixed(r, 300, 2, 5));
    const d = await fresh((r) => memory(r, 300));
    for (const x of [a, a1, b, c]) assert.ok(x.jobsPerSec > 0 && Number.isFinite(x.jobsPerSec));
    assert.ok(c.p50Ms !== undefined && c.p99Ms !== undefined && c.p50Ms >= 0 && c.p99Ms >= c.p50Ms);
    assert.ok(Number.isFinite(d));
    put("a: produce, 5 conns (jobs/s)", a.jobsPerSec);
    put("c: 2 producers + 5 consumers (jobs/s)", c.jobsPerSec);
    const results: Results = {
      date: new Date().toISOString(),
      machine: { nproc: 1, memoryGiB: 1, cpu: "test", kernel: "test" },
      versions: {},
      params: { runs: 1 },
      journal: false,
      systems: [{ name: "docket (memory)", durable: false, compareWith: null }],
      skipped: { beanstalkd: "not used by this test" },
      samples,
    };
    assert.equal(ratioRows(results).length, 2);
    assert.match(renderText(results, ratioRows(results), targets(results)), /docket \(memory\)/);
    assert.match(renderSvg(results), /^<svg/);
  });
});
