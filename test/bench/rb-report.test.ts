import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rbTargets, renderRbMarkdown, renderRbText, type RbResults } from "../../bench/rb-report.js";
import { ROWS } from "../../bench/redis-benchmark.js";

/** The rb section's table and targets from made-up rates (no redis-benchmark, no servers). */
describe("bench rb report", () => {
  const servers = [
    "docket fsync=no",
    "docket fsync=always",
    "disque (appendonly no)",
    "redis appendfsync=always",
  ];
  const rb: RbResults = {
    params: { requests: 1000, rounds: 3, clients: 50, pipeline: 16, bodyBytes: 20, cycleMs: 3000 },
    servers,
    samples: {
      [ROWS.ping(1)]: { "docket fsync=no": [100, 90, 110], "disque (appendonly no)": [100, 100, 100] },
      [ROWS.add(1)]: {
        "docket fsync=no": [95, 80, 99],
        "docket fsync=always": [40, 50, 60],
        "disque (appendonly no)": [50, 50, 50],
        "redis appendfsync=always": [100, 100, 100],
      },
    },
    failed: { "redis appendfsync=always": "exit 124" },
    skipped: {},
  };

  it("prints each server's median and docket's ratios to Disque, its own PING and Redis always", () => {
    const text = renderRbText(rb);
    const add = text.split("\n").find((l) => l.startsWith("ADDJOB (Redis: LPUSH)"))!;
    assert.deepEqual(add.trimEnd().split(/ {2,}/).slice(1), [
      "redis-benchmark",
      "95",
      "50",
      "50",
      "100",
      "1.90×",
      "0.95×",
      "0.50×",
    ]);
    assert.match(text, /not measured or failed in a round: redis appendfsync=always: exit 124/);
    assert.match(
      renderRbMarkdown(rb),
      /\| ADDJOB \(Redis: LPUSH\) \| redis-benchmark \| 95 \| 50 \| 50 \| 100 \| 1.90× \|/,
    );
  });

  it("prints the servers' CPU per request, with docket's over Disque's, only when it was measured", () => {
    assert.doesNotMatch(renderRbText(rb), /server CPU per request/);
    const withCpu: RbResults = {
      ...rb,
      cpu: {
        [ROWS.add(1)]: {
          "docket fsync=no": [12, 30, 10],
          "docket fsync=always": [20, 21, 22],
          "disque (appendonly no)": [8, 8, 9],
        },
        // under one clock tick for Disque: no ratio rather than Infinity
        [ROWS.ping(16)]: { "docket fsync=no": [2], "disque (appendonly no)": [0] },
      },
    };
    const text = renderRbText(withCpu);
    const lines = text.split("\n");
    const head = lines.findIndex((l) => l.startsWith("server CPU per request (µs, median)"));
    assert.ok(head > 0, text);
    const add = lines.slice(head).find((l) => l.startsWith("ADDJOB (Redis: LPUSH)"))!;
    // medians 12, 21, 8; Redis always not measured; 12 / 8 = 1.50×
    assert.deepEqual(add.trimEnd().split(/ {2,}/).slice(1), [
      "redis-benchmark",
      "12.0",
      "21.0",
      "8.0",
      "—",
      "1.50×",
    ]);
    const ping16 = lines.slice(head).find((l) => l.startsWith("PING -P 16"))!;
    assert.equal(ping16.trimEnd().split(/ {2,}/).at(-1), "—");
    assert.match(
      renderRbMarkdown(withCpu),
      /\| ADDJOB \(Redis: LPUSH\) \| redis-benchmark \| 12.0 \| 21.0 \| 8.0 \| — \| 1.50× \|/,
    );
  });

  it("checks issue 16's targets: missed when a depth is missing or below, not measured when nothing ran", () => {
    const byName = new Map(rbTargets(rb).map((t) => [t.target.replace(/ ≥ 1.0× (Disque|Redis).*/, ""), t]));
    // ADDJOB -P 16 was not measured: the target is not met on one depth alone
    assert.equal(byName.get("ADDJOB")?.status, "missed");
    assert.match(
      byName.get("ADDJOB")!.detail,
      /ADDJOB \(Redis: LPUSH\) 1.90×; ADDJOB -P 16 \(Redis: LPUSH\) —/,
    );
    assert.equal(byName.get("ACKJOB")?.status, "not measured");
    assert.equal(byName.get("docket --fsync always ADDJOB")?.status, "missed");
    const complete: RbResults = {
      ...rb,
      samples: {
        ...rb.samples,
        [ROWS.ping(16)]: { "docket fsync=no": [1000] },
        [ROWS.add(16)]: { "docket fsync=no": [950], "disque (appendonly no)": [900] },
      },
    };
    const own = rbTargets(complete).find((t) => t.target.startsWith("ADDJOB ≥ 0.9× docket's own PING"))!;
    assert.equal(own.status, "met");
    assert.equal(rbTargets(complete).find((t) => t.target.startsWith("ADDJOB ≥ 1.0× Disque"))?.status, "met");
  });
});
