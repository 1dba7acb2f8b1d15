import { InvalidArgumentError, type Command } from "commander";
import type { Client } from "../client/index.js";
import { integer, run, table, withConnection, type ConnOptions } from "./client-commands.js";
import { iso } from "./format.js";

/**
 * `docket top`: the queues, live. Each frame reads every queue name (QSCAN),
 * their counts (QSTATUS, 1000 names a call), keeps the `--limit` with the
 * most jobs and reads their QSTAT; rates are the jobs-in / jobs-out counters'
 * change since the previous frame. `--once` reads twice, `--interval` apart,
 * and prints one frame.
 */

/** QSTATUS takes at most this many names a call (the server's scan page) */
const COUNT_BATCH = 1000;
const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 60_000;
const MAX_LIMIT = 1000;

export interface QueueRow {
  queue: string;
  /** ready to be fetched */
  ready: number;
  /** delivered and not acked yet, or waiting out a DELAY (RESP does not tell them apart) */
  busy: number;
  backoff: number;
  dead: number;
  /** fetches blocked on it */
  blocked: number;
  pause: string;
  /** jobs added / delivered per second since the previous frame; null on the first */
  inPerSec: number | null;
  outPerSec: number | null;
}

interface Sample {
  at: number;
  /** queues known, before --limit */
  queues: number;
  rows: Array<Omit<QueueRow, "inPerSec" | "outPerSec"> & { jobsIn: number; jobsOut: number }>;
}

export interface Frame {
  at: string;
  queues: number;
  shown: QueueRow[];
}

async function sample(client: Client, limit: number, clock: () => number): Promise<Sample> {
  const names = await client.queues();
  const totals: Array<{ name: string; total: number }> = [];
  for (let i = 0; i < names.length; i += COUNT_BATCH) {
    totals.push(...(await client.counts(names.slice(i, i + COUNT_BATCH))));
  }
  const chosen = totals
    .sort((a, b) => b.total - a.total || a.name.localeCompare(b.name))
    .slice(0, limit)
    .sort((a, b) => a.name.localeCompare(b.name));
  const totalOf = new Map(totals.map((row) => [row.name, row.total]));
  const rows: Sample["rows"] = [];
  for (const { name } of chosen) {
    const s = await client.stats(name);
    if (!s) continue; // gone since the scan
    const notReady = (totalOf.get(name) ?? s.len) - s.len;
    rows.push({
      queue: name,
      ready: s.len,
      busy: Math.max(0, notReady - s.backoff),
      backoff: s.backoff,
      dead: s.deadLetters,
      blocked: s.blocked,
      pause: s.pause,
      jobsIn: s.jobsIn,
      jobsOut: s.jobsOut,
    });
  }
  return { at: clock(), queues: names.length, rows };
}

/** A frame from this sample and the one before (rates need both). */
export function frameOf(now: Sample, before: Sample | undefined): Frame {
  const seconds = before ? Math.max(0.001, (now.at - before.at) / 1000) : 0;
  const earlier = new Map(before?.rows.map((row) => [row.queue, row]));
  const rate = (current: number, previous: number | undefined) =>
    before === undefined ? null : Math.round((Math.max(0, current - (previous ?? 0)) / seconds) * 10) / 10;
  return {
    at: iso(now.at),
    queues: now.queues,
    shown: now.rows.map(({ jobsIn, jobsOut, ...row }) => ({
      ...row,
      inPerSec: rate(jobsIn, earlier.get(row.queue)?.jobsIn),
      outPerSec: rate(jobsOut, earlier.get(row.queue)?.jobsOut),
    })),
  };
}

export function frameText(frame: Frame, server: string): string {
  const rate = (r: number | null) => (r === null ? "-" : String(r));
  const header = ["queue", "ready", "busy", "backoff", "dead", "blocked", "in/s", "out/s", "paused"];
  const rows = frame.shown.map((r) => [
    r.queue,
    r.ready,
    r.busy,
    r.backoff,
    r.dead,
    r.blocked,
    rate(r.inPerSec),
    rate(r.outPerSec),
    r.pause === "none" ? "-" : r.pause,
  ]);
  const count =
    frame.shown.length === frame.queues
      ? `${frame.queues} queue${frame.queues === 1 ? "" : "s"}`
      : `${frame.shown.length} of ${frame.queues} queues (the most jobs)`;
  const title = `docket top  ${server}  ${frame.at}  ${count}`;
  return `${title}\n\n${table(header, rows)}\nbusy: delivered and not acked, or delayed`;
}

function ranged(min: number, max: number) {
  return (value: string): number => {
    const n = integer(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be ${min} to ${max}`);
    return n;
  };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

interface TopOptions extends ConnOptions {
  once?: boolean;
  interval: number;
  limit: number;
  json?: boolean;
}

export function addTopCommand(program: Command): void {
  withConnection(
    program
      .command("top")
      .description("the queues, live: ready, busy, backoff, dead, blocked fetches, rates in and out, pause"),
  )
    .option("--once", "print one frame (two reads --interval apart, for the rates) and exit")
    .option("--interval <ms>", "time between frames", ranged(MIN_INTERVAL_MS, MAX_INTERVAL_MS), 1000)
    .option("--limit <n>", "queues shown: the ones with the most jobs", ranged(1, MAX_LIMIT), 50)
    .option("--json", "each frame as one JSON line")
    .action(async (options: TopOptions) => {
      const server = `${options.host}:${options.port}`;
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const live = !options.once && !options.json && process.stdout.isTTY;
      const show = (frame: Frame) => {
        if (options.json) console.log(JSON.stringify(frame));
        else console.log(`${live ? "\x1b[H\x1b[2J" : ""}${frameText(frame, server)}`);
      };
      try {
        await run(options, async (client) => {
          let before = await sample(client, options.limit, Date.now);
          if (!options.once) show(frameOf(before, undefined));
          while (!stop.signal.aborted) {
            await sleep(options.interval, stop.signal);
            if (stop.signal.aborted) break;
            const now = await sample(client, options.limit, Date.now);
            show(frameOf(now, before));
            if (options.once) break;
            before = now;
          }
        });
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
