import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JobInfo } from "../../src/core/contract.js";
import { QUEUE_IDLE_GC_MS } from "../../src/stores/embedded/engine/index.js";
import { BAD_ID, T0, UNKNOWN_ID, expectError, harness, settle, sync, track } from "./helpers.js";

const bodies = (jobs: { body: Buffer }[] | null) => (jobs ?? []).map((j) => j.body.toString());

describe("addJob and show", () => {
  it("returns a fresh id and increasing seq; SHOW reports every field", () => {
    const h = harness();
    const a = sync(h.engine.addJob({ queue: "q", body: Buffer.from("hello") }));
    const b = sync(h.engine.addJob({ queue: "q", body: Buffer.from("") }));
    assert.equal(a.seq + 1, b.seq);
    assert.notEqual(a.id, b.id);
    const info = sync(h.engine.show(a.id))!;
    assert.deepEqual(info, {
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
    assert.equal(sync(h.engine.show(b.id))!.body.length, 0);
    assert.equal(sync(h.engine.show(UNKNOWN_ID)), null);
    expectError(() => h.engine.show(BAD_ID), "BADID", "Invalid Job ID format.");
  });
});

describe("ADDJOB validation", () => {
  const cases: [string, object, string][] = [
    ["replicate 0", { replicate: 0 }, "REPLICATE must be between 1 and 65535"],
    ["replicate 65536", { replicate: 65536 }, "REPLICATE must be between 1 and 65535"],
    ["replicate 1.5", { replicate: 1.5 }, "REPLICATE must be between 1 and 65535"],
    ["ttl 0", { ttl: 0 }, "TTL must be a number > 0"],
    ["ttl -5", { ttl: -5 }, "TTL must be a number > 0"],
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
    [
      "delay > ttl",
      { ttl: 10, delay: 11 },
      "The specified DELAY is greater than TTL. Job refused since would never be delivered",
    ],
    // first failure wins, in Disque's order
    ["replicate before ttl", { replicate: 0, ttl: 0 }, "REPLICATE must be between 1 and 65535"],
    ["ttl before retry", { ttl: 0, retry: -1 }, "TTL must be a number > 0"],
    ["retry before delay", { retry: -1, delay: -1 }, "RETRY time must be a non negative number"],
    [
      "retry-0 rule before delay >= ttl",
      { retry: 0, replicate: 2, ttl: 5, delay: 9 },
      "With RETRY set to 0 please explicitly set  REPLICATE to 1 (at-most-once delivery)",
    ],
  ];
  for (const [name, extra, message] of cases) {
    it(`${name} → -ERR ${message}`, () => {
      const h = harness();
      expectError(() => h.add("q", "x", extra), "ERR", message);
      assert.equal(sync(h.engine.stats()).jobs, 0);
      assert.equal(h.changes.length, 0);
    });
  }

  it("REPLICATE > 1 answers NOREPL on one node; REPLICATE 1 is fine", () => {
    const h = harness();
    expectError(
      () => h.add("q", "x", { replicate: 2 }),
      "NOREPL",
      "Not enough reachable nodes for the requested replication level",
    );
    expectError(() => h.add("q", "x", { replicate: 65535 }), "NOREPL");
    assert.equal(sync(h.engine.qlen("q")), 0);
    const id = h.add("q", "x", { replicate: 1 });
    assert.equal(sync(h.engine.show(id))!.repl, 1);
  });

  it("a body over maxJobSize is refused", () => {
    const h = harness({ maxJobSize: 4 });
    h.add("q", "1234");
    expectError(() => h.add("q", "12345"), "ERR");
    assert.equal(sync(h.engine.qlen("q")), 1);
  });

  it("errors come in order: NOREPL, then MAXLEN, then PAUSED", () => {
    const h = harness();
    h.add("q");
    sync(h.engine.pause("q", ["in"]));
    expectError(() => h.add("q", "x", { replicate: 3, maxlen: 1 }), "NOREPL");
    expectError(() => h.add("q", "x", { maxlen: 1 }), "MAXLEN");
    expectError(() => h.add("q", "x", { maxlen: 5 }), "PAUSED", "Queue paused in input, try later");
  });
});

describe("ready order", () => {
  it("is creation order; a NACK'd job returns to its place and is served next", () => {
    const h = harness();
    const [a, b, c] = ["a", "b", "c"].map((n) => h.add("q", n));
    assert.deepEqual(h.ids("q"), [a]);
    assert.deepEqual(h.ids("q"), [b]);
    assert.equal(sync(h.engine.nack([a!])), 1);
    assert.deepEqual(h.peekIds("q"), [a, c]);
    assert.deepEqual(h.ids("q"), [a]);
    assert.equal(sync(h.engine.nack([b!, a!])), 2);
    assert.deepEqual(h.peekIds("q"), [a, b, c]);
  });

  it("ENQUEUE and the retry timer also put a job back at its original place", () => {
    const h = harness();
    const a = h.add("q", "a", { retry: 10 });
    const b = h.add("q", "b", { retry: 10 });
    const c = h.add("q", "c", { retry: 100 });
    h.take("q", 2);
    assert.equal(sync(h.engine.enqueue([b])), 1);
    assert.deepEqual(h.peekIds("q"), [b, c]);
    h.advance(10_000); // a's lease runs out
    assert.deepEqual(h.peekIds("q"), [a, b, c]);
  });

  it('placement "front": served before every job already queued, newest front first', () => {
    const h = harness();
    const a = h.add("q", "a");
    const b = h.add("q", "b");
    const f1 = h.add("q", "f1", { placement: "front" });
    const f2 = h.add("q", "f2", { placement: "front" });
    const c = h.add("q", "c", { placement: "creation" });
    assert.deepEqual(h.peekIds("q"), [f2, f1, a, b, c]);
    assert.deepEqual(h.ids("q", 2), [f2, f1]);
    sync(h.engine.nack([f1]));
    assert.deepEqual(h.peekIds("q"), [f1, a, b, c]);
  });
});

describe("getJobs", () => {
  it("takes in rounds across queues: COUNT 3 FROM q3 q2 with q3={c}, q2={a,b} → c, a, b", () => {
    const h = harness();
    h.add("q2", "a");
    h.add("q2", "b");
    h.add("q3", "c");
    assert.deepEqual(bodies(h.take(["q3", "q2"], 3)), ["c", "a", "b"]);
  });

  it("delivers queue, id, seq, body and counters; nothing available with NOHANG is null", () => {
    const h = harness();
    assert.equal(h.take("q"), null);
    assert.equal(h.take([]), null);
    const added = sync(h.engine.addJob({ queue: "q", body: Buffer.from("b") }));
    const [d] = h.take("q")!;
    assert.deepEqual(d, {
      queue: "q",
      id: added.id,
      seq: added.seq,
      body: Buffer.from("b"),
      nacks: 0,
      additionalDeliveries: 0,
    });
    assert.equal(h.state(added.id), "active");
    assert.equal(sync(h.engine.qlen("q")), 0);
  });

  it("a blocked getJobs with COUNT 5 gets exactly one job when two arrive", async () => {
    const h = harness();
    const p = track(h.block({ queues: ["q"], count: 5 }));
    assert.equal(sync(h.engine.stats()).blockedClients, 1);
    const a = h.add("q", "a");
    const b = h.add("q", "b");
    await settle();
    assert.ok(p.done);
    assert.deepEqual(
      p.value!.map((d) => d.id),
      [a],
    );
    assert.equal(h.state(a), "active");
    assert.deepEqual(h.peekIds("q"), [b]);
    assert.equal(sync(h.engine.stats()).blockedClients, 0);
  });

  it("blocked clients are served in the order they blocked, across the queues they wait on", async () => {
    const h = harness();
    const w1 = track(h.block({ queues: ["q"] }));
    const w2 = track(h.block({ queues: ["other", "q"] }));
    const w3 = track(h.block({ queues: ["q"] }));
    assert.equal(sync(h.engine.qstat("q"))!.blocked, 3);
    assert.equal(sync(h.engine.qstat("other"))!.blocked, 1);
    h.add("q", "1");
    await settle();
    assert.deepEqual([w1.done, w2.done, w3.done], [true, false, false]);
    h.add("q", "2");
    await settle();
    assert.deepEqual(bodies(w2.value!), ["2"]);
    assert.equal(w3.done, false);
    // w2 is gone from "other" too
    assert.equal(sync(h.engine.qstat("other"))!.blocked, 0);
    h.add("other", "3"); // nobody waits on "other" any more
    await settle();
    assert.equal(w3.done, false);
    assert.equal(sync(h.engine.qlen("other")), 1);
    h.add("q", "4");
    await settle();
    assert.deepEqual(bodies(w1.value!), ["1"]);
    assert.deepEqual(bodies(w3.value!), ["4"]);
  });

  it("a waiter on several queues is served by whichever gets a job first", async () => {
    const h = harness();
    const w = track(h.block({ queues: ["a", "b"], count: 3 }));
    h.add("b", "from-b");
    await settle();
    assert.deepEqual(
      w.value!.map((d) => [d.queue, d.body.toString()]),
      [["b", "from-b"]],
    );
    assert.equal(sync(h.engine.qstat("a"))!.blocked, 0);
  });

  it("times out with null when the clock passes the deadline, not before", async () => {
    const h = harness();
    const w = track(h.block({ queues: ["q"], timeoutMs: 1000 }));
    h.advance(999);
    await settle();
    assert.equal(w.done, false);
    h.clock.advance(1);
    sync(h.engine.qlen("q")); // any engine call runs due timers first
    await settle();
    assert.equal(w.done, true);
    assert.equal(w.value, null);
    assert.equal(sync(h.engine.stats()).blockedClients, 0);
    h.add("q");
    assert.equal(sync(h.engine.qlen("q")), 1); // nothing was taken by the dead waiter
  });

  it("an AbortSignal releases the wait and takes nothing", async () => {
    const h = harness();
    const ctl = new AbortController();
    const w = track(h.block({ queues: ["q"], signal: ctl.signal }));
    const other = track(h.block({ queues: ["q"] }));
    ctl.abort();
    await settle();
    assert.equal(w.done, true);
    assert.equal(w.value, null);
    assert.equal(sync(h.engine.stats()).blockedClients, 1);
    const id = h.add("q");
    await settle();
    assert.deepEqual(
      other.value!.map((d) => d.id),
      [id],
    );
    const id2 = h.add("q");
    assert.deepEqual(h.peekIds("q"), [id2]);
    // an already aborted signal: nothing to wait for
    const gone = new AbortController();
    gone.abort();
    assert.equal(
      sync(h.engine.getJobs({ queues: ["z"], count: 1, nohang: false, timeoutMs: 0, signal: gone.signal })),
      null,
    );
    assert.equal(sync(h.engine.stats()).blockedClients, 0);
  });

  it("a waiter already served ignores a later abort", async () => {
    const h = harness();
    const ctl = new AbortController();
    const w = track(h.block({ queues: ["q"], signal: ctl.signal }));
    const id = h.add("q");
    ctl.abort();
    await settle();
    assert.deepEqual(
      w.value!.map((d) => d.id),
      [id],
    );
    assert.equal(sync(h.engine.stats()).blockedClients, 0);
    assert.equal(h.state(id), "active");
  });
});

describe("pause", () => {
  it("paused out: GETJOB skips the queue (NOHANG null), others are still served", () => {
    const h = harness();
    const a = h.add("a");
    const b = h.add("b");
    sync(h.engine.pause("a", ["out"]));
    assert.equal(h.take("a"), null);
    assert.deepEqual(h.ids(["a", "b"], 5), [b]);
    assert.equal(h.take(["a", "b"]), null);
    sync(h.engine.pause("a", ["none"]));
    assert.deepEqual(h.ids("a"), [a]);
  });

  it("paused out: a blocked GETJOB stays blocked while jobs arrive, and unpausing wakes it", async () => {
    const h = harness();
    sync(h.engine.pause("q", ["out"]));
    const w = track(h.block({ queues: ["q"], count: 5 }));
    const a = h.add("q", "a");
    h.add("q", "b");
    await settle();
    assert.equal(w.done, false);
    sync(h.engine.pause("q", ["state"]));
    await settle();
    assert.equal(w.done, false);
    sync(h.engine.pause("q", ["none"]));
    await settle();
    assert.deepEqual(
      w.value!.map((d) => d.id),
      [a],
    );
    assert.equal(sync(h.engine.qlen("q")), 1);
  });

  it("going from all to in also wakes blocked clients (output no longer paused)", async () => {
    const h = harness();
    h.add("q");
    sync(h.engine.pause("q", ["all"]));
    const w = track(h.block({ queues: ["q"] }));
    sync(h.engine.pause("q", ["in"]));
    await settle();
    assert.equal(w.value!.length, 1);
  });
});

describe("leases and the retry timer", () => {
  it("re-queues after RETRY seconds and counts additional-deliveries", () => {
    const h = harness();
    const id = h.add("q", "x", { retry: 10 });
    h.take("q");
    h.advance(9_999);
    assert.equal(h.state(id), "active");
    assert.equal(sync(h.engine.show(id))!.requeueAt, T0 + 10_000);
    h.advance(1);
    const info = sync(h.engine.show(id))!;
    assert.equal(info.state, "queued");
    assert.equal(info.additionalDeliveries, 1);
    assert.equal(info.requeueAt, T0 + 20_000);
    const [d] = h.take("q")!;
    assert.equal(d!.additionalDeliveries, 1);
    assert.equal(d!.nacks, 0);
    h.advance(10_000);
    assert.equal(sync(h.engine.show(id))!.additionalDeliveries, 2);
    assert.equal(sync(h.engine.stats()).requeued, 2);
  });

  it("the lease runs from delivery, and nothing is counted while the job is still queued", () => {
    const h = harness();
    const id = h.add("q", "x", { retry: 10 });
    h.advance(95_000);
    let info = sync(h.engine.show(id))!;
    assert.equal(info.state, "queued");
    assert.equal(info.additionalDeliveries, 0);
    assert.equal(info.requeueAt, T0 + 100_000); // rolled forward, never in the past
    assert.equal(sync(h.engine.qstat("q"))!.jobsIn, 1);
    h.take("q");
    h.advance(9_999);
    assert.equal(h.state(id), "active");
    h.advance(1);
    info = sync(h.engine.show(id))!;
    assert.equal(info.state, "queued");
    assert.equal(info.additionalDeliveries, 1);
  });

  it("WORKING postpones the re-queue to now + retry and answers the retry", () => {
    const h = harness();
    const id = h.add("q", "x", { retry: 10, ttl: 100 });
    h.take("q");
    h.advance(8_000);
    assert.equal(sync(h.engine.working(id)), 10);
    assert.equal(sync(h.engine.show(id))!.requeueAt, T0 + 18_000);
    h.advance(9_999);
    assert.equal(h.state(id), "active");
    h.advance(1);
    assert.equal(h.state(id), "queued");
  });

  it("WORKING on a queued job takes it out of the queue", () => {
    const h = harness();
    const id = h.add("q", "x", { retry: 10 });
    assert.equal(sync(h.engine.working(id)), 10);
    assert.equal(h.state(id), "active");
    assert.equal(sync(h.engine.qlen("q")), 0);
    h.advance(10_000);
    assert.equal(h.state(id), "queued");
  });

  it("WORKING on a delayed job: queued once, at now + retry, never twice", () => {
    const h = harness();
    const id = h.add("q", "x", { retry: 10, delay: 100, ttl: 1000 });
    assert.equal(sync(h.engine.working(id)), 10);
    h.advance(10_000);
    let info = sync(h.engine.show(id))!;
    assert.equal(info.state, "queued");
    assert.equal(info.additionalDeliveries, 0); // it was never delivered
    h.advance(90_000); // the original delay's end
    assert.equal(sync(h.engine.qlen("q")), 1);
    assert.deepEqual(h.peekIds("q"), [id]);
    assert.equal(sync(h.engine.qstat("q"))!.jobsIn, 1);
    assert.deepEqual(h.ids("q", 5), [id]);
    assert.equal(sync(h.engine.qlen("q")), 0);
    info = sync(h.engine.show(id))!;
    assert.equal(info.state, "active");
  });

  it("WORKING: TOOLATE after half the TTL, NOJOB for unknown ids, BADID for malformed ones", () => {
    const h = harness();
    const id = h.add("q", "x", { ttl: 100, retry: 5 });
    h.take("q");
    h.advance(50_000);
    assert.equal(sync(h.engine.working(id)), 5); // exactly half: still allowed
    h.advance(1);
    expectError(
      () => h.engine.working(id),
      "TOOLATE",
      "Half of job TTL already elapsed, you are no longer allowed to postpone the next delivery.",
    );
    expectError(() => h.engine.working(UNKNOWN_ID), "NOJOB", "Job not known in the context of this node.");
    expectError(() => h.engine.working(BAD_ID), "BADID", "Invalid Job ID format.");
  });

  it("WORKING on a RETRY 0 job answers 0 and postpones nothing", () => {
    const h = harness();
    const id = h.add("q", "x", { retry: 0 });
    assert.equal(sync(h.engine.working(id)), 0);
    assert.equal(h.state(id), "queued");
    h.take("q");
    assert.equal(sync(h.engine.working(id)), 0);
    assert.equal(sync(h.engine.show(id))!.requeueAt, null);
  });

  it("RETRY 0 is at-most-once: never re-queued, NACK and ENQUEUE return 0", () => {
    const h = harness();
    const id = h.add("q", "x", { retry: 0, ttl: 1000 });
    assert.equal(sync(h.engine.show(id))!.requeueAt, null);
    h.take("q");
    h.advance(999_000);
    const info = sync(h.engine.show(id))!;
    assert.equal(info.state, "active");
    assert.equal(info.additionalDeliveries, 0);
    assert.equal(sync(h.engine.nack([id])), 0);
    assert.equal(sync(h.engine.enqueue([id])), 0);
    assert.equal(sync(h.engine.show(id))!.nacks, 0);
    assert.equal(sync(h.engine.qlen("q")), 0);
    h.advance(1_000);
    assert.equal(sync(h.engine.show(id)), null); // TTL
  });
});

describe("TTL and DELAY", () => {
  it("TTL deletes a job in any state: queued, active, delayed", () => {
    const h = harness();
    const queued = h.add("q", "queued", { ttl: 10 });
    const active = h.add("q", "active", { ttl: 10, retry: 50 });
    const delayed = h.add("d", "delayed", { ttl: 10, delay: 9 });
    assert.deepEqual(h.ids("q", 1), [queued]);
    sync(h.engine.nack([queued])); // back to queued
    h.take("q", 1); // queued first again
    sync(h.engine.nack([queued]));
    assert.deepEqual(h.ids("q", 2), [queued, active]);
    sync(h.engine.enqueue([queued]));
    h.advance(8_999);
    assert.deepEqual([h.state(queued), h.state(active), h.state(delayed)], ["queued", "active", "active"]);
    h.advance(1_001);
    assert.deepEqual([h.state(queued), h.state(active), h.state(delayed)], [null, null, null]);
    assert.equal(sync(h.engine.qlen("q")), 0);
    const s = sync(h.engine.stats());
    assert.equal(s.jobs, 0);
    assert.equal(s.expired, 3);
    const expiries = h.changes.filter((c) => c.type === "delete" && c.reason === "expire");
    assert.equal(expiries.length, 3);
  });
});

describe("ack, fastack, deljob and BADID", () => {
  it("FASTACK and DELJOB delete whatever the state", () => {
    const h = harness();
    const ids = ["a", "b", "c", "d"].map((n) => h.add("q", n));
    h.take("q");
    assert.equal(sync(h.engine.fastAck([ids[0]!, ids[1]!, ids[0]!])), 2);
    assert.equal(sync(h.engine.deleteJobs([ids[2]!, UNKNOWN_ID])), 1);
    assert.deepEqual(h.peekIds("q"), [ids[3]]);
    assert.equal(sync(h.engine.stats()).acked, 0);
    assert.deepEqual(
      h.changes.filter((c) => c.type === "delete").map((c) => c.type === "delete" && c.reason),
      ["fastack", "fastack", "deljob"],
    );
  });

  it("multi-id commands check every id first and do nothing if one is malformed", () => {
    const h = harness();
    const a = h.add("q", "a", { retry: 10 });
    const b = h.add("q", "b", { retry: 10 });
    h.take("q");
    const before = h.changes.length;
    const calls: [string, (ids: string[]) => unknown][] = [
      ["ackJobs", (ids) => h.engine.ackJobs(ids)],
      ["fastAck", (ids) => h.engine.fastAck(ids)],
      ["deleteJobs", (ids) => h.engine.deleteJobs(ids)],
      ["nack", (ids) => h.engine.nack(ids)],
      ["enqueue", (ids) => h.engine.enqueue(ids)],
      ["dequeue", (ids) => h.engine.dequeue(ids)],
    ];
    for (const [, call] of calls) {
      expectError(() => call([a, b, BAD_ID]), "BADID", "Invalid Job ID format.");
      expectError(() => call([BAD_ID, a]), "BADID");
      expectError(() => call(["", a]), "BADID");
    }
    assert.equal(h.changes.length, before);
    assert.equal(h.state(a), "active");
    assert.equal(h.state(b), "queued");
    const info = sync(h.engine.show(a))!;
    assert.deepEqual([info.nacks, info.additionalDeliveries], [0, 0]);
    expectError(() => h.engine.working("D-x"), "BADID");
    expectError(() => h.engine.show(a.slice(0, 39) + "xx"), "BADID");
  });
});

describe("qlen, qpeek, qstat", () => {
  it("QSTAT: null for an unknown queue; name, len, age, idle, blocked, jobs-in/out, pause", async () => {
    const h = harness();
    assert.equal(sync(h.engine.qstat("q")), null);
    const a = h.add("q", "a", { retry: 5 });
    h.add("q", "b");
    h.advance(3_000);
    h.take("q");
    h.advance(2_500);
    assert.deepEqual(sync(h.engine.qstat("q")), {
      name: "q",
      len: 1,
      age: 5,
      idle: 2,
      blocked: 0,
      jobsIn: 2,
      jobsOut: 1,
      pause: "none",
      backingOff: 0,
      deadLetters: 0,
      delayed: 0,
      inFlight: 1,
      oldestReadyAt: T0,
      rateLimitedUntil: null,
      groups: 0,
      heldBack: 0,
    });
    sync(h.engine.nack([a])); // every enqueue counts
    h.take("q", 5); // every fetch counts
    const w = track(h.block({ queues: ["q"] }));
    sync(h.engine.pause("q", ["out"]));
    const s = sync(h.engine.qstat("q"))!;
    assert.deepEqual([s.len, s.jobsIn, s.jobsOut, s.blocked, s.pause, s.idle], [0, 3, 3, 1, "out", 0]);
    sync(h.engine.pause("q", ["none"]));
    h.add("q");
    await settle();
    assert.equal(w.done, true);
    assert.deepEqual([sync(h.engine.qstat("q"))!.jobsIn, sync(h.engine.qstat("q"))!.jobsOut], [4, 4]);
  });
});

describe("JSCAN and QSCAN", () => {
  function fullJobScan(
    h: ReturnType<typeof harness>,
    opts: Partial<Parameters<typeof h.engine.jscan>[1]>,
    between?: (step: number) => void,
  ): string[] {
    const seen: string[] = [];
    let cursor = 0;
    let steps = 0;
    do {
      const r = sync(h.engine.jscan(cursor, { count: 7, busyloop: false, ...opts }));
      seen.push(...r.items.map((j) => j.id));
      cursor = r.cursor;
      between?.(steps++);
      assert.ok(steps < 10_000, "scan must end");
    } while (cursor !== 0);
    return seen;
  }

  it("JSCAN walks every job with a cursor, COUNT at a time", () => {
    const h = harness();
    const ids = Array.from({ length: 50 }, (_, i) => h.add(`q${i % 3}`, String(i)));
    const first = sync(h.engine.jscan(0, { count: 10, busyloop: false }));
    assert.equal(first.items.length, 10);
    assert.notEqual(first.cursor, 0);
    assert.deepEqual(fullJobScan(h, {}), ids);
    const all = sync(h.engine.jscan(0, { count: 1, busyloop: true }));
    assert.equal(all.cursor, 0);
    assert.equal(all.items.length, 50);
    assert.equal(sync(h.engine.jscan(0, { count: 50, busyloop: false })).cursor, 0);
  });

  it("every job present for the whole scan is returned at least once while jobs come and go", () => {
    const h = harness();
    const stable = Array.from({ length: 60 }, (_, i) => h.add("q", `s${i}`));
    const churn: string[] = Array.from({ length: 40 }, (_, i) => h.add("q", `c${i}`));
    const seen = fullJobScan(h, { count: 5 }, (step) => {
      // remove some churn jobs and add new ones between calls
      const gone = churn.splice(0, 2);
      if (gone.length) sync(h.engine.deleteJobs(gone));
      churn.push(h.add("q", `n${step}a`), h.add("r", `n${step}b`));
    });
    const seenSet = new Set(seen);
    for (const id of stable) assert.ok(seenSet.has(id), `stable job ${id} missing from the scan`);
  });

  it("JSCAN filters by QUEUE and STATE (STATE repeatable, OR)", () => {
    const h = harness();
    const q1 = ["a", "b", "c"].map((n) => h.add("one", n));
    const q2 = ["d", "e"].map((n) => h.add("two", n));
    h.take("one");
    const delayed = h.add("two", "f", { delay: 10 });
    assert.deepEqual(fullJobScan(h, { queue: "one" }), q1);
    assert.deepEqual(fullJobScan(h, { queue: "two", states: ["queued"] }), q2);
    assert.deepEqual(fullJobScan(h, { states: ["active"] }), [q1[0], delayed]);
    assert.deepEqual(fullJobScan(h, { states: ["active", "queued"] }).length, 6);
    assert.deepEqual(fullJobScan(h, { states: ["acked"] }), []);
    assert.deepEqual(fullJobScan(h, { states: [] }).length, 6);
    assert.deepEqual(fullJobScan(h, { queue: "none" }), []);
    const full = sync(h.engine.jscan(0, { count: 100, busyloop: false, queue: "one", states: ["active"] }));
    assert.equal(full.items[0]!.body.toString(), "a");
  });

  it("QSCAN walks queue names; MINLEN/MAXLEN filter on length; BUSYLOOP does it in one call", () => {
    const h = harness();
    const names = Array.from({ length: 25 }, (_, i) => `q${i}`);
    names.forEach((name, i) => {
      for (let k = 0; k < i % 4; k++) h.add(name);
    });
    const scan = (opts: object) => {
      const out: string[] = [];
      let cursor = 0;
      do {
        const r = sync(h.engine.qscan(cursor, { count: 4, busyloop: false, ...opts }));
        out.push(...r.items);
        cursor = r.cursor;
      } while (cursor !== 0);
      return out.sort();
    };
    const withJobs = names.filter((_, i) => i % 4 > 0);
    assert.deepEqual(scan({}), [...withJobs].sort());
    assert.deepEqual(scan({ minlen: 2 }), names.filter((_, i) => i % 4 >= 2).sort());
    assert.deepEqual(scan({ maxlen: 1 }), names.filter((_, i) => i % 4 === 1).sort());
    assert.deepEqual(scan({ minlen: 2, maxlen: 2 }), names.filter((_, i) => i % 4 === 2).sort());
    assert.deepEqual(scan({ importrate: 1 }), []);
    const one = sync(h.engine.qscan(0, { count: 1, busyloop: true }));
    assert.equal(one.cursor, 0);
    assert.equal(one.items.length, withJobs.length);
    const first = sync(h.engine.qscan(0, { count: 4, busyloop: false }));
    assert.equal(first.items.length, 4);
    assert.notEqual(first.cursor, 0);
  });

  it("QSCAN returns every queue present for the whole scan while queues come and go", () => {
    const h = harness();
    const stable = Array.from({ length: 30 }, (_, i) => `s${i}`);
    for (const q of stable) h.add(q);
    const seen = new Set<string>();
    let cursor = 0;
    let step = 0;
    do {
      const r = sync(h.engine.qscan(cursor, { count: 3, busyloop: false }));
      r.items.forEach((q) => seen.add(q));
      cursor = r.cursor;
      h.add(`new${step++}`);
    } while (cursor !== 0);
    for (const q of stable) assert.ok(seen.has(q), q);
  });
});

describe("queue garbage collection", () => {
  const GC = QUEUE_IDLE_GC_MS + 10_000; // GC runs every 10 s

  it("drops an empty queue idle for 300 s, not before", () => {
    const h = harness();
    const id = h.add("q");
    sync(h.engine.ackJobs([id]));
    h.advance(QUEUE_IDLE_GC_MS - 10_000);
    assert.notEqual(sync(h.engine.qstat("q")), null);
    h.advance(20_000);
    assert.equal(sync(h.engine.qstat("q")), null);
    assert.equal(sync(h.engine.stats()).queues, 0);
    assert.deepEqual(sync(h.engine.qscan(0, { count: 10, busyloop: false })).items, []);
  });

  it("keeps a queue that is non-empty, paused, or has blocked clients", async () => {
    const h = harness();
    h.add("full");
    sync(h.engine.pause("paused", ["in"]));
    const w = track(h.block({ queues: ["waited"] }));
    h.add("idle", "x", { retry: 0 });
    h.take("idle");
    h.advance(GC);
    assert.notEqual(sync(h.engine.qstat("full")), null);
    assert.notEqual(sync(h.engine.qstat("paused")), null);
    assert.notEqual(sync(h.engine.qstat("waited")), null);
    assert.equal(sync(h.engine.qstat("idle")), null);
    sync(h.engine.pause("paused", ["none"]));
    h.add("waited", "x", { retry: 0 });
    await settle();
    assert.equal(w.done, true);
    h.advance(GC);
    assert.equal(sync(h.engine.qstat("paused")), null);
    assert.equal(sync(h.engine.qstat("waited")), null);
    assert.notEqual(sync(h.engine.qstat("full")), null);
  });

  it("an active job's queue may go; putting the job back recreates it", () => {
    const h = harness();
    const id = h.add("q", "x", { retry: 0 });
    h.take("q");
    h.advance(GC);
    assert.equal(sync(h.engine.qstat("q")), null);
    sync(h.engine.deleteJobs([id]));
    const id2 = h.add("q", "y", { retry: 1000, ttl: 5000 });
    h.take("q");
    h.advance(GC);
    assert.equal(sync(h.engine.qstat("q")), null);
    h.advance(1000_000 - GC);
    assert.equal(h.state(id2), "queued");
    assert.deepEqual(h.peekIds("q"), [id2]);
  });
});

describe("flushAll, stats, nodes, changes, wake-ups", () => {
  it("flushAll deletes every job and queue; blocked fetchers stay blocked", async () => {
    const h = harness();
    h.add("a");
    h.add("b", "x", { delay: 10 });
    h.add("c");
    h.take("c");
    sync(h.engine.pause("p", ["all"]));
    const w = track(h.block({ queues: ["w"] }));
    const timed = track(h.block({ queues: ["w2"], timeoutMs: 5000 }));
    sync(h.engine.flushAll());
    const s = sync(h.engine.stats());
    assert.equal(s.jobs, 0);
    assert.deepEqual(s.jobsByState, { "wait-repl": 0, active: 0, queued: 0, acked: 0, backoff: 0 });
    assert.equal(s.blockedClients, 2);
    assert.equal(sync(h.engine.qstat("a")), null);
    assert.equal(sync(h.engine.qstat("p")), null);
    assert.equal(sync(h.engine.qlen("a")), 0);
    assert.deepEqual(sync(h.engine.jscan(0, { count: 100, busyloop: true })).items, []);
    assert.equal(h.changes.at(-1)!.type, "flushall");
    h.add("p"); // no longer paused
    h.advance(10_000); // the delayed job's timer is gone too
    await settle();
    assert.equal(w.done, false);
    assert.equal(timed.done, true);
    assert.equal(timed.value, null);
    const id = h.add("w", "after");
    await settle();
    assert.deepEqual(
      w.value!.map((d) => d.id),
      [id],
    );
  });

  it("stats counts jobs by state, queues, blocked clients and totals", async () => {
    const h = harness();
    const a = h.add("q", "a", { retry: 5, ttl: 100 });
    const b = h.add("q", "b", { ttl: 20 });
    h.add("q", "c", { delay: 10 });
    h.add("r", "d");
    h.take("q");
    const w = track(h.block({ queues: ["z"] }));
    let s = sync(h.engine.stats());
    assert.deepEqual(s, {
      jobs: 4,
      queues: 3,
      jobsByState: { "wait-repl": 0, active: 2, queued: 2, acked: 0, backoff: 0 },
      blockedClients: 1,
      added: 4,
      delivered: 1,
      acked: 0,
      expired: 0,
      requeued: 0,
      retried: 0,
      deadLettered: 0,
      timedOut: 0,
      deadLettersEvicted: 0,
      results: 0,
      resultBytes: 0,
    });
    h.advance(5_000); // a re-queued
    sync(h.engine.ackJobs([a]));
    h.advance(15_000); // b expires, c queued
    s = sync(h.engine.stats());
    assert.deepEqual([s.jobs, s.added, s.delivered, s.acked, s.expired, s.requeued], [2, 4, 1, 1, 1, 1]);
    assert.deepEqual(s.jobsByState, { "wait-repl": 0, active: 0, queued: 2, acked: 0, backoff: 0 });
    assert.equal(h.state(b), null);
    h.add("z");
    await settle();
    assert.equal(w.done, true);
    assert.equal(sync(h.engine.stats()).blockedClients, 0);
  });

  it("onChange records adds, deletes, counters, pauses and flushall (leases are not journaled)", () => {
    const h = harness();
    const a = h.add("q", "a", { retry: 5 });
    const b = h.add("q", "b");
    assert.deepEqual(
      h.changes.map((c) => (c.type === "add" ? [c.type, c.job.id, c.job.queue, c.job.body.toString()] : c)),
      [
        ["add", a, "q", "a"],
        ["add", b, "q", "b"],
      ],
    );
    h.changes.length = 0;
    h.take("q");
    sync(h.engine.dequeue([b]));
    assert.equal(h.changes.length, 0); // delivery and DEQUEUE are leases
    sync(h.engine.nack([a]));
    h.take("q");
    sync(h.engine.enqueue([a]));
    h.take("q");
    h.advance(5_000);
    sync(h.engine.pause("q", ["in"]));
    sync(h.engine.pause("q", ["in", "state"])); // no change, no record
    sync(h.engine.ackJobs([a]));
    sync(h.engine.fastAck([b]));
    const c = h.add("r", "c", { ttl: 1 });
    h.advance(1_000);
    const d = h.add("r", "d");
    sync(h.engine.deleteJobs([d]));
    sync(h.engine.flushAll());
    assert.deepEqual(
      h.changes.map((ch) => (ch.type === "add" ? { type: "add", id: ch.job.id } : ch)),
      [
        { type: "counters", id: a, nacks: 1, additionalDeliveries: 0 },
        { type: "counters", id: a, nacks: 1, additionalDeliveries: 1 },
        { type: "counters", id: a, nacks: 1, additionalDeliveries: 2 },
        { type: "pause", queue: "q", state: "in" },
        { type: "delete", id: a, reason: "ack" },
        { type: "delete", id: b, reason: "fastack" },
        { type: "add", id: c },
        { type: "delete", id: c, reason: "expire" },
        { type: "add", id: d },
        { type: "delete", id: d, reason: "deljob" },
        { type: "flushall" },
      ],
    );
  });

  it("onWake is called when the earliest timer moves earlier, and nextWakeAt reports it", () => {
    const h = harness();
    assert.equal(h.engine.nextWakeAt(), Infinity);
    h.add("q", "x", { ttl: 100, retry: 0 });
    assert.deepEqual(h.wakes, [T0 + 100_000]);
    h.add("q", "x", { ttl: 200, retry: 0 }); // later: no call
    assert.deepEqual(h.wakes, [T0 + 100_000]);
    h.add("q", "x", { ttl: 50, delay: 20, retry: 0 });
    assert.deepEqual(h.wakes, [T0 + 100_000, T0 + 20_000]);
    void h.engine.getJobs({ queues: ["w"], count: 1, nohang: false, timeoutMs: 1_500 });
    assert.deepEqual(h.wakes.at(-1), T0 + 1_500);
    // the GC tick (every 10 s while queues exist) may be earlier still
    assert.equal(h.engine.nextWakeAt(), T0 + 1_500);
    h.advance(1_500);
    assert.equal(h.engine.nextWakeAt(), T0 + 10_000);
    h.advance(10_000);
    assert.equal(h.engine.nextWakeAt(), T0 + 20_000);
  });

  it("the timer heap follows live jobs: acked jobs and lease cycles leave no pile of stale entries", () => {
    const h = harness({ onChange: undefined });
    const timers = () => (h.engine as unknown as { timers: { size: number } }).timers.size;
    for (let i = 0; i < 20_000; i++) {
      const id = h.add("q", "body");
      h.take("q");
      sync(h.engine.ackJobs([id]));
    }
    assert.ok(timers() < 2_100, `${timers()} timer entries for 0 jobs`);
    const id = h.add("r", "x", { retry: 1 });
    const other = h.add("s", "y", { ttl: 9_000, retry: 0 });
    for (let i = 0; i < 5_000; i++) {
      h.take("r");
      h.advance(1_000);
    }
    assert.ok(timers() < 2_100, `${timers()} timer entries for 2 jobs`);
    // the surviving jobs' timers still work after compactions
    assert.equal(sync(h.engine.show(id))!.additionalDeliveries, 5_000);
    assert.equal(h.state(other), "queued");
    h.advance(4_000_000);
    assert.equal(h.state(other), null);
    assert.equal(sync(h.engine.stats()).expired, 1);
  });

  it("ManualClock moves only when told to", () => {
    const h = harness();
    assert.equal(h.clock.now(), T0);
    h.clock.advance(5);
    assert.equal(h.clock.now(), T0 + 5);
    h.clock.set(T0 + 60_000);
    assert.equal(h.clock.now(), T0 + 60_000);
    const id = h.add("q", "x", { ttl: 10 });
    h.clock.set(T0 + 70_000);
    assert.equal(sync(h.engine.show(id)), null);
  });

  it("nodes() lists this node; whenDurable is undefined without a journal, else its barrier", async () => {
    const h = harness({ nodeId: "0123456789abcdef0123456789abcdef01234567", host: "10.0.0.1", port: 9000 });
    assert.deepEqual(sync(h.engine.nodes()), [
      { id: "0123456789abcdef0123456789abcdef01234567", host: "10.0.0.1", port: 9000, priority: 1 },
    ]);
    assert.ok(h.add("q").startsWith("D-01234567-"));
    assert.equal(h.engine.whenDurable(), undefined);
    let called = 0;
    h.engine.durability = () => {
      called++;
      return Promise.resolve();
    };
    await h.engine.whenDurable();
    assert.equal(called, 1);
  });
});
