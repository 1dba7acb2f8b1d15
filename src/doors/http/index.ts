import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { TlsOptions } from "node:tls";
import type { Broker } from "../../core/contract.js";
import type { Clock } from "../../core/clock.js";
import { MAX_QUEUE_NAME_BYTES } from "../../core/limits.js";
import type { Logger } from "../../log.js";
import { installAuth } from "./auth.js";
import { registerDashboard } from "./dashboard.js";
import { QueueSampler } from "./samples.js";
import { Sessions } from "./session.js";
import type { HttpContext } from "./context.js";
import { registerEmq } from "./emq.js";
import { installErrorHandling, RETRY_AFTER_SECONDS } from "./errors.js";
import { installGuards } from "./guards.js";
import { installJsonParser } from "./json.js";
import { Metrics } from "./metrics.js";
import { registerNative } from "./native.js";
import { registerTaskq } from "./taskq.js";
import { installMemoryBound } from "./memory.js";
import { LazySchemas } from "./lazy-schemas.js";
import { OpenApiDocument } from "./openapi.js";
import type { MemoryBudget } from "../../util/memory.js";
import type { WriteGate } from "../../stores/store.js";

export interface HttpDoorOptions {
  broker: Broker;
  /** the store's clock (tests drive a ManualClock) */
  clock: Clock;
  host: string;
  port: number;
  /** largest job body at start: fixes the request size limits */
  maxJobSize: number;
  /** read per request */
  maxJobSizeNow(): number;
  password(): string | undefined;
  /** --tls-cert/--tls-key: the door speaks HTTPS only (with --tls-ca, client certificates required) */
  tls?: TlsOptions;
  respClients(): number;
  /** [command name, calls] of the RESP commands called so far */
  respCommandCalls(): Iterable<[string, number]>;
  /** the server-wide memory bound (--maxmemory) */
  budget?: MemoryBudget;
  logger: Logger;
  /** the store's one write gate (src/stores/store.ts) */
  gate: WriteGate;
}

/**
 * The HTTP/JSON front door (docs/http.md): the native API under /v1, the emq
 * and TaskQ routes, /metrics and /healthz, on one fastify server.
 */
export class HttpDoor {
  readonly metrics: Metrics;
  private readonly ctx: HttpContext;
  private app: FastifyInstance | undefined;
  /** the dashboard's login sessions and its charts' samples */
  readonly sessions = new Sessions();
  readonly sampler: QueueSampler;
  port = 0;
  /** true when the door speaks HTTPS */
  readonly https: boolean;
  /** the routes' schemas, compiled on each route's first request (lazy-schemas.ts) */
  readonly schemas = new LazySchemas();
  /** GET /v1/openapi.json, made on its first request (openapi.ts) */
  private readonly openapi = new OpenApiDocument();

  constructor(private readonly options: HttpDoorOptions) {
    this.metrics = new Metrics({
      broker: options.broker,
      respClients: options.respClients,
      respCommandCalls: options.respCommandCalls,
    });
    this.https = options.tls !== undefined;
    this.sampler = new QueueSampler(options.broker, () => options.clock.now());
    this.ctx = {
      broker: options.broker,
      gate: options.gate,
      clock: options.clock,
      maxJobSize: options.maxJobSizeNow,
      onDuplicate: () => this.metrics.countDuplicate(),
      waits: new Set(),
    };
  }

  /** Builds the routes (listen's first step). */
  private async build(): Promise<FastifyInstance> {
    const { maxJobSize } = this.options;
    // A JSON body may carry the job as base64 (4/3 of its size) plus the envelope.
    const jsonLimit = Math.ceil((maxJobSize * 4) / 3) + 64 * 1024;
    const app = Fastify({
      https: this.options.tls ?? null,
      // fastify logs each request at info: kept only when the server logs at debug or trace
      loggerInstance: this.options.logger.child(
        { door: "http" },
        {
          level: ["debug", "trace"].includes(this.options.logger.level) ? this.options.logger.level : "warn",
        },
      ) as FastifyBaseLogger,
      bodyLimit: jsonLimit,
      // queue names are checked by the guards (up to 1024 bytes, URL-encoded: 3 characters a byte)
      routerOptions: { maxParamLength: 4 * MAX_QUEUE_NAME_BYTES },
      forceCloseConnections: true,
      // a client must finish sending its request in this time (slow uploads); long polls wait after it
      requestTimeout: 120_000,
      ajv: { customOptions: { coerceTypes: "array", removeAdditional: false, useDefaults: true } },
      schemaController: { compilersFactory: this.schemas.factory() },
    }) as unknown as FastifyInstance; // the routes do not care whether the server is http or https
    installErrorHandling(app);
    installJsonParser(app);
    installGuards(app, this.ctx.gate);
    this.metrics.install(app);
    installAuth(app, this.options.password, this.sessions);
    if (this.options.budget) installMemoryBound(app, this.options.budget);
    this.openapi.install(app);

    app.get(
      "/healthz",
      {
        schema: {
          tags: ["ops"],
          summary: "200 while serving and the store answers; 503 while the Redis store is unreachable",
        },
      },
      async (_request, reply) => {
        const answers = (await this.ctx.broker.storeAnswers?.()) ?? true;
        if (answers) return { status: "ok" };
        return reply
          .code(503)
          .header("retry-after", String(RETRY_AFTER_SECONDS))
          .send({ status: "store unavailable" });
      },
    );

    await app.register(async (native) => {
      native.removeContentTypeParser("text/plain");
      native.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: maxJobSize }, (_req, body, done) =>
        done(null, body),
      );
      registerNative(native, this.ctx);
    });
    await app.register(async (dashboard) =>
      registerDashboard(dashboard, {
        password: this.options.password,
        sessions: this.sessions,
        sampler: this.sampler,
        secure: this.https,
      }),
    );
    await app.register(async (emq) => registerEmq(emq, this.ctx));
    await app.register(async (taskq) => {
      registerTaskq(taskq, this.ctx);
    });
    return app;
  }

  async listen(): Promise<number> {
    const app = await this.build();
    this.app = app;
    await app.listen({ host: this.options.host, port: this.options.port });
    this.sampler.start();
    const address = app.server.address();
    this.port = typeof address === "object" && address ? address.port : this.options.port;
    return this.port;
  }

  async close(): Promise<void> {
    this.sampler.stop();
    for (const wait of this.ctx.waits) wait.abort();
    await this.app?.close();
  }
}
