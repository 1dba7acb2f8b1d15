import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AddJobRequest, Delivery, JobInfo } from "../../src/core/contract.js";
import { BAD_ID, T0, UNKNOWN_ID } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/** ADDJOB, SHOW, ACKJOB, FASTACK, DELJOB: the round trip, its replies and its errors. */

forEachStore((open) => {
  describe("add, show, ack", () => {
    it("add returns a fresh id with the node's prefix and the next seq", async () => {
      const h = await open();
      const a = await h.addJob("q", "a");
      const b = await h.addJob("q", "b");
      const c = await h.addJob("other", "c");
      assert.equal(new Set([a.id, b.id, c.id]).size, 3);
      for (const { id } of [a, b, c]) assert.ok(id.startsWith(`D-${h.broker.nodeId.slice(0, 8)}-`), id);
      assert.deepEqual([b.seq - a.seq, c.seq - b.seq], [1, 1]);
    });

    it("SHOW reports every field", async () => {
      const h = await open();
      const a = await h.addJob("q", "hello");
      const b = await h.addJob("q", "");
      assert.deepEqual(await h.broker.show(a.id), {
        id: a.id,
        seq: a.seq,
        queue: "q",
        state: "queued",
        repl: 1,
        ttl: 86_400,
        createdAt: T0,
        expiresAt: T0 + 86_400_000,
        delay: 0,
        retry: 300,
        nacks: 0,
        additionalDeliveries: 0,
        requeueAt: T0 + 300_000,
        awakeAt: T0 + 86_400_000,
        delayedUntil: null,
        backoffUntil: null,
        observedAt: T0,
        body: Buffer.from("hello"),
      } satisfies JobInfo);
      assert.equal((await h.show(b.id)).body.length, 0);
      assert.equal(await h.broker.show(UNKNOWN_ID), null);
      await h.expectError(() => h.broker.show(BAD_ID), "BADID", "Invalid Job ID format.");
    });

    it("add, get, ack: the delivery carries queue, id, seq, body and counters; ACK removes the job", async () => {
      const h = await open();
      assert.equal(await h.take("q"), null);
      assert.equal(await h.take([]), null);
      const added = await h.addJob("q", "b");
      const got = await h.take("q");
      assert.deepEqual(got, [
        {
          queue: "q",
          id: added.id,
          seq: added.seq,
          body: Buffer.from("b"),
          nacks: 0,
          additionalDeliveries: 0,
        },
      ]);
      assert.equal(await h.state(added.id), "active");
      assert.equal(await h.broker.qlen("q"), 0);
      assert.equal(await h.broker.ackJobs([added.id]), 1);
      assert.equal(await h.broker.show(added.id), null);
      assert.equal(await h.take("q"), null);
    });

    it("default retry is TTL/10 clamped to 1..300 s; explicit values are kept", async () => {
      const h = await open();
      const retryOf = async (extra: object) => (await h.show(await h.add("q", "x", extra))).retry;
      assert.equal(await retryOf({}), 300);
      assert.equal(await retryOf({ ttl: 5 }), 1);
      assert.equal(await retryOf({ ttl: 100 }), 10);
      assert.equal(await retryOf({ ttl: 10_000 }), 300);
      assert.equal(await retryOf({ ttl: 100, retry: 0 }), 0);
      assert.equal(await retryOf({ ttl: 100, retry: 7 }), 7);
    });

    it("empty queue names and binary bodies are fine", async () => {
      const h = await open();
      const body = Buffer.from([0, 255, 13, 10, 0]);
      const { id } = await h.broker.addJob({ queue: "", body });
      const got = (await h.take(""))!;
      assert.equal(got.length, 1);
      assert.equal(got[0]!.id, id);
      assert.deepEqual(got[0]!.body, body);
      assert.equal(got[0]!.queue, "");
    });

    it("UTF-8 queue names and a 1 MiB body round-trip; the name is listed by QSCAN", async () => {
      const h = await open();
      const queue = "jobs/ü/队列 {tag} \u0000x";
      const body = Buffer.alloc(1024 * 1024, "abc\u0000\r\n");
      const { id } = await h.broker.addJob({ queue, body });
      assert.equal((await h.show(id)).queue, queue);
      assert.deepEqual((await h.broker.qscan(0, { count: 100, busyloop: true })).items, [queue]);
      const [d] = (await h.take(queue))!;
      assert.equal(d!.queue, queue);
      assert.ok(d!.body.equals(body));
    });

    it("showBySeq finds a job by its sequence number, null once gone or never known", async () => {
      const h = await open();
      const a = await h.addJob("q", "a");
      const b = await h.addJob("r", "b");
      assert.equal((await h.broker.showBySeq(a.seq))!.id, a.id);
      assert.equal((await h.broker.showBySeq(b.seq))!.queue, "r");
      assert.equal(await h.broker.showBySeq(b.seq + 1), null);
      assert.equal(await h.broker.showBySeq(0), null);
      assert.equal(await h.broker.deleteJobs([a.id]), 1);
      assert.equal(await h.broker.showBySeq(a.seq), null);
      assert.equal((await h.broker.showBySeq(b.seq))!.id, b.id);
    });
  });

  describe("ADDJOB validation", () => {
    const cases: [string, Partial<AddJobRequest>, string][] = [
      ["replicate 0", { replicate: 0 }, "REPLICATE must be between 1 and 65535"],
      ["replicate 65536", { replicate: 65536 }, "REPLICATE must be between 1 and 65535"],
      ["ttl 0", { ttl: 0 }, "TTL must be a number > 0"],
      ["retry -1", { retry: -1 }, "RETRY time must be a non negative number"],
      ["delay -1", { delay: -1 }, "DELAY time must be a non negative number"],
      [
        "retry 0 with replicate 2",
        { retry: 0, replicate: 2 },
        "With RETRY set to 0 please explicitly set  REPLICATE to 1 (at-most-once delivery)",
      ],
      [
        "delay = ttl",
        { ttl: 10, delay: 10 },
        "The specified DELAY is greater than TTL. Job refused since would never be delivered",
      ],
      ["replicate before ttl", { replicate: 0, ttl: 0 }, "REPLICATE must be between 1 and 65535"],
      ["ttl before retry", { ttl: 0, retry: -1 }, "TTL must be a number > 0"],
      // Both stores bound what the journal's u32 fields and safe-integer times can hold (issue 11).
      ["ttl 2^32", { ttl: 2 ** 32 }, "TTL must be at most 2147483647"],
      ["ttl 1e300", { ttl: 1e300 }, "TTL must be at most 2147483647"],
      ["ttl NaN", { ttl: NaN }, "TTL must be a number > 0"],
      ["retry 2^31", { retry: 2 ** 31 }, "RETRY must be at most 2147483647"],
      ["delay 2^32", { ttl: 2 ** 31 - 1, delay: 2 ** 32 }, "DELAY must be at most 2147483647"],
      ["retries 2^32", { retryBudget: 2 ** 32 }, "retries must be at most 2147483647"],
      ["maxlen 2^53", { maxlen: 2 ** 53 }, "MAXLEN must be at most 2147483647"],
    ];
    for (const [name, extra, message] of cases) {
      it(`${name} → ERR ${message}; nothing is added`, async () => {
        const h = await open();
        await h.expectError(() => h.add("q", "x", extra), "ERR", message);
        assert.equal((await h.broker.stats()).jobs, 0);
        assert.equal(await h.broker.qlen("q"), 0);
      });
    }

    it("adds sent at once (one Redis run for them): each its own outcome, in the order sent", async () => {
      const h = await open();
      await h.add("q", "a");
      const all = await Promise.allSettled([
        h.add("q", "b"),
        h.add("q", "c", { maxlen: 1 }),
        h.add("q", "d", { clientKey: "e1" }),
        h.add("q", "e", { clientKey: "e1" }),
        h.add("other", "f"),
        h.add("q", "g"),
      ]);
      assert.deepEqual(
        all.map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as { code?: string }).code)),
        ["ok", "MAXLEN", "ok", "ERR", "ok", "ok"],
      );
      const bodies = async (queue: string) => (await h.broker.qpeek(queue, 10)).map((j) => j.body.toString());
      assert.deepEqual(await bodies("q"), ["a", "b", "d", "g"]);
      assert.deepEqual(await bodies("other"), ["f"]);
      assert.equal((await h.broker.stats()).jobs, 5);
    });

    it("fetches and acks sent at once (one Redis run each): each its own jobs, in the order sent", async () => {
      const h = await open();
      const ids = [];
      for (const body of ["a", "b", "c", "d", "e"]) ids.push(await h.add("q", body));
      const bodies = (d: Delivery[] | null) => (d ?? []).map((j) => j.body.toString());
      const fetched = await Promise.all([
        h.take("q", 2),
        h.take("q", 1, { leaseSeconds: 60 }),
        h.take("q", 1),
        h.take("empty", 1),
        h.take("q", 5),
      ]);
      assert.deepEqual(fetched.map(bodies), [["a", "b"], ["c"], ["d"], [], ["e"]]);
      const acked = await Promise.all([
        h.broker.ackJobs([ids[0]!, ids[1]!]),
        h.broker.ackJobs([ids[1]!, ids[2]!]),
        h.broker.ackJobs([UNKNOWN_ID]),
        h.broker.fastAck([ids[3]!]),
      ]);
      assert.deepEqual(acked, [2, 1, 0, 1]);
      assert.equal(await h.state(ids[4]!), "active");
      assert.equal((await h.broker.stats()).jobs, 1);
    });

    it("MAXLEN: refused when the queue holds >= n queued jobs (active ones do not count)", async () => {
      const h = await open();
      await h.add("fresh", "a", { maxlen: 1 }); // unknown queue: accepted
      await h.add("q", "a");
      await h.add("q", "b");
      await h.expectError(
        () => h.add("q", "c", { maxlen: 2 }),
        "MAXLEN",
        "Queue is already longer than the specified MAXLEN count",
      );
      await h.expectError(() => h.add("q", "c", { maxlen: 1 }), "MAXLEN");
      await h.add("q", "c", { maxlen: 3 });
      assert.equal(await h.broker.qlen("q"), 3);
      await h.take("q", 2);
      await h.add("q", "d", { maxlen: 2 });
      assert.equal(await h.broker.qlen("q"), 2);
    });

    it("MAXLEN does not count delayed jobs", async () => {
      const h = await open();
      await h.add("q", "a", { delay: 10 });
      await h.add("q", "b", { delay: 10 });
      await h.add("q", "c", { maxlen: 1 });
      await h.expectError(() => h.add("q", "d", { maxlen: 1 }), "MAXLEN");
    });

    it("errors come in order: MAXLEN, then PAUSED", async () => {
      const h = await open();
      await h.add("q");
      await h.broker.pause("q", ["in"]);
      await h.expectError(() => h.add("q", "x", { maxlen: 1 }), "MAXLEN");
      await h.expectError(() => h.add("q", "x", { maxlen: 5 }), "PAUSED", "Queue paused in input, try later");
    });

    it("retries must be a non negative integer", async () => {
      const h = await open();
      await h.expectError(
        () => h.add("q", "a", { retryBudget: -1 }),
        "ERR",
        "retries must be a non negative integer",
      );
      assert.equal(await h.broker.qlen("q"), 0);
    });
  });

  describe("ACKJOB, FASTACK, DELJOB and bad ids", () => {
    it("ACKJOB removes known jobs in any state and counts them; unknown ids and repeats count 0", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      const b = await h.add("q", "b");
      const c = await h.add("q", "c", { delay: 10 });
      await h.take("q");
      assert.equal(await h.broker.ackJobs([a, b, c, UNKNOWN_ID]), 3);
      assert.equal(await h.broker.ackJobs([a]), 0);
      assert.equal(await h.broker.ackJobs([]), 0);
      const s = await h.broker.stats();
      assert.equal(s.jobs, 0);
      assert.equal(s.acked, 3);
      assert.equal(await h.broker.qlen("q"), 0);
    });

    it("FASTACK and DELJOB delete whatever the state and count what they deleted", async () => {
      const h = await open();
      const ids: string[] = [];
      for (const n of ["a", "b", "c", "d"]) ids.push(await h.add("q", n));
      await h.take("q");
      assert.equal(await h.broker.fastAck([ids[0]!, ids[1]!, ids[0]!]), 2);
      assert.equal(await h.broker.deleteJobs([ids[2]!, UNKNOWN_ID]), 1);
      assert.deepEqual(await h.peekIds("q"), [ids[3]]);
      assert.equal((await h.broker.stats()).acked, 0);
      assert.equal(await h.broker.show(ids[0]!), null);
    });

    it("multi-id commands count jobs of several queues in one call", async () => {
      const h = await open();
      const ids = async () => [await h.add("a", "1"), await h.add("b", "2"), await h.add("c", "3")];
      const forAck = await ids();
      assert.equal(await h.broker.ackJobs([...forAck, UNKNOWN_ID]), 3);
      const forFast = await ids();
      assert.equal(await h.broker.fastAck(forFast), 3);
      const forDel = await ids();
      assert.equal(await h.broker.deleteJobs(forDel), 3);
      const moved = await ids();
      assert.equal(await h.broker.dequeue(moved), 3);
      assert.equal(await h.broker.enqueue(moved), 3);
      await h.take(["a", "b", "c"], 3);
      assert.equal(await h.broker.nack([moved[2]!, moved[0]!, moved[1]!]), 3);
      assert.deepEqual(
        [await h.broker.qlen("a"), await h.broker.qlen("b"), await h.broker.qlen("c")],
        [1, 1, 1],
      );
      assert.equal((await h.broker.stats()).jobs, 3);
    });

    it("multi-id commands check every id first and do nothing if one is malformed", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retry: 10 });
      const b = await h.add("q", "b", { retry: 10 });
      await h.take("q");
      const calls: ((ids: string[]) => unknown)[] = [
        (ids) => h.broker.ackJobs(ids),
        (ids) => h.broker.fastAck(ids),
        (ids) => h.broker.deleteJobs(ids),
        (ids) => h.broker.nack(ids),
        (ids) => h.broker.enqueue(ids),
        (ids) => h.broker.dequeue(ids),
      ];
      for (const call of calls) {
        await h.expectError(() => call([a, b, BAD_ID]), "BADID", "Invalid Job ID format.");
        await h.expectError(() => call([BAD_ID, a]), "BADID");
        await h.expectError(() => call(["", a]), "BADID");
      }
      assert.equal(await h.state(a), "active");
      assert.equal(await h.state(b), "queued");
      const info = await h.show(a);
      assert.deepEqual([info.nacks, info.additionalDeliveries], [0, 0]);
      await h.expectError(() => h.broker.working("D-x"), "BADID");
      await h.expectError(() => h.broker.show(a.slice(0, 39) + "xx"), "BADID");
      await h.expectError(() => h.broker.waitJob(BAD_ID, 0), "BADID");
    });

    it("unknown well-formed ids: SHOW null, every multi-id command counts 0, WORKING NOJOB", async () => {
      const h = await open();
      assert.equal(await h.broker.show(UNKNOWN_ID), null);
      for (const call of [
        h.broker.ackJobs,
        h.broker.fastAck,
        h.broker.deleteJobs,
        h.broker.nack,
        h.broker.enqueue,
        h.broker.dequeue,
      ]) {
        assert.equal(await call.call(h.broker, [UNKNOWN_ID]), 0);
      }
      await h.expectError(
        () => h.broker.working(UNKNOWN_ID),
        "NOJOB",
        "Job not known in the context of this node.",
      );
    });
  });
});
