import { fmt, median, textTable } from "../report.js";
import type { RoundTrip } from "./roundtrip.js";

/** What bench/shards.ts measured (bench/results/shards.json): every round's sample. */
export interface ShardResults {
  date: string;
  rounds: number;
  requests: number;
  /** in table order; the first is docket, the second the prototype's inline baseline */
  servers: string[];
  rows: string[];
  /** [row][server]: requests per second, one per round */
  samples: Record<string, Record<string, number[]>>;
  /** [row][server]: the server process's CPU seconds (all threads) per wall second */
  cpu: Record<string, Record<string, number[]>>;
  /** [batch size]: one per round */
  roundTrips: Record<number, RoundTrip[]>;
  failures: string[];
}

type Cell = (row: string, server: string) => number;

/**
 * Three tables of medians over the rounds: requests per second; requests per
 * second of server CPU (rate ÷ cores in each round: what a saturated,
 * shared machine still measures fairly); the same two as ratios to docket
 * and to the inline baseline. Then the raw round trip.
 */
export function renderShards(r: ShardResults): string[] {
  const [docket, inline] = r.servers as [string, string];
  const rate: Cell = (row, server) => median(r.samples[row]?.[server] ?? [NaN]);
  const cores: Cell = (row, server) => median(r.cpu[row]?.[server] ?? [NaN]);
  const perCpu: Cell = (row, server) => {
    const rates = r.samples[row]?.[server] ?? [];
    const cpu = r.cpu[row]?.[server] ?? [];
    return median(rates.length ? rates.map((x, i) => x / cpu[i]!) : [NaN]);
  };
  const others = r.servers.slice(1);
  const split = r.servers.slice(2);
  const ratioHead = [...others.map((n) => `${n} ÷ docket`), ...split.map((n) => `${n} ÷ inline`)];
  const ratios = (cell: Cell, row: string) => [
    ...others.map((n) => (cell(row, n) / cell(row, docket)).toFixed(2)),
    ...split.map((n) => (cell(row, n) / cell(row, inline)).toFixed(2)),
  ];
  const trips = Object.entries(r.roundTrips).map(([size, runs]) => [
    size,
    median(runs.map((x) => x.microsPerBatch)).toFixed(1),
    median(runs.map((x) => x.microsPerCommand)).toFixed(2),
    median(runs.map((x) => x.cpuMicrosPerBatch)).toFixed(1),
    median(runs.map((x) => x.cpuMicrosPerBatch / x.size)).toFixed(2),
  ]);
  return [
    `${r.rounds} interleaved rounds, ${r.requests} requests per row, redis-benchmark -c 50, medians`,
    "",
    ...textTable(
      ["per second", ...r.servers, `cores (${r.servers.join(" / ")})`],
      r.rows.map((row) => [
        row,
        ...r.servers.map((n) => fmt(rate(row, n))),
        r.servers.map((n) => cores(row, n).toFixed(2)).join(" / "),
      ]),
    ),
    "",
    ...textTable(
      ["per server CPU-second", ...r.servers],
      r.rows.map((row) => [row, ...r.servers.map((n) => fmt(perCpu(row, n)))]),
    ),
    "",
    ...textTable(
      ["ratio (per second | per CPU-second)", ...ratioHead],
      r.rows.map((row) => {
        const a = ratios(rate, row);
        const b = ratios(perCpu, row);
        return [row, ...a.map((x, i) => `${x} | ${b[i]}`)];
      }),
    ),
    "",
    ...r.failures.map((f) => `FAILED ${f}`),
    "raw round trip listener → worker → listener (one batch in flight; CPU: both threads)",
    ...textTable(
      ["batch size", "wall µs per batch", "wall µs per command", "CPU µs per batch", "CPU µs per command"],
      trips,
    ),
  ];
}
