import type { Clock } from "../core/clock.js";
import type { Broker } from "../core/contract.js";
import { effectiveFsync, failureDefaults, type ServerConfig } from "../config.js";
import type { Logger } from "../log.js";
import { Engine } from "./embedded/engine/index.js";
import { Journal, type JournalFs } from "./embedded/journal/index.js";
import { WriteGate, type InfoSections, type Store, type StoreSettings } from "./store.js";
import { Ticker } from "./ticker.js";

export interface StoreDeps {
  clock: Clock;
  logger: Logger;
  /** tests pass a file system that can fail (disk full) */
  journalFs?: JournalFs;
  /** each journal fsync's duration (the metrics histogram) */
  onFsync?: (seconds: number) => void;
}

/**
 * The store the settings name: Redis with --redis/--redis-sentinel, else the
 * embedded one. The Redis store's modules (ioredis among them, ~60 ms to load)
 * load only when it is named, so an embedded server starts without them.
 */
export async function makeStore(config: ServerConfig, deps: StoreDeps): Promise<Store> {
  if (config.redis.length === 0 && config.redisSentinel.length === 0) return new EmbeddedStore(config, deps);
  const { RedisStore } = await import("./redis-store.js");
  return new RedisStore(config, deps);
}

/** The store's one write gate over its broker. */
export function gateOf(store: { broker: Broker; writeRefusal(): string | undefined }): WriteGate {
  return new WriteGate({
    whenDurable: () => store.broker.whenDurable(),
    release: (ids) => store.broker.release(ids),
    writeRefusal: () => store.writeRefusal(),
  });
}

/** The in-process engine, its journal (opened by start) and its timer. */
export class EmbeddedStore implements Store {
  readonly kind = "embedded";
  readonly engine: Engine;
  readonly broker: Engine;
  readonly gate: WriteGate;
  /** set by start() */
  journal: Journal | undefined;
  private readonly ticker: Ticker;

  constructor(
    private readonly config: ServerConfig,
    private readonly deps: StoreDeps,
  ) {
    let ticker: Ticker | undefined;
    this.engine = this.broker = new Engine({
      clock: deps.clock,
      host: config.bind,
      port: config.port,
      maxJobSize: config.maxJobSize,
      onWake: () => ticker?.arm(),
      onChange: (change) => this.journal?.append(change),
    });
    this.engine.configureFailures(failureDefaults(config));
    this.ticker = ticker = new Ticker(this.engine, deps.clock);
    this.gate = gateOf(this);
  }

  async start(): Promise<void> {
    const journal = await Journal.open(this.engine, {
      dir: this.config.dataDir,
      fsync: effectiveFsync(this.config),
      repair: this.config.repair,
      compactMinBytes: this.config.compactMinBytes,
      onFsync: this.deps.onFsync,
      logger: this.deps.logger,
      fs: this.deps.journalFs,
    });
    this.journal = journal;
    this.engine.durability = () => journal.whenDurable();
  }

  async listening(port: number): Promise<void> {
    this.engine.port = port;
  }

  startTimers(): void {
    this.ticker.arm();
  }

  async close(): Promise<void> {
    this.ticker.stop();
    await this.journal?.close();
  }

  async info(): Promise<InfoSections> {
    return this.journal ? { persistence: this.journal.info() } : {};
  }

  writeRefusal(): string | undefined {
    return this.journal?.writeRefusal();
  }

  dataBytes(): number {
    return this.engine.dataBytes();
  }

  configure(settings: StoreSettings): void {
    this.engine.maxJobSize = settings.maxJobSize;
    this.engine.configureFailures(settings.failures);
    this.journal?.setFsync(settings.fsync);
  }

  async announce(): Promise<void> {
    // one process: nobody else to tell
  }

  compact(): "started" | "in-progress" | undefined {
    if (!this.journal) return undefined;
    if (this.journal.compactionRunning) return "in-progress";
    void this.journal.compact();
    return "started";
  }

  observeDeliveries(observe: (queue: string, createdAt: number, now: number) => void): void {
    this.engine.onDeliver = observe;
  }
}
