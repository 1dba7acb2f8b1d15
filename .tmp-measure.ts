// measurement helper (not committed): bytes per idempotency key and per-op time vs queue size
import { Redis } from "ioredis";
import { performance } from "node:perf_hooks";
import { ManualClock } from "./src/core/clock.js";
import { openRedisBroker } from "./src/stores/redis/index.js";
import { startRedis } from "./test/helpers/redis.js";

const redis = await startRedis();
const admin = new Redis(redis.port, "127.0.0.1");
const clock = new ManualClock(Date.now());
const broker = await openRedisBroker({ urls: [redis.url], clock, prefix: "docket" });
const body = Buffer.from("x".repeat(100));

async function addMany(n: number, make: (i: number) => object, queue: string) {
  for (let i = 0; i < n; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, n - i) }, (_, j) => broker.addJob({ queue, body, ...make(i + j) })),
    );
  }
}
const used = async () => Number(/used_memory:(\d+)/.exec(await admin.info("memory"))![1]);

// bytes: plain vs keyed jobs, and the key string itself
const N = 10_000;
let m0 = await used();
await addMany(N, () => ({}), "plainq");
let m1 = await used();
await addMany(N, (i) => ({ key: `order-${String(i).padStart(6, "0")}` }), "keyedq");
let m2 = await used();
const sample = broker.keys.idempotencyKey("keyedq", "order-000123");
console.log("MEMORY USAGE of one key", sample, await admin.call("MEMORY", "USAGE", sample));
console.log("used_memory per plain job", (m1 - m0) / N, "per keyed job", (m2 - m1) / N, "delta", (m2 - m1 - (m1 - m0)) / N);
m0 = await used();
await addMany(N, (i) => ({ priority: 5, group: `g${i % 100}` }), "groupq");
m1 = await used();
console.log("used_memory per prioritized+grouped job", (m1 - m0) / N);

async function cycle(queue: string, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const got = await broker.getJobs({ queues: [queue], count: 1, nohang: true, timeoutMs: 0 });
    await broker.ackJobs([got![0]!.id]);
    await broker.addJob({ queue, body, ...(queue.startsWith("g") ? { group: `g${i % 100}`, priority: 5 } : {}) });
  }
  return ((performance.now() - t0) / n) * 1000;
}
for (const size of [1_000, 10_000, 100_000]) {
  const q = `grouped-${size}`;
  await addMany(size, (i) => ({ group: `g${i % 100}`, priority: 5 }), q);
  const p = `plain-${size}`;
  await addMany(size, () => ({}), p);
  // a flood held back: GROUPLIMIT 1 and one group with `size` ready jobs behind its one in flight
  const f = `gflood-${size}`;
  await broker.setQueuePolicy(f, { groupLimit: 1 });
  await addMany(size, () => ({ group: "flood" }), f);
  await broker.getJobs({ queues: [f], count: 1, nohang: true, timeoutMs: 0 });
  await addMany(100, (i) => ({ group: `g${i}`, priority: 5 }), f);
  console.log(
    `n=${size}: take+ack+add µs/job plain ${(await cycle(p, 2000)).toFixed(0)} grouped ${(await cycle(q, 2000)).toFixed(0)} ` +
      `flood-held ${(await cycle(f, 2000)).toFixed(0)}`,
  );
}
await broker.close();
admin.disconnect();
await redis.stop();
process.exit(0);
