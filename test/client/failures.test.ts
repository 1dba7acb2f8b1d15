import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TestServer } from "../helpers/server.js";
import { STORES, serverOn } from "./stores.js";
import { waitFor } from "../helpers/wait.js";
import { DocketError, backoffDelay, backoffText, connect, type Client } from "../../src/client/index.js";

/** The client's failure API (docs/failures.md) against a real server. */
for (const store of STORES)
  describe(`docket/client failure handling (${store} store)`, () => {
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

    /** Adds a job and takes it (it is then active). */
    async function taken(queue: string) {
      const added = await jobs.add(`body of ${queue}`, queue);
      const got = await jobs.timeout(2000).get(queue);
      assert.equal(got.id, added.id);
      return got;
    }

    it("retries, backoff and runTimeout travel with the job: show and get report them", async () => {
      const job = await jobs
        .retries(3)
        .backoff({ type: "exponential", delay: 500, max: 8000, jitter: true })
        .runTimeout(2500)
        .add("configured", "cf-add");
      const info = await jobs.show(job);
      assert.equal(info?.retries, 3);
      assert.equal(info?.retriesLeft, 3);
      assert.deepEqual(info?.backoff, { type: "exponential", delay: 500, max: 8000, jitter: true });
      assert.equal(info?.runTimeout, 2500);
      const got = await jobs.get("cf-add");
      assert.equal(got.retriesLeft, 3);
      assert.equal(got.runTimeout, 2500);
      assert.equal(got.nacks, 0);

      const plain = await jobs.add("plain", "cf-add");
      const plainInfo = await jobs.show(plain);
      assert.equal(plainInfo?.retries, undefined);
      assert.equal(plainInfo?.attempts, undefined);
      const gotPlain = await jobs.get("cf-add");
      assert.equal(gotPlain.retriesLeft, -1);
      assert.equal(gotPlain.runTimeout, 0);
      await jobs.ack(got, gotPlain);
    });

    it("the config chain: with() and use() carry the failure options too", async () => {
      const handle = jobs.with({ retries: 1, backoff: "fixed:250" });
      assert.deepEqual(handle.runTimeout(10).config, { retries: 1, backoff: "fixed:250", runTimeout: 10 });
      const job = await handle.add(1, "cf-chain");
      assert.deepEqual((await jobs.show(job))?.backoff, { type: "fixed", delay: 250 });
      await assert.rejects(
        jobs.backoff("linear:5").add(1, "cf-chain"),
        (e: unknown) => e instanceof DocketError && e.code === "ERR" && /backoff/.test(e.message),
      );
    });

    it("nack with an error and a delay: the job waits in state backoff, its attempt kept", async () => {
      const job = await taken("cf-delay");
      assert.equal(await jobs.nack(job, { delay: 300, error: new Error("disk full") }), 1);
      const info = await jobs.show(job);
      assert.equal(info?.state, "backoff");
      assert.ok(info!.backoffUntil! > Date.now(), "backoff-until is ahead");
      assert.equal(info?.attempts?.length, 1);
      assert.equal(info?.attempts?.[0]?.cause, "nack");
      assert.match(info!.attempts![0]!.error, /^disk full\n\s*at /);
      assert.equal(await jobs.len("cf-delay"), 0);
      assert.equal((await jobs.stats("cf-delay"))?.backoff, 1);
      const again = await jobs.timeout(3000).get("cf-delay");
      assert.equal(again.id, job.id);
      assert.equal(again.nacks, 1);
      await jobs.ack(again);
    });

    it("a plain nack queues the job again at once, as Disque does; errors are cut to 1024 bytes", async () => {
      const job = await taken("cf-plain");
      assert.equal(await jobs.nack(job), 1);
      assert.equal(await jobs.len("cf-plain"), 1);
      const again = await jobs.get("cf-plain");
      await jobs.nack(again, { error: "é".repeat(2000), timedOut: true });
      const info = await jobs.show(job);
      const last = info!.attempts!.at(-1)!;
      assert.equal(last.cause, "timeout");
      assert.ok(Buffer.byteLength(last.error) <= 1024 && last.error.startsWith("éé"));
      await jobs.ack(await jobs.get("cf-plain"));
    });

    it("nack RETRIES gives a job without a budget one; spending it dead-letters the job", async () => {
      const job = await taken("cf-budget");
      await jobs.nack(job, { retries: 1, error: "first" });
      assert.equal((await jobs.show(job))?.retriesLeft, 0);
      const again = await jobs.get("cf-budget");
      assert.equal(again.retriesLeft, 0);
      await jobs.nack(again, { retries: 1, error: "second" });
      assert.equal(await jobs.show(job), null);
      const letter = await jobs.deadLetter(job.id);
      assert.equal(letter?.queue, "cf-budget");
      assert.equal(letter?.reason, "retries exhausted");
      assert.equal(letter?.retries, 1);
      assert.deepEqual(
        letter?.attempts.map((a) => a.error),
        ["first", "second"],
      );
      assert.equal(await jobs.deadLetter("D-00000000-000000000000000000000000-0000"), null);
      await jobs.purgeDeadLetters("cf-budget", "all");
    });

    it("ack with a result: wait and result return it decoded, Buffers as bytes", async () => {
      const job = await taken("cf-result");
      const waiting = jobs.wait(job);
      assert.equal(await jobs.ack(job, { result: { rows: [1, 2] } }), 1);
      assert.deepEqual(await waiting, { outcome: "acked", result: { rows: [1, 2] } });
      assert.deepEqual(await jobs.result(job), { rows: [1, 2] });
      assert.deepEqual(await jobs.wait(job), { outcome: "acked", result: { rows: [1, 2] } });

      const raw = connect(`127.0.0.1:${t.port}`, { decode: "buffer" });
      try {
        const bin = await taken("cf-result");
        await jobs.ack(bin.id, { result: Buffer.from([0, 255]) });
        assert.deepEqual([...((await raw.result<Buffer>(bin)) ?? [])], [0, 255]);
        const none = await taken("cf-result");
        await jobs.ack(none);
        assert.equal(await jobs.result(none), undefined);
        assert.equal(await raw.result("D-00000000-000000000000000000000000-0000"), undefined);
      } finally {
        raw.close();
      }
    });

    /** Dead-letters `n` jobs of `queue` (budget 0: their first failure kills them); returns their ids. */
    async function deadLetters(queue: string, n: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const added = await jobs.retries(0).add({ i }, queue);
        const got = await jobs.timeout(2000).get(queue);
        await jobs.nack(got, { error: `failure ${i}` });
        ids.push(added.id);
      }
      await waitFor(async () => (await jobs.deadLetters(queue)).length === n);
      return ids;
    }

    it("deadLetters lists, redrive takes a count, ids or all, purge drops", async () => {
      const ids = await deadLetters("cf-dead", 5);
      const listed = await jobs.deadLetters("cf-dead");
      assert.deepEqual(
        listed.map((d) => [d.id, d.queue, d.data, d.reason]),
        ids.map((id, i) => [id, "cf-dead", { i }, "retries exhausted"]),
      );
      assert.ok(listed.every((d) => d.at > 0 && d.at <= Date.now()));
      assert.deepEqual(
        (await jobs.deadLetters("cf-dead", 2)).map((d) => d.id),
        ids.slice(0, 2),
      );
      assert.equal((await jobs.stats("cf-dead"))?.deadLetters, 5);

      assert.equal(await jobs.redrive("cf-dead", { count: 1 }), 1);
      assert.equal(await jobs.redrive("cf-dead", { ids: [ids[3]!] }), 1);
      assert.equal(await jobs.redrive("cf-dead", { ids: [] }), 0);
      assert.deepEqual(
        (await jobs.deadLetters("cf-dead")).map((d) => d.id),
        [ids[1], ids[2], ids[4]],
      );
      assert.equal(await jobs.len("cf-dead"), 2);
      const redriven = await jobs.peek<{ i: number }>("cf-dead", 2);
      assert.deepEqual(
        redriven.map((j) => j.data.i),
        [0, 3],
      );

      assert.equal(await jobs.purgeDeadLetters("cf-dead", { ids: [ids[2]!] }), 1);
      assert.equal(await jobs.purgeDeadLetters("cf-dead", { count: 1 }), 1);
      assert.deepEqual(
        (await jobs.deadLetters("cf-dead")).map((d) => d.id),
        [ids[4]],
      );
      assert.equal(await jobs.purgeDeadLetters("cf-dead", "all"), 1);
      assert.deepEqual(await jobs.deadLetters("cf-dead"), []);
      assert.equal(await jobs.redrive("cf-dead"), 0);
    });

    it("policy and setPolicy: a queue's defaults for the jobs added afterwards; null restores the default", async () => {
      assert.deepEqual(await jobs.policy("cf-policy"), {});
      const set = await jobs.setPolicy("cf-policy", {
        retries: 4,
        backoff: { type: "fixed", delay: 750 },
        runTimeout: 9000,
        deadLetterCap: 50,
      });
      const expected = {
        retries: 4,
        backoff: { type: "fixed", delay: 750 },
        runTimeout: 9000,
        deadLetterCap: 50,
      };
      assert.deepEqual(set, expected);
      assert.deepEqual(await jobs.policy("cf-policy"), expected);
      const job = await jobs.add("x", "cf-policy");
      const got = await jobs.get("cf-policy");
      assert.equal(got.id, job.id);
      assert.equal(got.retriesLeft, 4);
      assert.equal(got.runTimeout, 9000);
      assert.deepEqual((await jobs.show(job))?.backoff, { type: "fixed", delay: 750 });
      await jobs.ack(got);

      assert.deepEqual(await jobs.setPolicy("cf-policy", { retries: null, runTimeout: null }), {
        backoff: { type: "fixed", delay: 750 },
        deadLetterCap: 50,
      });
      assert.deepEqual(await jobs.setPolicy("cf-policy", { backoff: null, deadLetterCap: null }), {});
      await assert.rejects(
        jobs.setPolicy("cf-policy", { retries: -1 }),
        (e: unknown) => e instanceof DocketError && e.code === "ERR",
      );
    });
  });

describe("backoffText and backoffDelay: the text form and the waits, as the server has them", () => {
  it("prints policies in the server's text form", () => {
    assert.equal(backoffText({ type: "fixed", delay: 500 }), "fixed:500");
    assert.equal(backoffText({ type: "exponential", delay: 1000 }), "exponential:1000:3600000");
    assert.equal(
      backoffText({ type: "exponential", delay: 10, max: 80, jitter: true }),
      "exponential:10:80:jitter",
    );
    assert.equal(backoffText("fixed:7"), "fixed:7");
  });

  it("computes the n-th failure's wait: fixed, doubling up to the cap, a draw below it with jitter", () => {
    const exp = { type: "exponential", delay: 10, max: 80 } as const;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 40].map((n) => backoffDelay(exp, n)),
      [10, 20, 40, 80, 80, 80],
    );
    assert.equal(backoffDelay({ type: "fixed", delay: 30 }, 9), 30);
    for (let i = 0; i < 100; i++) {
      const wait = backoffDelay({ ...exp, jitter: true }, 3);
      assert.ok(Number.isInteger(wait) && wait >= 0 && wait < 40, String(wait));
    }
  });
});
