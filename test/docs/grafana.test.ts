import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { testServer, type TestServer } from "../helpers/server.js";
import { connect } from "../../src/client/index.js";

/**
 * docs/grafana/docket.json may only chart what a real server exports: every
 * metric and label its queries name must be in a scrape of /metrics, taken
 * after jobs were added, delivered, acked, failed and dead-lettered so that
 * every family has samples. And every docket_ family is charted somewhere.
 */

const DASHBOARD = "docs/grafana/docket.json";

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Array<{ expr: string; refId: string }>;
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: unknown }> };
}

const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/g;
const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset"]);
/** label lists of aggregations and vector matching: `by (a, b)`, `on(le)`, … */
const GROUPING = /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;

interface Reference {
  metric: string;
  labels: string[];
}

/** The metrics a PromQL expression reads, each with the labels it matches or groups by. */
function referencesOf(expr: string): Reference[] {
  const text = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const grouped = [...text.matchAll(GROUPING)].flatMap((m) => m[2]!.match(NAME) ?? []);
  const refs = new Map<string, Set<string>>();
  const selectors = /([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g;
  const bare = text
    .replace(GROUPING, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(selectors, (_all, metric: string | undefined, matchers: string) => {
      if (metric === undefined) throw new Error(`a selector without a metric name in ${expr}`);
      const labels = [...matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((m) => m[1]!);
      refs.set(metric, new Set([...(refs.get(metric) ?? []), ...labels]));
      return " ";
    });
  for (const m of bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2] !== undefined || KEYWORDS.has(m[1]!) || /^(Inf|NaN)$/i.test(m[1]!)) continue; // functions
    refs.set(m[1]!, refs.get(m[1]!) ?? new Set());
  }
  // a grouping label belongs to one of the metrics it groups (checked below against any of them)
  return [...refs].map(([metric, labels]) => ({ metric, labels: [...labels, ...grouped] }));
}

/** `sample name → label names seen` from the Prometheus text format. */
function samples(scrape: string): Map<string, Set<string>> {
  const seen = new Map<string, Set<string>>();
  for (const line of scrape.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels = [...(m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)].map((l) => l[1]!);
    seen.set(m[1]!, new Set([...(seen.get(m[1]!) ?? []), ...labels]));
  }
  return seen;
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as Dashboard;

function expressions(): Array<{ where: string; expr: string }> {
  const list = dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr })),
  );
  for (const v of dashboard.templating.list) {
    const query =
      typeof v.query === "object" && v.query !== null ? (v.query as { query: string }).query : v.query;
    if (v.type === "query" && typeof query === "string") {
      const m = /^label_values\(\s*([^,]+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(query);
      assert.ok(m, `variable ${v.name}: label_values(metric, label)`);
      list.push({ where: `variable ${v.name}`, expr: `count by (${m[2]}) (${m[1]})` });
    }
  }
  return list;
}

describe("docs/grafana/docket.json", () => {
  let t: TestServer;
  let scrape: string;

  before(async () => {
    t = await testServer();
    const jobs = connect(`127.0.0.1:${t.port}`);
    try {
      await jobs.add("done", "g-work");
      await jobs.ack(await jobs.timeout(2000).get("g-work"), { result: { ok: true } });
      await jobs.retries(2).add("retried", "g-fail");
      await jobs.nack(await jobs.timeout(2000).get("g-fail"), { backoff: true, error: "try again" });
      await jobs.retries(0).add("dies", "g-dead");
      await jobs.nack(await jobs.timeout(2000).get("g-dead"), { error: "gone", timedOut: true });
      await jobs.add("waiting", "g-work");
    } finally {
      jobs.close();
    }
    await fetch(`${t.url}/metrics`); // so the HTTP counter has a sample in the next scrape
    const response = await fetch(`${t.url}/metrics`);
    assert.equal(response.status, 200);
    scrape = await response.text();
  });
  after(async () => t.close());

  it("parses PromQL as the dashboard writes it", () => {
    assert.deepEqual(
      referencesOf(
        'histogram_quantile(0.99, sum by (le) (rate(docket_add_to_fetch_seconds_bucket{queue=~"$queue"}[$__rate_interval])))',
      ),
      [{ metric: "docket_add_to_fetch_seconds_bucket", labels: ["queue", "le"] }],
    );
    assert.deepEqual(
      referencesOf("topk(10, sum by (command) (rate(docket_resp_commands_total[5m]))) / on() docket_queues"),
      [
        { metric: "docket_resp_commands_total", labels: ["command"] },
        { metric: "docket_queues", labels: ["command"] },
      ],
    );
  });

  it("queries only metrics and labels a real server exports", () => {
    const exported = samples(scrape);
    const list = expressions();
    assert.ok(list.length >= 20, `${list.length} queries`);
    for (const { where, expr } of list) {
      const refs = referencesOf(expr);
      assert.ok(refs.length > 0, `${where} reads a metric: ${expr}`);
      for (const { metric } of refs) assert.ok(exported.has(metric), `${where}: ${metric} is not exported`);
      const labelsSeen = new Set(refs.flatMap((r) => [...exported.get(r.metric)!]));
      for (const { labels } of refs) {
        for (const label of labels)
          assert.ok(labelsSeen.has(label), `${where}: no label ${label} in ${expr}`);
      }
    }
  });

  it("charts every docket_ metric family", () => {
    const families = [...scrape.matchAll(/^# TYPE (docket_\S+) (\S+)$/gm)].map((m): [string, string] => [
      m[1]!,
      m[2]!,
    ]);
    assert.ok(families.length >= 20, `${families.length} families`);
    const read = new Set(expressions().flatMap(({ expr }) => referencesOf(expr).map((r) => r.metric)));
    for (const [family, type] of families) {
      const names = type === "histogram" ? ["_bucket", "_sum", "_count"].map((s) => family + s) : [family];
      assert.ok(
        names.some((n) => read.has(n)),
        `${family} is not charted`,
      );
    }
  });

  it("is an importable dashboard: unique panel ids, a Prometheus datasource variable, panels on the grid", () => {
    assert.equal(dashboard.uid, "docket-overview");
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(dashboard.templating.list.some((v) => v.name === "datasource" && v.type === "datasource"));
    for (const p of dashboard.panels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} fits the 24 columns`);
      if (p.type !== "row") assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
    }
  });
});
