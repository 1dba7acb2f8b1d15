import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./redis.js";

/**
 * Redis Sentinels on loopback watching one master, for failover tests. They
 * run as `redis-server <conf> --sentinel` (the redis-sentinel binary is the
 * same program), so no extra package is needed. Timeouts are short so a
 * killed master is failed over in a few seconds.
 */

const REDIS_SERVER = process.env.REDIS_SERVER ?? "redis-server";

export interface Sentinels {
  /** "127.0.0.1:<port>" of each sentinel */
  addresses: string[];
  masterName: string;
  /** the master's port as the sentinels see it now */
  masterPort(): Promise<number>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** `count` sentinels (quorum: a majority) monitoring 127.0.0.1:`masterPort` as `masterName`. */
export async function startSentinels(
  masterPort: number,
  count = 3,
  masterName = "docket",
): Promise<Sentinels> {
  const quorum = Math.floor(count / 2) + 1;
  const dir = mkdtempSync(join(tmpdir(), "docket-sentinel-"));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
          child.kill("SIGKILL");
          await exited;
        }
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          "protected-mode no",
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${quorum}`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 10000`,
          `sentinel parallel-syncs ${masterName} 1`,
          "",
        ].join("\n"),
      );
      const child = spawn(REDIS_SERVER, [conf, "--sentinel"], { stdio: "ignore" });
      running.add(child);
      child.once("exit", () => running.delete(child));
      children.push(child);
      ports.push(port);
    }
    const deadline = Date.now() + 15_000;
    for (const port of ports) {
      for (;;) {
        if ((await askedMasterPort(port, masterName)) === masterPort) break;
        if (Date.now() > deadline) throw new Error(`sentinel on ${port} does not watch ${masterPort}`);
        await sleep(50);
      }
    }
    // Each sentinel must know the others (hello messages) before it can vote.
    for (const port of ports) {
      for (;;) {
        const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
        try {
          const others = (await client.call("SENTINEL", "SENTINELS", masterName)) as unknown[];
          if (others.length >= count - 1) break;
        } finally {
          client.disconnect();
        }
        if (Date.now() > deadline) throw new Error(`sentinel on ${port} does not see the others`);
        await sleep(100);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    addresses: ports.map((port) => `127.0.0.1:${port}`),
    masterName,
    masterPort: async () => {
      for (const port of ports) {
        const answer = await askedMasterPort(port, masterName);
        if (answer !== undefined) return answer;
      }
      throw new Error("no sentinel answers");
    },
    stop,
  };
}

async function askedMasterPort(port: number, name: string): Promise<number | undefined> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on("error", () => {});
  try {
    await client.connect();
    const answer = (await client.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)) as string[] | null;
    return answer ? Number(answer[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
