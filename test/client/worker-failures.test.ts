import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TestServer } from "../helpers/server.js";
import { STORES, serverOn } from "./stores.js";
import { waitFor } from "../helpers/wait.js";
import {
  DocketError,
  RunTimeoutError,
  Worker,
  connect,
  type Client,
  type Job,
} from "../../src/client/index.js";

/**
 * The Worker's failure handling against a real server in real time, with
 * backoffs of tens of ms: retry budgets, backoff gaps, dead letters and
 * their redrive, run time-outs, results.
 */

/** Records when each attempt of a handler started, by job data. */
function attemptLog() {
  const times: number[] = [];
  return {
    times,
    gaps: () => times.slice(1).map((t, i) => t - times[i]!),
  };
}

for (const store of STORES)
  describe(`Worker failure handling (${store} store)`, () => {
    let t: TestServer;
    let jobs: Client;

    before(async () => {
      t = await serverOn(store);
      jobs = connect(`127.0.0.1:${t.port}`);
    });
    after(async () => {
      jobs.close();
      await t.close();
    });

    it("retries 2 with its own exponential backoff: three tries with growing gaps, then a dead letter", async () => {
      const log = attemptLog();
      const dead: Job[] = [];
      const worker = new Worker(
        ["wf-exp"],
        () => {
          log.times.push(Date.now());
          throw new Error(`boom ${log.times.length}`);
        },
        { client: jobs, retries: 2, backoff: { type: "exponential", delay: 60 }, pollMs: 1000 },
      );
      worker.on("dead", (job: Job) => dead.push(job));
      try {
        const job = await jobs.add({ task: "always fails" }, "wf-exp");
        await waitFor(() => dead.length === 1, 5000);
        assert.equal(log.times.length, 3);
        const [first, second] = log.gaps();
        assert.ok(first! >= 55, `first gap ${first} ms`);
        // nominal gaps 60 and 120 ms: lower bounds only, a loaded machine may stretch either
        assert.ok(second! >= 115, `gaps ${first}, ${second} ms`);
        const letters = await jobs.deadLetters("wf-exp");
        assert.deepEqual(
          letters.map((d) => [d.id, d.reason, d.data]),
          [[job.id, "retries exhausted", { task: "always fails" }]],
        );
        const letter = await jobs.deadLetter(job.id);
        assert.equal(letter?.retries, 2);
        assert.deepEqual(
          letter?.attempts.map((a) => a.cause),
          ["nack", "nack", "nack"],
        );
        assert.match(letter!.attempts[2]!.error, /^boom 3\n\s*at /);
        assert.equal((await jobs.stats("wf-exp"))?.deadLetters, 1);
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(log.times.length, 3, "no fourth try");
      } finally {
        await worker.close();
      }
    });

    it("a job's own fixed backoff and budget; redrive gives it a fresh budget", async () => {
      const tries: string[] = [];
      const log = attemptLog();
      const dead: Job[] = [];
      const worker = new Worker(
        ["wf-fixed"],
        (job) => {
          tries.push(job.id);
          log.times.push(Date.now());
          throw new Error("still broken");
        },
        { client: jobs, pollMs: 1000 },
      );
      worker.on("dead", (job: Job) => dead.push(job));
      try {
        const job = await jobs.retries(2).backoff("fixed:50").add("fix me", "wf-fixed");
        await waitFor(() => dead.length === 1, 5000);
        assert.deepEqual(tries, [job.id, job.id, job.id]);
        for (const gap of log.gaps()) assert.ok(gap >= 45, `gap ${gap} ms`);
        assert.equal(await jobs.redrive("wf-fixed"), 1);
        await waitFor(() => dead.length === 2, 5000);
        assert.equal(tries.length, 6, "tried three more times");
        const again = tries[3]!;
        assert.notEqual(again, job.id, "a redriven job has a new id");
        assert.deepEqual(tries.slice(3), [again, again, again]);
        const letters = await jobs.deadLetters("wf-fixed");
        assert.deepEqual(
          letters.map((d) => d.id),
          [again],
        );
        assert.equal((await jobs.deadLetter(again))?.attempts.at(-1)?.error.split("\n")[0], "still broken");
      } finally {
        await worker.close();
      }
    });

    it("a hung handler is aborted at its run time-out and nacked as timed out", async () => {
      const reasons: unknown[] = [];
      const failed: unknown[] = [];
      let started = 0;
      const worker = new Worker(
        ["wf-hung"],
        (_job, signal) => {
          started = Date.now();
          signal.addEventListener("abort", () => reasons.push(signal.reason));
          return new Promise(() => {}); // never settles
        },
        { client: jobs, runTimeout: 100, retries: 0 },
      );
      worker.on("failed", (_job: Job, error: unknown) => failed.push(error));
      try {
        const job = await jobs.add("hang", "wf-hung");
        await waitFor(async () => (await jobs.deadLetters("wf-hung")).length === 1, 5000);
        assert.equal(reasons.length, 1);
        assert.ok(reasons[0] instanceof RunTimeoutError);
        assert.ok(failed[0] instanceof RunTimeoutError);
        const letter = await jobs.deadLetter(job.id);
        assert.deepEqual(
          letter?.attempts.map((a) => [a.cause, a.error]),
          [["timeout", "timed out after 100 ms"]],
        );
        assert.ok(letter!.attempts[0]!.at - started >= 95, "not before the deadline");
        await waitFor(() => worker.active === 0, 2000); // the slot is free again, the handler still hung
      } finally {
        await worker.close();
      }
    });

    it("a job's own run time-out wins over the worker's", async () => {
      const failed: unknown[] = [];
      const worker = new Worker(
        ["wf-own-timeout"],
        (_job, signal) =>
          new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
        { client: jobs, runTimeout: 60_000, backoff: false },
      );
      worker.on("failed", (_job: Job, error: unknown) => failed.push(error));
      try {
        const t0 = Date.now();
        const job = await jobs.runTimeout(80).retries(0).add("short", "wf-own-timeout");
        await waitFor(() => failed.length === 1, 5000);
        assert.ok(Date.now() - t0 < 5000);
        assert.equal((failed[0] as RunTimeoutError).ms, 80);
        await waitFor(async () => (await jobs.deadLetter(job.id)) !== null, 2000);
        assert.equal((await jobs.deadLetter(job.id))?.attempts[0]?.error, "timed out after 80 ms");
      } finally {
        await worker.close();
      }
    });

    it("the handler's return value is the job's result: client.wait(job) gets it", async () => {
      const worker = new Worker<{ a: number; b: number }>(
        ["wf-result"],
        (job) => ({ sum: job.data.a + job.data.b }),
        {
          client: jobs,
        },
      );
      try {
        const job = await jobs.add({ a: 1, b: 2 }, "wf-result");
        assert.deepEqual(await jobs.timeout(5000).wait(job), { outcome: "acked", result: { sum: 3 } });
        // once acked, its kept result still answers at once
        assert.deepEqual(await jobs.timeout(5000).wait(job), { outcome: "acked", result: { sum: 3 } });
        assert.deepEqual(await jobs.result(job), { sum: 3 });
        const nothing = await jobs.add({ a: 0, b: 0 }, "wf-nothing");
        const quiet = new Worker(["wf-nothing"], () => undefined, { client: jobs });
        const bare = await jobs.timeout(5000).wait(nothing);
        assert.ok(bare.outcome === "acked" || bare.outcome === "gone", bare.outcome); // "gone": acked before the wait
        assert.equal("result" in bare, false);
        await quiet.close();
        assert.equal(await jobs.show(nothing), null);
        assert.equal(await jobs.result(nothing), undefined);
      } finally {
        await worker.close();
      }
    });

    it("retries a failing job then completes it, passing retriesLeft to the handler", async () => {
      const seen: Array<number | undefined> = [];
      const worker = new Worker(
        ["wf-flaky"],
        (job) => {
          seen.push(job.retriesLeft);
          if (seen.length < 3) throw new Error("flaky");
          return "ok";
        },
        { client: jobs, backoff: "fixed:20" },
      );
      try {
        const job = await jobs.retries(5).add("x", "wf-flaky");
        assert.deepEqual(await jobs.timeout(5000).wait(job), { outcome: "acked", result: "ok" });
        assert.deepEqual(seen, [5, 4, 3]);
      } finally {
        await worker.close();
      }
    });

    it("a result the server refuses or JSON cannot encode does not undo the work: acked without it", async () => {
      const small = await serverOn(store, { maxJobSize: 1024 });
      const client = connect(`127.0.0.1:${small.port}`);
      const errors: unknown[] = [];
      const worker = new Worker<string>(
        ["wf-big"],
        (job) => (job.data === "big" ? "x".repeat(5000) : job.data === "bigint" ? 10n : "fine"),
        { client },
      );
      worker.on("error", (error: unknown) => errors.push(error));
      try {
        /** acked without a result: "gone" when the ack came before the wait */
        const ackedBare = async (job: Job) => {
          const { outcome, result } = await client.timeout(5000).wait(job);
          assert.ok(outcome === "acked" || outcome === "gone", outcome);
          assert.equal(result, undefined);
          assert.equal(await client.show(job), null);
        };
        const big = await client.add("big", "wf-big");
        await ackedBare(big);
        assert.ok(
          errors.some((e) => e instanceof DocketError && /result too big/.test(e.message)),
          String(errors),
        );
        const bigint = await client.add("bigint", "wf-big");
        await ackedBare(bigint);
        assert.ok(errors.some((e) => e instanceof TypeError));
        const fine = await client.add("fine", "wf-big");
        assert.deepEqual(await client.timeout(5000).wait(fine), { outcome: "acked", result: "fine" });
      } finally {
        await worker.close();
        client.close();
        await small.close();
      }
    });

    it("refuses options the server would refuse on every nack", () => {
      const client = connect("127.0.0.1:1");
      const options = { client, autorun: false };
      assert.throws(() => new Worker(["q"], () => 1, { ...options, retries: -1 }), /retries must be/);
      assert.throws(() => new Worker(["q"], () => 1, { ...options, runTimeout: 0 }), /runTimeout must be/);
      assert.throws(
        () => new Worker(["q"], () => 1, { ...options, backoff: "sometimes" }),
        /backoff 'sometimes'/,
      );
      client.close();
    });
  });
