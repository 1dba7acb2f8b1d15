import { fmt, median, textTable } from "../report.js";
import type { RoundTrip } from "./roundtrip.js";

/** What bench/shards.ts measured (bench/results/shards.json): every round's sample. */
export interface ShardResults {
  date: string;
  rounds: number;
  requests: number;
  /** in table order; the ratio tables need "docket fsync=no" and "proto inline" among them */
  servers: string[];
  rows: string[];
  /** [row][server]: requests per second, one per round */
  samples: Record<string, Record<string, number[]>>;
  /** [row][server]: the server process's CPU seconds (all threads) per wall second */
  cpu: Record<string, Record<string, number[]>>;
  /** the same for its main thread alone: the prototype's listener, or all of docket's own work */
  mainCpu?: Record<string, Record<string, number[]>>;
  /** [batch size]: one per round */
  roundTrips: Record<number, RoundTrip[]>;
  failures: string[];
}

type Cell = (row: string, server: string) => number;

/**
 * Tables of medians over the rounds: requests per second; requests per
 * second of server CPU (rate ÷ cores in each round: what a saturated,
 * shared machine still measures fairly); CPU µs per command, all threads
 * and the main thread (the prototype's listener); the first two as ratios
 * to docket and to the inline baseline. Then the raw round trip.
 */
export function renderShards(r: ShardResults): string[] {
  const rate: Cell = (row, server) => median(r.samples[row]?.[server] ?? [NaN]);
  const cores: Cell = (row, server) => median(r.cpu[row]?.[server] ?? [NaN]);
  /** the median over rounds of f(rate, cpu) */
  const perRound =
    (cpu: ShardResults["cpu"] | undefined, f: (rate: number, cpu: number) => number): Cell =>
    (row, server) => {
      const rates = r.samples[row]?.[server] ?? [];
      const used = cpu?.[row]?.[server] ?? [];
      return median(rates.length && used.length ? rates.map((x, i) => f(x, used[i]!)) : [NaN]);
    };
  const perCpu = perRound(r.cpu, (x, c) => x / c);
  const micros = perRound(r.cpu, (x, c) => (c / x) * 1e6);
  const mainMicros = perRound(r.mainCpu, (x, c) => (c / x) * 1e6);
  const docket = r.servers.find((n) => n.startsWith("docket"));
  const inline = r.servers.find((n) => n.includes("inline"));
  const others = r.servers.filter((n) => n !== docket);
  const split = r.servers.filter((n) => n !== docket && n !== inline);
  const ratioHead = [
    ...(docket ? others.map((n) => `${n} ÷ docket`) : []),
    ...(inline ? split.map((n) => `${n} ÷ inline`) : []),
  ];
  const ratios = (cell: Cell, row: string) => [
    ...(docket ? others.map((n) => (cell(row, n) / cell(row, docket)).toFixed(2)) : []),
    ...(inline ? split.map((n) => (cell(row, n) / cell(row, inline)).toFixed(2)) : []),
  ];
  const perCommand = (x: number, size: string) => (size === "0" ? "-" : x.toFixed(2));
  const trips = Object.entries(r.roundTrips).map(([size, runs]) => [
    size === "0" ? "bare (a number)" : size,
    median(runs.map((x) => x.microsPerBatch)).toFixed(1),
    perCommand(median(runs.map((x) => x.microsPerCommand)), size),
    median(runs.map((x) => x.cpuMicrosPerBatch)).toFixed(1),
    perCommand(median(runs.map((x) => x.cpuMicrosPerBatch / x.size)), size),
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
      ["CPU µs per command (all threads | main thread)", ...r.servers],
      r.rows.map((row) => [
        row,
        ...r.servers.map((n) => `${micros(row, n).toFixed(1)} | ${mainMicros(row, n).toFixed(1)}`),
      ]),
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
