import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Broker } from "../../broker.js";
import { JOB_STATES } from "../../broker.js";

export interface MetricsSources {
  broker: Broker;
  /** connected RESP clients */
  respClients(): number;
  /** [command name, calls] of the RESP commands called so far */
  respCommandCalls(): Iterable<[string, number]>;
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
  private httpInFlight = 0;

  constructor(sources: MetricsSources) {
    const { broker } = sources;
    const registry = this.registry;
    const totals: Array<[string, string, "added" | "delivered" | "acked" | "expired" | "requeued"]> = [
      ["docket_jobs_in_total", "jobs added", "added"],
      ["docket_jobs_out_total", "job deliveries (fetches)", "delivered"],
      ["docket_jobs_acked_total", "jobs acknowledged", "acked"],
      ["docket_jobs_expired_total", "jobs deleted by their TTL", "expired"],
      ["docket_jobs_requeued_total", "jobs queued again after their lease ran out", "requeued"],
    ];
    for (const [name, help, key] of totals) {
      new Counter({
        name,
        help,
        registers: [registry],
        async collect() {
          const stats = await broker.stats();
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
        const stats = await broker.stats();
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
        for (const row of await broker.queueCounts()) {
          this.set({ queue: row.name, state: "queued" }, row.waiting);
          this.set({ queue: row.name, state: "active" }, row.processing);
        }
      },
    });
    new Gauge({
      name: "docket_queue_oldest_job_age_seconds",
      help: "age of the job at the head of each queue (0 when empty)",
      labelNames: ["queue"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const name of await queueNames(broker)) {
          const [head] = await broker.qpeek(name, 1);
          this.set({ queue: name }, head ? Math.max(0, (head.observedAt - head.createdAt) / 1000) : 0);
        }
      },
    });
    new Gauge({
      name: "docket_queues",
      help: "queues known",
      registers: [registry],
      async collect() {
        this.set((await broker.stats()).queues);
      },
    });
    new Gauge({
      name: "docket_blocked_clients",
      help: "fetches waiting for a job (RESP and HTTP long polls)",
      registers: [registry],
      async collect() {
        this.set((await broker.stats()).blockedClients);
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

  /** the journal's fsync hook */
  observeFsync(seconds: number): void {
    this.fsyncLatency.observe(seconds);
  }

  /** the engine's delivery hook */
  observeDelivery(queue: string, createdAt: number, now: number): void {
    this.latency.observe({ queue }, Math.max(0, now - createdAt) / 1000);
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
        const text = await this.registry.metrics();
        return reply.type(this.registry.contentType).send(text);
      },
    );
  }
}

async function queueNames(broker: Broker): Promise<string[]> {
  const names: string[] = [];
  let cursor = 0;
  do {
    const page = await broker.qscan(cursor, { count: 1000, busyloop: false });
    names.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== 0);
  return names;
}
