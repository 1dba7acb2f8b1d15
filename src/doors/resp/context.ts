import type { Broker } from "../../core/contract.js";
import type { ServerConfig } from "../../config.js";
import type { WriteGate } from "../../stores/store.js";
import type { CommandTable } from "./command.js";
import type { SlowLog } from "./transport/slowlog.js";
import type { RespClient, RespServerStats } from "./transport/server.js";

/** What a RESP command handler can reach: its client, the broker, the server. */
export interface RespContext {
  client: RespClient;
  broker: Broker;
  server: ServerHandle;
  /** okq: set by this connection's first QREGISTER, whose close hook then drops the registration */
  okqRegistered?: boolean;
}

export interface MemoryInfo {
  /** job data plus client buffers, bytes */
  used: number;
  /** client buffers alone */
  clients: number;
  /** 0 = no bound */
  max: number;
  /** the most `used` seen so far */
  peak: number;
  /** clients disconnected to stay under the bound */
  evictedClients: number;
}

export interface TransportStats extends RespServerStats {
  /** over the last second */
  commandsPerSecond: number;
  inputBytesPerSecond: number;
  outputBytesPerSecond: number;
}

/** The parts of the running server that admin commands (INFO, CONFIG, CLIENT…) need. */
export interface ServerHandle {
  readonly config: ServerConfig;
  readonly startedAt: number;
  readonly runId: string;
  /** which store holds the jobs */
  readonly store: "embedded" | "redis";
  clients(): Iterable<RespClient>;
  /** INFO sections beyond the RESP door's own, e.g. persistence from the journal */
  infoSections(): Promise<Record<string, Record<string, string | number>>>;
  /** the RESP door's totals and rates, for INFO's stats */
  transport(): TransportStats;
  /** the RESP command table, for COMMAND */
  commands(): CommandTable<RespContext>;
  /** the store's one write gate (refusal, durability wait, put-back of undelivered jobs), shared by every door */
  readonly gate: WriteGate;
  /**
   * Why write commands are refused right now (the journal cannot write:
   * disk full, I/O error), or undefined. The door answers `-MISCONF <it>`.
   */
  writeRefusal(): string | undefined;
  /** true while memory is over --maxmemory: `denyoom` commands answer `-OOM …` */
  memoryFull(): boolean;
  /** what INFO's memory section reports about the bound */
  memoryInfo(): MemoryInfo;
  /** the commands that ran longer than slowlog-log-slower-than */
  readonly slowlog: SlowLog;
  /**
   * BGREWRITEAOF: starts a journal compaction; "in-progress" when one runs
   * already, undefined on the Redis store (no journal).
   */
  compactJournal(): "started" | "in-progress" | undefined;
  /** CLUSTER LEAVING: whether this node is leaving the cluster */
  readonly leaving: boolean;
  /** sets it; GETJOBs blocked when it becomes true are woken (their listeners called) */
  setLeaving(leaving: boolean): void;
  /** calls `listener` when this node starts leaving; returns the unsubscribe */
  onLeaving(listener: () => void): () => void;
  /** an add found its idempotency key taken (docket_idempotent_duplicates_total) */
  noteDuplicate(): void;
  /** pushes a CONFIG SET into the components that cache settings */
  configChanged(): void;
  shutdown(): void;
}
