import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../../src/core/clock.js";
import { DEFAULT_FAILURES, backoffDelayMs, parseBackoff } from "../../src/core/failures.js";
import { openRedisBroker, type RedisBroker } from "../../src/stores/redis/index.js";
import { keySlot, queueTag } from "../../src/stores/redis/keys.js";
import { T0 } from "../helpers/broker.js";
import { baseSeed, Rng } from "../helpers/prng.js";
import { redisSuite, uniquePrefix } from "../helpers/redis.js";

/**
 * The Redis store's side of docs/failures.md that the conformance suite
 * cannot see: the Lua backoff against core/failures.ts, the job records,
 * result keys, and failure state shared by several docket servers.
 */
describe("Redis store: failures", () => {
  const suite = redisSuite<RedisBroker>();

  async function open(
    clock: ManualClock,
    prefix: string,
    random?: (size: number) => Buffer,
  ): Promise<RedisBroker> {
    const broker = await openRedisBroker({ urls: [suite.redis.url], clock, prefix, random });
    suite.opened.push(broker);
    return broker;
  }

  async function take(broker: RedisBroker, queue: string): Promise<string> {
    const got = await broker.getJobs({ queues: [queue], count: 1, nohang: true, timeoutMs: 0 });
    assert.ok(got, `a job in ${queue}`);
    return got[0]!.id;
  }

  it("the Lua backoff is core/failures.ts backoffDelayMs, with the broker's jitter draws", async () => {
    const seed = baseSeed();
    const rng = new Rng(seed);
    const draws: number[] = [];
    // every draw the broker makes, as it computes it (48 bits, store.ts draw())
    const random = (size: number): Buffer => {
      const bytes = rng.bytes(size);
      draws.push(bytes.readUIntBE(0, 6) / 2 ** 48);
      return bytes;
    };
    const clock = new ManualClock(T0);
    const broker = await open(clock, uniquePrefix("backoff"), random);
    for (const text of ["exponential:700:20000:jitter", "exponential:3:1000000", "fixed:1234"]) {
      const policy = parseBackoff(text);
      const id = (await broker.addJob({ queue: "q", body: Buffer.from(text), backoff: policy })).id;
      for (let failure = 1; failure <= 12; failure++) {
        assert.equal(await take(broker, "q"), id);
        await broker.nack([id], { backoff: true });
        const shown = (await broker.show(id))!;
        const expected = backoffDelayMs(policy, failure, draws.at(-1)!);
        const waited = shown.state === "backoff" ? shown.backoffUntil! - clock.now() : 0;
        assert.equal(waited, expected, `${text}, failure ${failure}, seed ${seed}`);
        clock.advance(waited);
        await broker.runDue();
      }
      await broker.ackJobs([id]);
    }
  });

  it("a plain Disque job's record gets no failure field, even when it fails; a failing job's does", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix("record");
    const broker = await open(clock, prefix);
    const jobs = broker.keys.queue("q")[4]!;
    const plain = (await broker.addJob({ queue: "q", body: Buffer.from("plain"), retry: 5 })).id;
    await take(broker, "q");
    await broker.nack([plain]);
    await take(broker, "q");
    clock.advance(5000);
    await broker.runDue(); // a lease that ran out
    assert.equal((await broker.show(plain))!.additionalDeliveries, 1);
    // cmsgpack writes a two-letter key as 0xa2 and its letters
    const fields = (record: Buffer): string[] =>
      ["bp", "rt", "at", "bk"].filter((f) => record.includes(Buffer.from([0xa2, ...Buffer.from(f)])));
    assert.deepEqual(fields((await suite.admin.hgetBuffer(jobs, plain))!), []);

    await broker.setQueuePolicy("q", { backoff: parseBackoff("fixed:10"), runTimeoutMs: 900 });
    const failing = (await broker.addJob({ queue: "q", body: Buffer.from("failing") })).id;
    assert.equal(await take(broker, "q"), plain);
    assert.equal(await take(broker, "q"), failing);
    await broker.nack([failing], { backoff: true, error: "no" });
    assert.deepEqual(fields((await suite.admin.hgetBuffer(jobs, failing))!), ["bp", "rt", "at", "bk"]);
    clock.advance(10);
    await broker.runDue();
    assert.deepEqual(fields((await suite.admin.hgetBuffer(jobs, failing))!), ["bp", "rt", "at"]);
  });

  it("a result is a key in its queue's slot that Redis expires; every server reads it", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix("result");
    const one = await open(clock, prefix);
    const two = await open(clock, prefix);
    one.configureFailures({ ...DEFAULT_FAILURES, resultTtlMs: 30_000 });
    const id = (await one.addJob({ queue: "work", body: Buffer.from("x") })).id;
    await take(two, "work");
    assert.equal(await one.ackJobs([id], Buffer.from("the answer")), 1);
    const key = one.keys.result(id, queueTag("work"));
    assert.equal(keySlot(key), keySlot(one.keys.queue("work")[0]!));
    const ttl = await suite.admin.pttl(key);
    assert.ok(ttl > 25_000 && ttl <= 30_000, `PTTL ${ttl}`);
    assert.equal((await two.result(id))!.body.toString(), "the answer");
    assert.equal(await two.waitJob(id, 0), "acked");
    const stats = await two.stats();
    assert.deepEqual([stats.results, stats.resultBytes, stats.acked], [1, 10, 1]);
    // a docket server that starts later reads it too: the result is in Redis, not in a server
    await one.close();
    const three = await open(clock, prefix);
    assert.equal((await three.result(id))!.queue, "work");
    clock.advance(30_000);
    await three.runDue();
    assert.equal(await three.result(id), null);
    assert.equal(await three.waitJob(id, 0), "gone");
    assert.deepEqual([(await three.stats()).results, (await three.stats()).resultBytes], [0, 0]);
  });

  it("policies, dead letters and backoffs are the deployment's, not a server's", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix("shared");
    const one = await open(clock, prefix);
    const two = await open(clock, prefix);
    await one.setQueuePolicy("jobs", { retryBudget: 1, backoff: parseBackoff("fixed:2000") });
    assert.deepEqual(await two.queuePolicy("jobs"), {
      retryBudget: 1,
      backoff: parseBackoff("fixed:2000"),
    });
    const id = (await two.addJob({ queue: "jobs", body: Buffer.from("j") })).id;
    await take(one, "jobs");
    await two.nack([id], { backoff: true, error: "first" });
    assert.equal((await one.show(id))!.state, "backoff");
    assert.equal((await one.qstat("jobs"))!.backingOff, 1);
    clock.advance(2000);
    await two.runDue(); // any server's timer run ends it
    assert.equal(await take(one, "jobs"), id);
    await one.nack([id], { error: "second" });
    const letter = (await two.deadLetter(id))!;
    assert.deepEqual(
      letter.attempts.map((a) => a.error),
      ["first", "second"],
    );
    assert.equal((await one.stats()).deadLettered, 1);
    assert.equal(await two.redrive("jobs", { ids: [id] }), 1);
    assert.equal(await one.deadLetter(id), null);
    const fresh = (await one.qpeek("jobs", 1))[0]!;
    assert.deepEqual([fresh.retryBudgetLeft, fresh.attempts], [1, undefined]);
  });

  it("an idle queue with kept results is hidden, not dropped, so its results stay counted", async () => {
    const clock = new ManualClock(T0);
    const broker = await open(clock, uniquePrefix("gc"));
    broker.configureFailures({ ...DEFAULT_FAILURES, resultTtlMs: 3_600_000 });
    const id = (await broker.addJob({ queue: "idle", body: Buffer.from("x") })).id;
    await broker.ackJobs([id], Buffer.from("kept"));
    clock.advance(600_000); // past the idle-queue GC, before the result expires
    await broker.runDue();
    assert.equal(await broker.qstat("idle"), null);
    assert.equal((await broker.stats()).results, 1);
    clock.advance(3_000_000);
    await broker.runDue();
    assert.equal((await broker.stats()).results, 0);
  });

  it("redrive and purge beyond one script call's batch take them all, oldest first", async () => {
    const clock = new ManualClock(T0);
    const broker = await open(clock, uniquePrefix("batch"));
    const ids: string[] = [];
    for (let i = 0; i < 1200; i++) {
      const { id } = await broker.addJob({ queue: "d", body: Buffer.from(String(i)), retryBudget: 0 });
      assert.equal(await broker.retryJob("d", id), "deadlettered");
      ids.push(id);
    }
    // by ids: 700 of them (two batches), the rest purged by count (three batches)
    assert.equal(await broker.redrive("d", { ids: ids.slice(0, 700) }), 700);
    assert.equal(await broker.qlen("d"), 700);
    const first = await broker.qpeek("d", 1);
    assert.equal(first[0]!.body.toString(), "0");
    assert.equal(await broker.purgeDeadLetters("d", { count: 2_147_483_647 }), 500);
    assert.equal((await broker.qstat("d"))!.deadLetters, 0);
  });

  it("okq QFLUSH drops the queue's jobs and dead letters but not its kept results (as the engine)", async () => {
    const clock = new ManualClock(T0);
    const broker = await open(clock, uniquePrefix("flush"));
    broker.configureFailures({ ...DEFAULT_FAILURES, resultTtlMs: 60_000 });
    const done = (await broker.addJob({ queue: "f", body: Buffer.from("x") })).id;
    await broker.addJob({ queue: "f", body: Buffer.from("y") });
    await broker.ackJobs([done], Buffer.from("result"));
    assert.equal(await broker.flushQueue("f"), 1);
    assert.equal(await broker.qstat("f"), null);
    assert.equal((await broker.result(done))!.body.toString(), "result");
    assert.deepEqual([(await broker.stats()).results, (await broker.stats()).resultBytes], [1, 6]);
    clock.advance(60_000);
    await broker.runDue();
    assert.deepEqual([(await broker.stats()).results, await broker.result(done)], [0, null]);
  });
});
