import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Broker, BrokerStats, QueueCounts } from "../../core/contract.js";
import { MAX_SCAN_COUNT } from "../../core/listing-limits.js";
import { JOB_STATES } from "../../core/contract.js";

export interface MetricsSources {
  broker: Broker;
  /** connected RESP clients */
  respClients(): number;
  /** [command name, calls] of the RESP commands called so far */
  respCommandCalls(): Iterable<[string, number]>;
  /** per-queue series at most (default MAX_QUEUE_SERIES) */
  maxQueueSeries?: number;
}

/**
 * Per-queue series are kept for this many queues at most, the largest by
 * live jobs; the rest are summed under the label queue="" (an empty name is
 * no queue's). A scrape costs O(live queues), whatever happened before.
 */
export const MAX_QUEUE_SERIES = 200;
const OTHER_QUEUES = "";

type TotalKey =
  | "added"
  | "delivered"
  | "acked"
  | "expired"
  | "requeued"
  | "retried"
  | "deadLettered"
  | "timedOut"
  | "deadLettersEvicted";

/** What the per-queue gauges read of one QSTAT: failures, then scheduling (docs/scheduling.md). */
interface QueueGaugeValues {
  backingOff: number;
  deadLetters: number;
  heldBack: number;
  groups: number;
  /** 1 while the queue's rate limit lets nothing through, else 0 */
  rateLimited: number;
}

/** What one scrape knows of the queues: the live ones, the largest labelled, the rest summed. */
interface QueueView {
  /** the broker's stats, read once per scrape (each read is O(queues)) */
  stats: BrokerStats;
  /** the queues with a latency series that still exist */
  live: Set<string>;
  labelled: QueueCounts[];
  rest: { waiting: number; processing: number };
  /** seconds since the head job of each labelled queue was created (0 when empty) */
  ages: Map<string, number>;
  /** each labelled queue's QSTAT numbers the per-queue gauges show */
  gauges: Map<string, QueueGaugeValues>;
}

/**
 * Prometheus metrics, one registry per server (tests run several servers
 * in one process). Gauges and totals are read from the broker at scrape
 * time; the latency histogram is fed by the engine's delivery hook.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly latency: Histogram<"queue">;
  private readonly fsyncLatency: Histogram;
  private readonly requests: Counter<"method" | "route" | "status">;
  private readonly duplicates: Counter;
  private httpInFlight = 0;
  private readonly maxQueueSeries: number;
  /** queues with a latency series of their own (at most maxQueueSeries) */
  private readonly latencyQueues = new Set<string>();
  /** the queues as this scrape sees them */
  private view: QueueView | undefined;

  constructor(private readonly sources: MetricsSources) {
    const registry = this.registry;
    this.maxQueueSeries = sources.maxQueueSeries ?? MAX_QUEUE_SERIES;
    const view = async () => this.view ?? (await this.queueView());
    const totals: Array<[string, string, TotalKey]> = [
      ["docket_jobs_in_total", "jobs added", "added"],
      ["docket_jobs_out_total", "job deliveries (fetches)", "delivered"],
      ["docket_jobs_acked_total", "jobs acknowledged", "acked"],
      ["docket_jobs_expired_total", "jobs deleted by their TTL", "expired"],
      ["docket_jobs_requeued_total", "jobs queued again after their lease ran out", "requeued"],
      // failure handling (docs/failures.md)
      ["docket_jobs_retried_total", "failures that queued the job again (NACK, RETRY, a lease)", "retried"],
      [
        "docket_jobs_dead_lettered_total",
        "failures that dead-lettered the job (no retry left)",
        "deadLettered",
      ],
      [
        "docket_jobs_timed_out_total",
        "failures whose cause was a run time-out (NACK … TIMEDOUT)",
        "timedOut",
      ],
      [
        "docket_dead_letters_evicted_total",
        "dead letters dropped, oldest first, because their queue's list was at its cap",
        "deadLettersEvicted",
      ],
    ];
    for (const [name, help, key] of totals) {
      new Counter({
        name,
        help,
        registers: [registry],
        async collect() {
          const { stats } = await view();
          this.reset();
          this.inc(stats[key]);
        },
      });
    }
    new Gauge({
      name: "docket_jobs",
      help: "jobs by state, all queues",
      labelNames: ["state"],
      registers: [registry],
      async collect() {
        const { stats } = await view();
        for (const state of JOB_STATES) this.set({ state }, stats.jobsByState[state]);
      },
    });
    new Gauge({
      name: "docket_queue_jobs",
      help: "jobs per queue by state (queued, active = delivered or delayed)",
      labelNames: ["queue", "state"],
      registers: [registry],
      async collect() {
        this.reset();
        // Counts the broker keeps per queue: O(queues) per scrape, not O(jobs).
        const { labelled, rest } = await view();
        for (const row of [...labelled, { name: OTHER_QUEUES, ...rest }]) {
          this.set({ queue: row.name, state: "queued" }, row.waiting);
          this.set({ queue: row.name, state: "active" }, row.processing);
        }
      },
    });
    new Gauge({
      name: "docket_queue_oldest_job_age_seconds",
      help: "age of the job at the head of each queue with a series (0 when empty)",
      labelNames: ["queue"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const [queue, age] of (await view()).ages) this.set({ queue }, age);
      },
    });
    new Gauge({
      name: "docket_results_kept",
      help: "results (ACKJOB … RESULT) kept now",
      registers: [registry],
      async collect() {
        this.set((await view()).stats.results);
      },
    });
    new Gauge({
      name: "docket_result_bytes",
      help: "bytes of the results kept now",
      registers: [registry],
      async collect() {
        this.set((await view()).stats.resultBytes);
      },
    });
    new Gauge({
      name: "docket_queue_backing_off_jobs",
      help: 'jobs waiting out a backoff per queue with a series (the rest under queue="")',
      labelNames: ["queue"],
      registers: [registry],
      async collect() {
        this.reset();
        const { stats, gauges } = await view();
        let rest = stats.jobsByState.backoff;
        for (const [queue, counts] of gauges) {
          this.set({ queue }, counts.backingOff);
          rest -= counts.backingOff;
        }
        this.set({ queue: OTHER_QUEUES }, Math.max(0, rest));
      },
    });
    new Gauge({
      name: "docket_queue_dead_letters",
      help: "dead letters kept per queue with a series (the queues with the most live jobs)",
      labelNames: ["queue"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const [queue, counts] of (await view()).gauges) this.set({ queue }, counts.deadLetters);
      },
    });
    // scheduling (docs/scheduling.md): per queue with a series, never per group (groups are unbounded)
    const schedulingGauges: Array<[string, string, "heldBack" | "groups" | "rateLimited"]> = [
      [
        "docket_queue_held_back_jobs",
        "ready jobs held back because their group is at the queue's GROUPLIMIT",
        "heldBack",
      ],
      ["docket_queue_groups", "groups with jobs queued or in flight", "groups"],
      ["docket_queue_rate_limited", "1 while the queue's rate limit lets no delivery through", "rateLimited"],
    ];
    for (const [name, help, key] of schedulingGauges) {
      new Gauge({
        name,
        help: `${help}, per queue with a series (the queues with the most live jobs)`,
        labelNames: ["queue"],
        registers: [registry],
        async collect() {
          this.reset();
          for (const [queue, values] of (await view()).gauges) this.set({ queue }, values[key]);
        },
      });
    }
    new Gauge({
      name: "docket_queues",
      help: "queues known",
      registers: [registry],
      async collect() {
        this.set((await view()).stats.queues);
      },
    });
    new Gauge({
      name: "docket_blocked_clients",
      help: "fetches waiting for a job (RESP and HTTP long polls)",
      registers: [registry],
      async collect() {
        this.set((await view()).stats.blockedClients);
      },
    });
    const httpInFlight = () => this.httpInFlight;
    new Gauge({
      name: "docket_connected_clients",
      help: "connected clients by door (RESP connections, HTTP requests in flight)",
      labelNames: ["door"],
      registers: [registry],
      collect() {
        this.set({ door: "resp" }, sources.respClients());
        this.set({ door: "http" }, httpInFlight());
      },
    });
    new Counter({
      name: "docket_resp_commands_total",
      help: "RESP commands processed, by command",
      labelNames: ["command"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [command, calls] of sources.respCommandCalls()) this.inc({ command }, calls);
      },
    });
    // counted by the doors as they answer (RESP ADDJOB, HTTP add): per server, as the request counts
    this.duplicates = new Counter({
      name: "docket_idempotent_duplicates_total",
      help: "adds whose idempotency key was taken: the first job's id was returned, nothing added",
      registers: [registry],
    });
    this.requests = new Counter({
      name: "docket_http_requests_total",
      help: "HTTP requests by route and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: "docket_add_to_fetch_seconds",
      help: "time from a job's creation to each of its deliveries",
      labelNames: ["queue"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600],
      registers: [registry],
    });
    this.fsyncLatency = new Histogram({
      name: "docket_fsync_seconds",
      help: "duration of the journal's fdatasync calls",
      buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers: [registry],
    });
  }

  /** an add found its idempotency key taken (RESP and HTTP doors) */
  countDuplicate(): void {
    this.duplicates.inc();
  }

  /** the journal's fsync hook */
  observeFsync(seconds: number): void {
    this.fsyncLatency.observe(seconds);
  }

  /** the engine's delivery hook: a queue past the series cap counts under queue="" */
  observeDelivery(queue: string, createdAt: number, now: number): void {
    let label = queue;
    if (!this.latencyQueues.has(queue)) {
      if (this.latencyQueues.size < this.maxQueueSeries) this.latencyQueues.add(queue);
      else label = OTHER_QUEUES;
    }
    this.latency.observe({ queue: label }, Math.max(0, now - createdAt) / 1000);
  }

  /** The Prometheus text: the queues are read once, and series of queues gone are dropped. */
  async scrape(): Promise<string> {
    // only series that existed when the walk began: one added meanwhile may not have been seen
    const tracked = [...this.latencyQueues];
    this.view = await this.queueView();
    try {
      for (const queue of tracked) {
        if (this.view.live.has(queue)) continue;
        this.latency.remove({ queue });
        this.latencyQueues.delete(queue);
      }
      await yieldToLoop();
      return await this.registry.metrics();
    } finally {
      this.view = undefined;
    }
  }

  /**
   * The queues' counts, a QSCAN page at a time with the other clients served
   * in between: each step is O(MAX_SCAN_COUNT + maxQueueSeries), and only the
   * largest queues are kept (the others are summed as they pass).
   */
  private async queueView(): Promise<QueueView> {
    const { broker } = this.sources;
    let labelled: QueueCounts[] = [];
    const sum = { waiting: 0, processing: 0 };
    const live = new Set<string>(); // of the queues with a latency series only
    let cursor = 0;
    do {
      const page = await broker.qscan(cursor, { count: MAX_SCAN_COUNT, busyloop: false });
      const rows = await broker.queueCounts(page.items);
      for (const row of rows) {
        sum.waiting += row.waiting;
        sum.processing += row.processing;
        if (this.latencyQueues.has(row.name)) live.add(row.name);
      }
      labelled = largest(labelled.concat(rows), this.maxQueueSeries);
      cursor = page.cursor;
      await yieldToLoop();
    } while (cursor !== 0);
    const rest = { waiting: sum.waiting, processing: sum.processing };
    for (const row of labelled) {
      rest.waiting -= row.waiting;
      rest.processing -= row.processing;
    }
    const ages = new Map<string, number>();
    const gauges = new Map<string, QueueGaugeValues>();
    for (const { name } of labelled) {
      const [head] = await broker.qpeek(name, 1);
      ages.set(name, head ? Math.max(0, (head.observedAt - head.createdAt) / 1000) : 0);
      const stat = await broker.qstat(name);
      if (stat) {
        gauges.set(name, {
          backingOff: stat.backingOff,
          deadLetters: stat.deadLetters,
          heldBack: stat.heldBack,
          groups: stat.groups,
          rateLimited: stat.rateLimitedUntil === null ? 0 : 1,
        });
      }
    }
    await yieldToLoop();
    const stats = await broker.stats();
    return { stats, live, labelled, rest, ages, gauges };
  }

  install(app: FastifyInstance): void {
    app.addHook("onRequest", async (_request, reply) => {
      this.httpInFlight++;
      reply.raw.once("close", () => this.httpInFlight--);
    });
    app.addHook("onResponse", async (request, reply) => {
      this.requests.inc({
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status: String(reply.statusCode),
      });
    });
    app.get(
      "/metrics",
      { schema: { tags: ["ops"], summary: "Prometheus metrics (text format)" } },
      async (_request, reply) => {
        const text = await this.scrape();
        return reply.type(this.registry.contentType).send(text);
      },
    );
  }
}

/** The `n` rows with the most live jobs, the first met first among equals (the sort is stable). */
function largest(rows: QueueCounts[], n: number): QueueCounts[] {
  return rows.length <= n ? rows : rows.sort((a, b) => b.total - a.total).slice(0, n);
}
