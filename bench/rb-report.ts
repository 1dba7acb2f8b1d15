/** The redis-benchmark section's table and targets (issue 16), in report.ts's style. */
import { fmt, markdownTable, median, targetLines, targetTable, textTable, type Target } from "./report.js";
import { TABLE } from "./redis-benchmark.js";

export interface RbResults {
  params: Record<string, number>;
  servers: string[];
  /** row -> server -> one rate (per second) per round */
  samples: Record<string, Record<string, number[]>>;
  /** row -> server -> the server's CPU (user + system) per request (per cycle on the cycle rows) in µs, one per round */
  cpu?: Record<string, Record<string, number[]>>;
  /** server -> why its last round failed */
  failed: Record<string, string>;
  /** why the section or a server was not run */
  skipped?: Record<string, string>;
}

const DOCKET = "docket fsync=no";
const DOCKET_ALWAYS = "docket fsync=always";
const DISQUE = "disque (appendonly no)";
const REDIS_ALWAYS = "redis appendfsync=always";

function rate(rb: RbResults, row: string, server: string): number | undefined {
  return medianOf(rb.samples[row]?.[server]);
}

function medianOf(xs: number[] | undefined): number | undefined {
  return xs?.length ? median(xs) : undefined;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  // a CPU figure below one clock tick reads 0: no ratio then
  return a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
}

const times = (x: number | undefined) => (x === undefined ? "—" : `${x.toFixed(2)}×`);

/** "redis-benchmark: ADDJOB -P 16 (…)" → "ADDJOB -P 16 (…)" */
const command = (row: string) => row.slice(row.indexOf(": ") + 2);

const HEAD_RATIOS = ["docket/Disque", "docket / its PING", "docket always / Redis always"];

function head(rb: RbResults): string[] {
  return ["command (per second, median)", "generator", ...rb.servers, ...HEAD_RATIOS];
}

function body(rb: RbResults): string[][] {
  return TABLE.filter(({ row }) => rb.samples[row]).map(({ row, ping }) => {
    const docket = rate(rb, row, DOCKET);
    return [
      command(row),
      row.slice(0, row.indexOf(": ")),
      ...rb.servers.map((s) => {
        const x = rate(rb, row, s);
        return x === undefined ? "—" : fmt(x);
      }),
      times(ratio(docket, rate(rb, row, DISQUE))),
      row === ping ? "—" : times(ratio(docket, rate(rb, ping, DOCKET))),
      times(ratio(rate(rb, row, DOCKET_ALWAYS), rate(rb, row, REDIS_ALWAYS))),
    ];
  });
}

const CPU_HEAD = "server CPU per request (µs, median)";

/** The server's CPU per request: steadier than the rates on a shared machine (it does not count waiting for a core). */
function cpuHead(rb: RbResults): string[] {
  return [CPU_HEAD, "generator", ...rb.servers, "docket/Disque"];
}

function cpuBody(rb: RbResults): string[][] {
  const cpu = rb.cpu ?? {};
  return TABLE.filter(({ row }) => cpu[row]).map(({ row }) => {
    const of = (server: string) => medianOf(cpu[row]?.[server]);
    return [
      command(row),
      row.slice(0, row.indexOf(": ")),
      ...rb.servers.map((s) => {
        const x = of(s);
        return x === undefined ? "—" : x.toFixed(1);
      }),
      times(ratio(of(DOCKET), of(DISQUE))),
    ];
  });
}

const CPU_CAPTION =
  "Server CPU: user + system from /proc over each row (clock ticks of 10 ms: a row of ~0.25 s of CPU is good to ~4 %);" +
  " docket/Disque < 1 means docket uses less. The cycles: per cycle (three commands), over the timed window.";

function caption(rb: RbResults): string[] {
  const p = rb.params;
  return [
    `Issue 16's table: every server started fresh, ${p.rounds} interleaved rounds, medians (every round in the JSON).`,
    `redis-benchmark rows: -c ${p.clients} -n ${p.requests} (-P ${p.pipeline} where shown), a ${p.bodyBytes}-byte body;` +
      ` GETJOB/RPOP on a queue filled first.`,
    `resp-load rows (the bench's own client; redis-benchmark cannot know job ids): ${p.clients} connections,` +
      ` ${p.requests} PINGs/ACKJOBs, cycles for ${p.cycleMs} ms.`,
    "Ratios are of docket fsync=no unless named; docket / its PING: over docket's PING by the same generator at the same depth.",
    ...Object.entries({ ...rb.skipped, ...rb.failed }).map(
      ([k, v]) => `not measured or failed in a round: ${k}: ${v}`,
    ),
  ];
}

/** Issue 16's targets for this section: each a ratio ≥ `need` on every row of a command. */
export function rbTargets(rb: RbResults): Target[] {
  type Entry = (typeof TABLE)[number];
  const check = (target: string, need: number, entries: Entry[], of: (t: Entry) => number | undefined) => {
    const ratios = entries.map((t) => [command(t.row), of(t)] as const);
    const measured = ratios.filter(([, x]) => x !== undefined);
    const status: Target["status"] =
      measured.length === 0
        ? "not measured"
        : measured.length === ratios.length && measured.every(([, x]) => x! >= need)
          ? "met"
          : "missed";
    return { target, status, detail: ratios.map(([label, x]) => `${label} ${times(x)}`).join("; ") };
  };
  const rowsOf = (name: string) => TABLE.filter((t) => command(t.row).startsWith(name));
  const vsDisque = (name: string) =>
    check(`${name} ≥ 1.0× Disque, one and 16 in flight`, 1, rowsOf(name), (t) =>
      ratio(rate(rb, t.row, DOCKET), rate(rb, t.row, DISQUE)),
    );
  const adds = rowsOf("ADDJOB");
  return [
    ...["ADDJOB", "GETJOB", "ACKJOB", "add→get→ack"].map(vsDisque),
    check("ADDJOB ≥ 0.9× docket's own PING", 0.9, adds, (t) =>
      ratio(rate(rb, t.row, DOCKET), rate(rb, t.ping, DOCKET)),
    ),
    check("docket --fsync always ADDJOB ≥ 1.0× Redis appendfsync always LPUSH", 1, adds, (t) =>
      ratio(rate(rb, t.row, DOCKET_ALWAYS), rate(rb, t.row, REDIS_ALWAYS)),
    ),
  ];
}

export function renderRbText(rb: RbResults): string {
  return [
    "",
    "redis-benchmark section (--workloads rb):",
    ...caption(rb),
    "",
    ...textTable(head(rb), body(rb)),
    ...(rb.cpu ? ["", CPU_CAPTION, "", ...textTable(cpuHead(rb), cpuBody(rb))] : []),
    "",
    "targets (issue 16):",
    ...targetLines(rbTargets(rb)),
  ].join("\n");
}

export function renderRbMarkdown(rb: RbResults): string {
  return [
    "",
    "### redis-benchmark section (`--workloads rb`)",
    "",
    ...caption(rb).map((l) => `${l}  `),
    "",
    ...markdownTable(head(rb), body(rb)),
    ...(rb.cpu ? ["", `${CPU_CAPTION}  `, "", ...markdownTable(cpuHead(rb), cpuBody(rb))] : []),
    "",
    ...targetTable(rbTargets(rb)),
    "",
  ].join("\n");
}
