import type { BrokerStats } from "../../broker.js";
import type { RespContext } from "./context.js";
import { humanBytes } from "../../util/memory.js";

type Section = Record<string, string | number>;

const VERSION = "0.1.0";

/** INFO's sections, in order. Each is `# Name` then `key:value` lines. */
export async function infoText(ctx: RespContext, wanted: string | undefined): Promise<string> {
  const server = ctx.server;
  const stats: BrokerStats = await ctx.broker.stats();
  const memory = process.memoryUsage();
  const bound = server.memoryInfo();
  const now = Date.now();
  let connected = 0;
  for (const _client of server.clients()) connected++;
  const sections: Record<string, Section> = {
    server: {
      disque_version: VERSION,
      docket_version: VERSION,
      run_id: server.runId,
      process_id: process.pid,
      tcp_port: server.config.port,
      uptime_in_seconds: Math.floor((now - server.startedAt) / 1000),
      uptime_in_days: Math.floor((now - server.startedAt) / 86_400_000),
      node_id: ctx.broker.nodeId,
    },
    clients: {
      connected_clients: connected,
      blocked_clients: stats.blockedClients,
      maxclients: server.config.maxClients,
    },
    memory: {
      // what --maxmemory is compared with: job data plus client buffers (docs/resp.md)
      used_memory: bound.used,
      used_memory_human: humanBytes(bound.used),
      used_memory_clients: bound.clients,
      used_memory_rss: memory.rss,
      used_memory_heap: memory.heapUsed,
      used_memory_external: memory.external,
      maxmemory: bound.max,
      maxmemory_human: humanBytes(bound.max),
    },
    jobs: {
      registered_jobs: stats.jobs,
      jobs_queued: stats.jobsByState.queued,
      jobs_active: stats.jobsByState.active,
    },
    queues: { registered_queues: stats.queues },
    persistence: { aof_enabled: 0, loading: 0 },
    stats: {
      total_jobs_added: stats.added,
      total_jobs_delivered: stats.delivered,
      total_jobs_acked: stats.acked,
      total_jobs_expired: stats.expired,
      total_jobs_requeued: stats.requeued,
      evicted_clients: bound.evictedClients,
    },
  };
  for (const [name, extra] of Object.entries(await server.infoSections())) {
    sections[name] = { ...sections[name], ...extra };
  }
  Object.assign(sections.stats!, server.counters());
  const pick = wanted?.toLowerCase();
  const names = !pick || pick === "all" || pick === "default" ? Object.keys(sections) : [pick];
  const parts: string[] = [];
  for (const name of names) {
    const section = sections[name];
    if (!section) continue;
    const lines = Object.entries(section).map(([key, value]) => `${key}:${value}`);
    parts.push(`# ${name[0]!.toUpperCase()}${name.slice(1)}\r\n${lines.join("\r\n")}\r\n`);
  }
  return parts.join("\r\n");
}
