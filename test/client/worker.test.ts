import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";
import { Worker, connect, type Job } from "../../src/client/index.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Worker", () => {
  it("concurrency 10 over 1,000 jobs with failures: every job acked once, none lost, none run twice at once", async () => {
    const t = await testServer();
    const jobs = connect(`127.0.0.1:${t.port}`);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 1000; i++) ids.push((await jobs.add({ n: i }, "w-many")).id);
      const running = new Set<string>();
      const attempts = new Map<string, number>();
      const completed = new Map<string, number>();
      let failed = 0;
      let maxRunning = 0;
      let overlap = 0;
      const worker = new Worker<{ n: number }>(
        ["w-many"],
        async (job) => {
          if (running.has(job.id)) overlap++;
          running.add(job.id);
          maxRunning = Math.max(maxRunning, running.size);
          const attempt = (attempts.get(job.id) ?? 0) + 1;
          attempts.set(job.id, attempt);
          await sleep(job.data.n % 3);
          running.delete(job.id);
          if (job.data.n % 10 === 0 && attempt === 1) throw new Error(`boom ${job.data.n}`);
          return job.data.n;
        },
        { concurrency: 10, client: jobs },
      );
      worker.on("completed", (job: Job) => completed.set(job.id, (completed.get(job.id) ?? 0) + 1));
      worker.on("failed", () => failed++);
      await waitFor(() => completed.size === 1000, 60_000);
      await worker.close();
      assert.equal(overlap, 0);
      assert.equal(failed, 100);
      assert.ok(maxRunning > 1 && maxRunning <= 10, `max running ${maxRunning}`);
      for (const id of ids) assert.equal(completed.get(id), 1, `job ${id} completed once`);
      assert.equal([...attempts.values()].filter((n) => n === 2).length, 100);
      assert.equal(await jobs.len("w-many"), 0);
      const stats = t.server.engine.stats();
      assert.equal(stats.jobs, 0);
      assert.equal(stats.acked, 1000);
    } finally {
      jobs.close();
      await t.close();
    }
  });

  it("sends WORKING heartbeats so a long handler's job is not handed out again", async () => {
    const t = await testServer();
    const jobs = connect(`127.0.0.1:${t.port}`);
    try {
      const job = await jobs.retryAfter(1000).add("slow", "w-beat");
      const worker = new Worker(["w-beat"], () => sleep(2500), { client: jobs, leaseMs: 1000 });
      let done = false;
      worker.on("completed", () => (done = true));
      await waitFor(() => worker.active === 1);
      // Another consumer must not get it while the handler runs past its retry.
      assert.deepEqual(await jobs.fetch(["w-beat"], { timeout: 2000 }), []);
      const info = await jobs.show(job);
      assert.equal(info?.additionalDeliveries, 0);
      await waitFor(() => done, 5000);
      await worker.close();
      assert.equal(await jobs.show(job), null);
    } finally {
      jobs.close();
      await t.close();
    }
  });

  it("close() stops fetching and waits for the jobs in hand", async () => {
    const t = await testServer();
    const jobs = connect(`127.0.0.1:${t.port}`);
    try {
      for (let i = 0; i < 3; i++) await jobs.add(i, "w-close");
      const finished: number[] = [];
      const worker = new Worker<number>(
        ["w-close"],
        async (job) => {
          await sleep(300);
          finished.push(job.data);
        },
        { concurrency: 3, client: jobs },
      );
      await waitFor(() => worker.active === 3);
      const closing = worker.close();
      await jobs.add("after close", "w-close");
      await closing;
      assert.deepEqual(
        finished.sort((a, b) => a - b),
        [0, 1, 2],
      );
      assert.equal(worker.active, 0);
      await sleep(100);
      assert.equal(await jobs.len("w-close"), 1); // not taken
      assert.equal(t.server.engine.stats().jobs, 1); // the three are acked
    } finally {
      jobs.close();
      await t.close();
    }
  });

  it("survives a server restart on the same port", async () => {
    let t = await testServer();
    const port = t.port;
    const address = `127.0.0.1:${port}`;
    const done: unknown[] = [];
    const errors: unknown[] = [];
    const worker = new Worker(["w-restart"], (job) => void done.push(job.data), {
      servers: [address],
      concurrency: 2,
      pollMs: 200,
      // give up on each call quickly, so the outage surfaces as error events
      clientOptions: { failoverTimeout: 100, connectTimeout: 200 },
    });
    worker.on("error", (error) => errors.push(error));
    try {
      const producer = connect(address);
      for (let i = 0; i < 5; i++) await producer.add(`before ${i}`, "w-restart");
      await waitFor(() => done.length === 5, 5000);
      producer.close();

      await t.close();
      await sleep(800);
      t = await testServer({ port });

      const producer2 = connect(address);
      for (let i = 0; i < 5; i++) await producer2.add(`after ${i}`, "w-restart");
      await waitFor(() => done.length === 10, 15_000);
      assert.equal(await producer2.len("w-restart"), 0);
      assert.equal(t.server.engine.stats().jobs, 0);
      producer2.close();
      assert.ok(errors.length > 0, "the outage was reported as error events");
    } finally {
      await worker.close();
      await t.close();
    }
  });
});
