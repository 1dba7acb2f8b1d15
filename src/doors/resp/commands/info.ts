import type { Arguments } from "../transport/arguments.js";
import { readFileSync } from "node:fs";
import { machine, release, type } from "node:os";
import { BrokerError, type BrokerStats } from "../../../core/contract.js";
import type { RespContext } from "../context.js";
import { ErrorReply, type Reply } from "../transport/reply.js";
import { SYNTAX_ERROR } from "../args.js";
import { humanBytes } from "../../../util/memory.js";

/**
 * INFO as Disque 1.0-rc1 writes it (measured): `# Section` headers and
 * `key:value` lines, sections apart by an empty line. Disque's sections come
 * first and each begins with Disque's fields in Disque's order; docket's own
 * fields follow them, and docket's own sections follow Disque's.
 * INFO / INFO default: every section but Commandstats; INFO all: them too;
 * INFO <section>: that one (any case); an unknown name: an empty reply.
 */

type Section = Record<string, string | number>;

/** the Disque release whose replies docket gives (docs/disque.md) */
const DISQUE_VERSION = "1.0-rc1";
const DOCKET_VERSION = (
  JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

/** Disque's section names, in its order; its headers are these capitalised, but CPU. */
const HEADERS: Record<string, string> = {
  server: "Server",
  clients: "Clients",
  memory: "Memory",
  jobs: "Jobs",
  queues: "Queues",
  persistence: "Persistence",
  stats: "Stats",
  cpu: "CPU",
};
const ALL_ONLY = "commandstats";
/** Redis's reply blocks are 16 KiB: a client's output counted in them (client_longest_output_list) */
const REPLY_CHUNK_BYTES = 16 * 1024;

const twoDecimals = (n: number): string => n.toFixed(2);

/** libuv polls with epoll on Linux and kqueue on the BSDs and macOS */
function multiplexingApi(): string {
  if (process.platform === "linux") return "epoll";
  if (process.platform === "darwin" || process.platform.endsWith("bsd")) return "kqueue";
  return "libuv";
}

function clientsSection(ctx: RespContext, stats: BrokerStats | undefined): Section {
  let connected = 0;
  let biggestOutput = 0;
  let biggestInput = 0;
  for (const client of ctx.server.clients()) {
    connected++;
    biggestOutput = Math.max(biggestOutput, client.outputBytes());
    biggestInput = Math.max(biggestInput, client.inputBytes());
  }
  return {
    connected_clients: connected,
    client_longest_output_list: Math.ceil(biggestOutput / REPLY_CHUNK_BYTES),
    client_biggest_input_buf: biggestInput,
    ...(stats && { blocked_clients: stats.blockedClients }),
    maxclients: ctx.server.config.maxClients,
  };
}

function memorySection(ctx: RespContext): Section {
  const bound = ctx.server.memoryInfo();
  const rss = process.memoryUsage.rss();
  const heap = process.memoryUsage();
  return {
    // what --maxmemory is compared with: job data plus client buffers (docs/resp.md)
    used_memory: bound.used,
    used_memory_human: humanBytes(bound.used),
    used_memory_rss: rss,
    used_memory_peak: bound.peak,
    used_memory_peak_human: humanBytes(bound.peak),
    mem_fragmentation_ratio: twoDecimals(bound.used > 0 ? rss / bound.used : 0),
    mem_allocator: "libc",
    used_memory_clients: bound.clients,
    used_memory_heap: heap.heapUsed,
    used_memory_external: heap.external,
    maxmemory: bound.max,
    maxmemory_human: humanBytes(bound.max),
  };
}

function statsSection(ctx: RespContext, stats: BrokerStats | undefined): Section {
  const transport = ctx.server.transport();
  return {
    total_connections_received: transport.connectionsReceived,
    total_commands_processed: transport.commandsProcessed,
    instantaneous_ops_per_sec: Math.round(transport.commandsPerSecond),
    total_net_input_bytes: transport.netInputBytes,
    total_net_output_bytes: transport.netOutputBytes,
    instantaneous_input_kbps: twoDecimals(transport.inputBytesPerSecond / 1024),
    instantaneous_output_kbps: twoDecimals(transport.outputBytesPerSecond / 1024),
    rejected_connections: transport.rejectedConnections,
    // docket never forks
    latest_fork_usec: 0,
    ...(stats && {
      total_jobs_added: stats.added,
      total_jobs_delivered: stats.delivered,
      total_jobs_acked: stats.acked,
      total_jobs_expired: stats.expired,
      total_jobs_requeued: stats.requeued,
      // failure handling (docs/failures.md)
      total_jobs_retried: stats.retried,
      total_jobs_dead_lettered: stats.deadLettered,
      total_jobs_timed_out: stats.timedOut,
      total_dead_letters_evicted: stats.deadLettersEvicted,
      results_kept: stats.results,
      result_bytes: stats.resultBytes,
    }),
    evicted_clients: ctx.server.memoryInfo().evictedClients,
  };
}

function cpuSection(): Section {
  const cpu = process.cpuUsage();
  return {
    used_cpu_sys: twoDecimals(cpu.system / 1e6),
    used_cpu_user: twoDecimals(cpu.user / 1e6),
    // docket starts no child processes
    used_cpu_sys_children: "0.00",
    used_cpu_user_children: "0.00",
  };
}

/** Disque's fields of the persistence section for a server without a journal (the Redis store). */
function persistenceSection(ctx: RespContext): Section {
  const journaled = ctx.server.store === "embedded" && ctx.server.config.appendOnly;
  return {
    loading: 0,
    aof_enabled: journaled ? 1 : 0,
    aof_state: journaled ? "on" : "off",
    aof_rewrite_in_progress: 0,
    aof_rewrite_scheduled: 0,
    aof_last_rewrite_time_sec: -1,
    aof_current_rewrite_time_sec: -1,
    aof_last_bgrewrite_status: "ok",
    aof_last_write_status: "ok",
  };
}

function commandStats(ctx: RespContext): Section {
  const out: Section = {};
  // docket does not time its commands: usec is 0, as Disque reports an unknown value
  for (const [name, calls] of ctx.server.commands().callCounts()) {
    out[`cmdstat_${name}`] = `calls=${calls},usec=0,usec_per_call=0.00`;
  }
  return out;
}

function unlessStoreDown(error: unknown): undefined {
  if (error instanceof BrokerError && error.code === "TRYAGAIN") return undefined;
  throw error;
}

async function sections(ctx: RespContext, withCommandStats: boolean): Promise<Record<string, Section>> {
  const server = ctx.server;
  // While the Redis store is unreachable INFO still answers: without the store's
  // fields, and with redis_status:down (server.infoSections) saying why.
  // Asked side by side: while Redis is down each waits out --redis-timeout, INFO only once.
  const [stats, extraSections] = await Promise.all([
    Promise.resolve(ctx.broker.stats()).catch(unlessStoreDown),
    server.infoSections(),
  ]);
  const now = Date.now();
  const all: Record<string, Section> = {
    server: {
      disque_version: DISQUE_VERSION,
      // unknown values, written as Disque writes them when it does not know them
      disque_git_sha1: "00000000",
      disque_git_dirty: 0,
      disque_build_id: "0000000000000000",
      os: `${type()} ${release()} ${machine()}`,
      arch_bits: process.arch.endsWith("64") ? 64 : 32,
      multiplexing_api: multiplexingApi(),
      // what Disque reports when not built by GCC
      gcc_version: "0.0.0",
      process_id: process.pid,
      run_id: server.runId,
      tcp_port: server.config.port,
      uptime_in_seconds: Math.floor((now - server.startedAt) / 1000),
      uptime_in_days: Math.floor((now - server.startedAt) / 86_400_000),
      // Disque's default timer frequency; docket's timers fire when due instead
      hz: 10,
      executable: process.argv[1] ?? "",
      // docket takes its settings from the command line only
      config_file: "",
      docket_version: DOCKET_VERSION,
      node_id: ctx.broker.nodeId,
    },
    clients: clientsSection(ctx, stats),
    memory: memorySection(ctx),
    ...(stats && {
      jobs: {
        registered_jobs: stats.jobs,
        jobs_queued: stats.jobsByState.queued,
        jobs_active: stats.jobsByState.active,
        jobs_backoff: stats.jobsByState.backoff,
      },
      queues: { registered_queues: stats.queues },
    }),
    persistence: persistenceSection(ctx),
    stats: statsSection(ctx, stats),
    cpu: cpuSection(),
  };
  // The server's own fields: keys Disque has keep their place, new ones follow (object key order).
  for (const [name, extra] of Object.entries(extraSections)) {
    all[name] = { ...all[name], ...extra };
  }
  if (withCommandStats) all[ALL_ONLY] = commandStats(ctx);
  return all;
}

function header(name: string): string {
  return HEADERS[name] ?? `${name[0]!.toUpperCase()}${name.slice(1)}`;
}

export async function infoReply(ctx: RespContext, args: Arguments): Promise<Reply> {
  if (args.length > 2) return new ErrorReply(`ERR ${SYNTAX_ERROR}`);
  const pick = args.at(1)?.toString("latin1").toLowerCase() ?? "default";
  const every = pick === "default" || pick === "all";
  const all = await sections(ctx, pick === "all" || pick === ALL_ONLY);
  const names = every ? Object.keys(all) : Object.hasOwn(all, pick) ? [pick] : [];
  const parts = names.map((name) => {
    const lines = Object.entries(all[name]!).map(([key, value]) => `${key}:${value}\r\n`);
    return `# ${header(name)}\r\n${lines.join("")}`;
  });
  return Buffer.from(parts.join("\r\n"));
}
