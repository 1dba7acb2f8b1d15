import type { RbResults } from "./rb-report.js";

export interface Results {
  date: string;
  machine: { nproc: number; memoryGiB: number; cpu: string; kernel: string };
  versions: Record<string, string>;
  params: Record<string, number>;
  journal: boolean;
  systems: { name: string; durable: boolean; compareWith: string | null }[];
  skipped: Record<string, string>;
  /** row -> system -> one value per run */
  samples: Record<string, Record<string, number[]>>;
  /** the redis-benchmark section (--workloads rb), when it ran */
  rb?: RbResults;
}

export interface Row {
  row: string;
  system: string;
  median: number;
  min: number;
  max: number;
  runs: number;
  /** docket's median (of `versus`) divided by this system's median; null on docket's own rows */
  ratio: number | null;
  versus: string | null;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function ratioRows(r: Results): Row[] {
  const out: Row[] = [];
  for (const [row, bySystem] of Object.entries(r.samples)) {
    for (const sys of r.systems) {
      const xs = bySystem[sys.name];
      if (!xs?.length) continue;
      // a row that is itself a ratio (g: variant / plain c) has no docket/peer column
      const ref = sys.compareWith && !row.endsWith("(ratio)") ? bySystem[sys.compareWith] : undefined;
      const med = median(xs);
      out.push({
        row,
        system: sys.name,
        median: med,
        min: Math.min(...xs),
        max: Math.max(...xs),
        runs: xs.length,
        ratio: ref?.length ? median(ref) / med : null,
        versus: sys.compareWith && ref?.length ? sys.compareWith : null,
      });
    }
  }
  return out;
}

export interface Target {
  target: string;
  status: "met" | "missed" | "not measured";
  detail: string;
}

function find(rows: Row[], prefix: string, system: string): Row | undefined {
  return rows.find((x) => x.row.startsWith(prefix) && x.system === system);
}

/** (g): every docket configuration that ran it, each variant ≥ 0.85× plain (c) (issue 15). */
function schedulingCostTargets(rows: Row[], docketMem: string): Target[] {
  const costs = rows.filter((x) => x.row.startsWith("g:") && x.row.endsWith("(ratio)"));
  const systems = [...new Set(costs.map((x) => x.system))];
  const label = (system: string) => `${system}: scheduling options cost ≤ 15% on (c) (each ≥ 0.85× plain c)`;
  if (systems.length === 0) {
    return [{ target: label(docketMem), status: "not measured", detail: "workload g not run" }];
  }
  return systems.map((system) => {
    const mine = costs.filter((x) => x.system === system);
    return {
      target: label(system),
      status: mine.every((x) => x.median >= 0.85) ? "met" : "missed",
      detail: mine
        .map((x) => `${x.row.replace(/^g: c with | \/ plain c \(ratio\)$/g, "")} ${x.median.toFixed(2)}×`)
        .join("; "),
    };
  });
}

export function targets(r: Results): Target[] {
  const rows = ratioRows(r);
  const docketMem = r.journal ? "docket fsync=no" : "docket (memory)";
  const out: Target[] = [];
  const ratioTarget = (
    label: string,
    peer: string,
    prefixes: string[],
    need: number,
    docket: string,
  ): void => {
    const parts: string[] = [];
    let ok = true;
    let measured = true;
    for (const p of prefixes) {
      const d = find(rows, p, docket);
      const q = find(rows, p, peer);
      if (!d || !q) {
        measured = false;
        parts.push(`${p.trim()} n/a`);
        continue;
      }
      const ratio = d.median / q.median;
      if (ratio < need) ok = false;
      parts.push(`${d.row.replace(/ \(.*$/, "")} ${ratio.toFixed(2)}×`);
    }
    out.push({
      target: label,
      status: measured ? (ok ? "met" : "missed") : "not measured",
      detail: parts.join("; "),
    });
  };
  ratioTarget(
    `${docketMem} ≥ 1.0× beanstalkd (memory) on (a)–(c)`,
    "beanstalkd (memory)",
    ["a: produce, 5", "a: produce, 1", "b:", "c: 1"],
    1,
    docketMem,
  );
  ratioTarget(
    `${docketMem} ≥ 1.0× Disque on (a)–(c) (issue 16)`,
    "disque (appendonly no)",
    ["a: produce, 5", "a: produce, 1", "b:", "c: 1"],
    1,
    docketMem,
  );
  if (r.journal) {
    ratioTarget(
      "docket fsync=always ≥ 3× beanstalkd -b -f 0 on (a) and (c)",
      "beanstalkd -b -f 0",
      ["a: produce, 5", "a: produce, 1", "c: 1"],
      3,
      "docket fsync=always",
    );
    ratioTarget(
      "docket fsync=always ≥ 1.5× redis appendfsync=always on (a) and (c)",
      "redis appendfsync=always",
      ["a: produce, 5", "a: produce, 1", "c: 1"],
      1.5,
      "docket fsync=always",
    );
  } else {
    out.push({
      target: "docket fsync=always ≥ 3× beanstalkd -f 0 and ≥ 1.5× redis appendfsync=always on (a), (c)",
      status: "not measured",
      detail: "docket has no journal (--fsync) yet; in-memory docket vs these durable peers is in the table",
    });
  }
  ratioTarget(`${docketMem} ≥ 5× BullMQ on (c)`, "bullmq (redis, no persistence)", ["c: 1"], 5, docketMem);
  // the Redis store (issue 16): ahead of BullMQ on the same Redis, and a second server adds
  const redisRows = ["a: produce, 5", "a: produce, 1", "b:", "c: 1"];
  ratioTarget(
    "docket redis x1 ≥ 1.0× BullMQ on (a)–(c)",
    "bullmq (redis, no persistence)",
    redisRows,
    1,
    "docket redis x1",
  );
  ratioTarget(
    "docket redis x2 ≥ 1.6× docket redis x1 (until Redis saturates)",
    "docket redis x1",
    redisRows,
    1.6,
    "docket redis x2",
  );
  out.push(...schedulingCostTargets(rows, docketMem));
  const d = find(rows, "d:", docketMem);
  out.push(
    d
      ? {
          target: "≤ 250 bytes per queued job beyond its body",
          status: d.median <= 250 ? "met" : "missed",
          detail: `${d.median.toFixed(0)} bytes`,
        }
      : { target: "≤ 250 bytes per queued job beyond its body", status: "not measured", detail: "" },
  );
  const e = find(rows, "e:", docketMem);
  out.push(
    e
      ? {
          target: "recovery of the memory-test job count ≤ 3 s",
          status: e.median <= 3 ? "met" : "missed",
          detail: `${e.median.toFixed(2)} s`,
        }
      : {
          target: "1M-job recovery ≤ 3 s",
          status: "not measured",
          detail: r.journal ? "workload e not run" : "docket has no journal yet",
        },
  );
  return out;
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 10) return x.toFixed(0);
  return x.toFixed(2);
}

function tableRows(r: Results, rows: Row[]): string[][] {
  const body = rows.map((x) => [
    x.row,
    x.system,
    fmt(x.median),
    `${fmt(x.min)}–${fmt(x.max)}`,
    String(x.runs),
    x.ratio === null
      ? "—"
      : `${x.ratio.toFixed(2)}×${x.versus && !x.versus.startsWith("docket (memory)") ? ` (${x.versus})` : ""}`,
  ]);
  for (const [name, why] of Object.entries(r.skipped)) body.push(["(all)", name, "skipped", why, "0", "—"]);
  return body;
}

const HEAD = ["workload (unit)", "system", "median", "min–max", "runs", "docket/peer"];

export function header(r: Results): string[] {
  return [
    `${r.date} — shared machine: ${r.machine.nproc} cores (${r.machine.cpu}), ${r.machine.memoryGiB} GiB, Linux ${r.machine.kernel}`,
    `versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    `parameters: ${Object.entries(r.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}; 100-byte bodies`,
    "docket/peer: throughput ratio >1 means docket is faster; on latency and memory rows <1 means docket is lower (better).",
  ];
}

/** A table as padded text columns under a dashed rule (the console report). */
export function textTable(head: string[], body: string[][]): string[] {
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  const lines = all.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join("  "));
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  return lines;
}

const md = (cells: string[]) => `| ${cells.join(" | ")} |`;

/** The same table in Markdown (latest.md). */
export function markdownTable(head: string[], body: string[][]): string[] {
  return [md(head), md(head.map(() => "---")), ...body.map(md)];
}

export function targetLines(checks: Target[]): string[] {
  return checks.map((t) => `  [${t.status}] ${t.target}: ${t.detail}`);
}

export function targetTable(checks: Target[]): string[] {
  return markdownTable(
    ["target", "status", "measured"],
    checks.map((t) => [t.target, t.status, t.detail]),
  );
}

export function renderText(r: Results, rows: Row[], checks: Target[]): string {
  return [
    ...header(r),
    "",
    ...textTable(HEAD, tableRows(r, rows)),
    "",
    "targets:",
    ...targetLines(checks),
  ].join("\n");
}

export function renderMarkdown(r: Results, rows: Row[], checks: Target[]): string {
  return [
    ...header(r).map((l) => `${l}  `),
    "",
    ...markdownTable(HEAD, tableRows(r, rows)),
    "",
    ...targetTable(checks),
    "",
  ].join("\n");
}

const COLORS = [
  "#1f77b4",
  "#aec7e8",
  "#ff7f0e",
  "#ffbb78",
  "#2ca02c",
  "#98df8a",
  "#d62728",
  "#9467bd",
  "#8c564b",
];

/** A grouped horizontal bar chart of the throughput rows (each group scaled to its own maximum). */
export function renderSvg(r: Results): string {
  const rows = ratioRows(r).filter((x) => x.row.endsWith("(jobs/s)"));
  const groups = [...new Set(rows.map((x) => x.row))];
  const names = r.systems.map((s) => s.name);
  const barH = 14;
  const labelW = 210;
  const chartW = 460;
  const parts: string[] = [];
  let y = 40;
  for (const g of groups) {
    const inGroup = rows.filter((x) => x.row === g);
    const max = Math.max(...inGroup.map((x) => x.max));
    parts.push(`<text x="10" y="${y}" font-weight="bold">${esc(g)}</text>`);
    y += 8;
    for (const x of inGroup) {
      const color = COLORS[names.indexOf(x.system) % COLORS.length];
      const w = (x.median / max) * chartW;
      const lo = (x.min / max) * chartW;
      const hi = (x.max / max) * chartW;
      parts.push(
        `<text x="${labelW - 6}" y="${y + barH - 3}" text-anchor="end">${esc(x.system)}</text>`,
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"/>`,
        `<line x1="${(labelW + lo).toFixed(1)}" x2="${(labelW + hi).toFixed(1)}" y1="${y + barH / 2}" y2="${y + barH / 2}" stroke="#333"/>`,
        `<text x="${(labelW + Math.max(w, hi) + 6).toFixed(1)}" y="${y + barH - 3}">${esc(fmt(x.median))}</text>`,
      );
      y += barH + 4;
    }
    y += 18;
  }
  const title = `docket vs peers: jobs/s, median of ${r.params.runs} runs (line: min–max); ${r.machine.nproc}-core shared machine, ${r.date.slice(0, 10)}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + chartW + 120}" height="${y}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="13">${esc(title)}</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
