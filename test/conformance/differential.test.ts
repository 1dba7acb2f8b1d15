import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BrokerError,
  type AddJobRequest,
  type Broker,
  type JobLookup,
  type NackOptions,
  type QueuePolicy,
  type PauseOp,
} from "../../src/core/contract.js";
import { DEFAULT_FAILURES, parseBackoff } from "../../src/core/failures.js";
import { BAD_ID, UNKNOWN_ID } from "../helpers/broker.js";
import { Rng, baseSeed } from "../helpers/prng.js";
import { openHarness, type Harness } from "./harness.js";
import { durableState } from "./replay-check.js";
import { JournaledEngine, replayedStore } from "./replayed.js";
import { engineStore, stores } from "./stores.js";

/**
 * Randomized differential test: seeded sequences of non-blocking operations
 * run on the engine (the reference) and on every other store, and each answer
 * is compared (adds with priorities and idempotency keys among them). Job ids and seqs differ between stores, so both sides are
 * named by creation order (J1, J2, … and 1, 2, …) before comparing. The clock
 * moves at most ~240 s per sequence (no queue garbage collection). Jobs a
 * redrive creates are named by their order in a full JSCAN.
 * A "replayed" column checks the journal the same way: the engine records
 * into one, and after every step an engine rebuilt from the journal so far
 * must hold the same durable state (replay-check.ts).
 * Replay one sequence:
 *   DOCKET_SEED=<seed> DOCKET_DIFF_SEQUENCES=1 node --import tsx --test test/conformance/differential.test.ts
 */

const SEQUENCES = Number(process.env.DOCKET_DIFF_SEQUENCES ?? 12);
const STEPS = Number(process.env.DOCKET_DIFF_STEPS ?? 80);
const TRACE = Number(process.env.DOCKET_DIFF_TRACE ?? 12);
const QUEUES = ["a", "b", "c"];
const PAUSE_OPS: PauseOp[] = ["in", "out", "all", "none", "state"];
const REFS: JobLookup[] = ["id", "event", "seq"];
/** no jitter (its draws differ between stores), a small cap and a short result TTL, so both are exercised */
const FAILURES = {
  ...DEFAULT_FAILURES,
  backoff: parseBackoff("exponential:500:4000"),
  deadLetterCap: 3,
  resultTtlMs: 20_000,
};
const BACKOFFS = ["fixed:700", "exponential:300:2000"].map(parseBackoff);

/** What a step needs after the call: name the job added, or the jobs redriven. */
type Kind = "add" | "redrive" | false;

type Outcome = { ok: unknown } | { err: [string, string] };

async function outcome(call: () => unknown): Promise<Outcome> {
  try {
    return { ok: await call() };
  } catch (err) {
    if (err instanceof BrokerError) return { err: [err.code, err.message] };
    throw err;
  }
}

/** One side of the comparison: its broker and how its ids and seqs map to creation order. */
class Side {
  readonly ids = new Map<string, string>();
  readonly seqs = new Map<number, number>();
  readonly idOf: string[] = [];
  readonly seqOf: number[] = [];
  readonly queueOf: string[] = [];
  constructor(readonly h: Harness) {}

  get broker(): Broker {
    return this.h.broker;
  }

  learn(id: string, seq: number, queue: string): void {
    this.idOf.push(id);
    this.queueOf.push(queue);
    this.seqOf.push(seq);
    this.ids.set(id, `J${this.idOf.length}`);
    this.seqs.set(seq, this.seqOf.length);
  }

  /** Learns the jobs a redrive created: live jobs not named yet, in seq order. */
  async discover(): Promise<void> {
    const all = (await this.broker.jscan(0, { count: 1, busyloop: true })).items;
    const fresh = all.filter((job) => !this.ids.has(job.id)).sort((x, y) => x.seq - y.seq);
    for (const job of fresh) this.learn(job.id, job.seq, job.queue);
  }

  /** Names ids and seqs by creation order, everywhere in an answer. */
  normalize(value: unknown, key?: string): unknown {
    if (typeof value === "string") return this.ids.get(value) ?? value;
    if (typeof value === "number" && key === "seq") return this.seqs.get(value) ?? `seq?${value}`;
    if (Buffer.isBuffer(value)) return value.toString("hex");
    if (Array.isArray(value)) return value.map((v) => this.normalize(v));
    if (value && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = this.normalize(v, k);
      return out;
    }
    return value;
  }
}

/** A job named by creation order (1-based), an unknown id or a malformed one, the same on both sides. */
type IdPick = number | "unknown" | "bad";

class Sequence {
  readonly rng: Rng;
  readonly trace: string[] = [];
  private created = 0;
  /** the queue of the add being drawn */
  private addedTo = "";
  /** queues that got a dead letter, for redrive to aim at */
  private readonly deadIn = new Set<string>();

  constructor(
    readonly seed: number,
    readonly ref: Side,
    readonly other: Side,
    /** the reference's journal, checked after every step when given */
    readonly journal?: JournaledEngine,
  ) {
    this.rng = new Rng(seed);
    ref.broker.configureFailures(FAILURES);
    other.broker.configureFailures(FAILURES);
  }

  private pickId(): IdPick {
    const r = this.rng.next();
    if (r < 0.9 && this.created > 0) return this.rng.int(1, this.created);
    return r < 0.97 ? "unknown" : "bad";
  }

  private idFor(side: Side, pick: IdPick): string {
    if (pick === "unknown") return UNKNOWN_ID;
    if (pick === "bad") return BAD_ID;
    return side.idOf[pick - 1]!;
  }

  /** Mostly the picked job's own queue (dialect calls name one), else `other`. */
  private queueOfPick(pick: IdPick, other: string): string {
    if (typeof pick !== "number" || this.rng.chance(0.2)) return other;
    return this.ref.queueOf[pick - 1]!;
  }

  private pickIds(): IdPick[] {
    return Array.from({ length: this.rng.pick([1, 1, 2, 3]) }, () => this.pickId());
  }

  private addRequest(): Omit<AddJobRequest, "body"> & { body: string } {
    const rng = this.rng;
    const req: Omit<AddJobRequest, "body"> & { body: string } = {
      queue: rng.pick(QUEUES),
      body: `b${rng.int(0, 999)}`,
    };
    req.ttl = rng.pick([5, 10, 30, 60, 600]);
    const r = rng.next();
    if (r < 0.15) req.retry = 0;
    else if (r < 0.8) req.retry = rng.int(1, 20);
    if (rng.chance(0.25)) req.delay = rng.int(1, req.ttl - 1);
    if (rng.chance(0.1)) req.placement = "front";
    if (rng.chance(0.1)) req.maxlen = rng.int(1, 4);
    if (rng.chance(0.2)) req.clientKey = rng.pick(["e1", "e2", "e3"]);
    if (rng.chance(0.4)) req.retryBudget = rng.pick([0, 0, 1, 2]);
    if (rng.chance(0.2)) req.backoff = rng.pick(BACKOFFS);
    if (rng.chance(0.1)) req.runTimeoutMs = rng.int(1, 5000);
    if (rng.chance(0.3)) req.priority = rng.pick([0, 5, 1024, 2000]);
    if (rng.chance(0.25)) {
      req.key = rng.pick(["k1", "k2", "k3"]);
      if (rng.chance(0.6)) req.keyTtl = rng.pick([1, 5, 30]);
    }
    return req;
  }

  /** The failure operations (docs/failures.md): NACK's options, results, dead letters, policies. */
  private drawFailure(q: string): [string, (side: Side) => unknown, Kind] {
    const rng = this.rng;
    const r = rng.int(0, 99);
    if (r < 35) {
      const picks = this.pickIds();
      const options: NackOptions = {};
      if (rng.chance(0.3)) options.delayMs = rng.pick([0, 500, 3000]);
      if (rng.chance(0.4)) options.backoff = true;
      if (rng.chance(0.5)) options.error = `e${rng.int(0, 9)}`;
      if (rng.chance(0.1)) options.timedOut = true;
      if (rng.chance(0.2)) options.retries = rng.int(0, 2);
      if (rng.chance(0.1)) options.placement = "back";
      for (const pick of picks) if (typeof pick === "number") this.deadIn.add(this.ref.queueOf[pick - 1]!);
      return [
        `nack ${JSON.stringify(picks)} ${JSON.stringify(options)}`,
        (s) =>
          s.broker.nack(
            picks.map((p) => this.idFor(s, p)),
            options,
          ),
        false,
      ];
    }
    if (r < 50) {
      const picks = this.pickIds();
      const result = `r${rng.int(0, 99)}`;
      return [
        `ackJobs ${JSON.stringify(picks)} result ${result}`,
        (s) =>
          s.broker.ackJobs(
            picks.map((p) => this.idFor(s, p)),
            Buffer.from(result),
          ),
        false,
      ];
    }
    if (r < 58) {
      const pick = this.pickId();
      return [`result ${pick}`, (s) => s.broker.result(this.idFor(s, pick)), false];
    }
    if (r < 64) {
      const pick = this.pickId();
      return [`deadLetter ${pick}`, (s) => s.broker.deadLetter(this.idFor(s, pick)), false];
    }
    const from = this.deadIn.size > 0 && rng.chance(0.8) ? rng.pick([...this.deadIn]) : q;
    if (r < 80) {
      const byIds = rng.chance(0.5);
      const picks = this.pickIds();
      const n = rng.int(1, 3);
      const op = rng.pick(["redrive", "purgeDeadLetters"] as const);
      return [
        `${op} ${from} ${byIds ? JSON.stringify(picks) : n}`,
        (s) => s.broker[op](from, byIds ? { ids: picks.map((p) => this.idFor(s, p)) } : { count: n }),
        op === "redrive" ? "redrive" : false,
      ];
    }
    if (r < 92) {
      const policy: QueuePolicy = {};
      if (rng.chance(0.5)) policy.retryBudget = rng.int(0, 2);
      if (rng.chance(0.3)) policy.backoff = rng.pick(BACKOFFS);
      if (rng.chance(0.2)) policy.runTimeoutMs = rng.int(1, 5000);
      if (rng.chance(0.3)) policy.deadLetterCap = rng.int(0, 2);
      return [
        `setQueuePolicy ${q} ${JSON.stringify(policy)}`,
        (s) => s.broker.setQueuePolicy(q, policy),
        false,
      ];
    }
    return [`queuePolicy ${q}`, (s) => s.broker.queuePolicy(q), false];
  }

  /** Draws one operation: a label for the trace and the call to make on each side. */
  private draw(): [string, (side: Side) => unknown, Kind] {
    const rng = this.rng;
    const r = rng.int(0, 99);
    const q = rng.pick(QUEUES);
    if (rng.chance(0.2)) return this.drawFailure(q);
    if (r < 22) {
      const req = this.addRequest();
      this.addedTo = req.queue;
      return [
        `add ${JSON.stringify(req)}`,
        (s) => s.broker.addJob({ ...req, body: Buffer.from(req.body) }),
        "add",
      ];
    }
    if (r < 36) {
      const queues = QUEUES.filter(() => rng.chance(0.6));
      const count = rng.int(1, 3);
      const leaseSeconds = rng.chance(0.15) ? rng.int(1, 10) : undefined;
      const consume = rng.chance(0.1);
      const label = `take ${JSON.stringify({ queues, count, leaseSeconds, consume })}`;
      return [
        label,
        (s) => s.broker.getJobs({ queues, count, nohang: true, timeoutMs: 0, leaseSeconds, consume }),
        false,
      ];
    }
    if (r < 54) {
      const op = rng.pick(["ackJobs", "fastAck", "deleteJobs", "nack", "enqueue", "dequeue"] as const);
      const picks = this.pickIds();
      return [
        `${op} ${JSON.stringify(picks)}`,
        (s) => s.broker[op](picks.map((p) => this.idFor(s, p))),
        false,
      ];
    }
    if (r < 58) {
      const pick = this.pickId();
      return [`working ${pick}`, (s) => s.broker.working(this.idFor(s, pick)), false];
    }
    if (r < 63) {
      const pick = this.pickId();
      return [`show ${pick}`, (s) => s.broker.show(this.idFor(s, pick)), false];
    }
    if (r < 65) {
      const pick = this.pickId();
      const seqFor = (s: Side) => (typeof pick === "number" ? s.seqOf[pick - 1]! : 0);
      return [`showBySeq ${pick}`, (s) => s.broker.showBySeq(seqFor(s)), false];
    }
    if (r < 68) return [`qlen ${q}`, (s) => s.broker.qlen(q), false];
    if (r < 72) {
      const n = rng.pick([1, 3, 100, -1, -100]);
      return [`qpeek ${q} ${n}`, (s) => s.broker.qpeek(q, n), false];
    }
    if (r < 74) return [`qstat ${q}`, (s) => s.broker.qstat(q), false];
    if (r < 76) {
      const ops = [rng.pick(PAUSE_OPS)];
      if (rng.chance(0.3)) ops.push(rng.pick(PAUSE_OPS));
      return [`pause ${q} ${ops.join(" ")}`, (s) => s.broker.pause(q, ops), false];
    }
    if (r < 78) {
      const by = rng.pick(REFS);
      const pick = this.pickId();
      const inQueue = this.queueOfPick(pick, q);
      const event = rng.pick(["e1", "e2", "e3"]);
      const refFor = (s: Side) =>
        by === "event"
          ? event
          : by === "seq"
            ? String(typeof pick === "number" ? s.seqOf[pick - 1] : 0)
            : this.idFor(s, pick);
      return [
        `ackInQueue ${inQueue} ${by} ${by === "event" ? event : pick}`,
        (s) => s.broker.ackInQueue(inQueue, refFor(s), by),
        false,
      ];
    }
    if (r < 84) {
      const pick = this.pickId();
      const inQueue = this.queueOfPick(pick, q);
      return [
        `retryJob ${inQueue} ${pick}`,
        async (s) => {
          const answer = await s.broker.retryJob(inQueue, this.idFor(s, pick));
          if (answer === "deadlettered") this.deadIn.add(inQueue);
          return answer;
        },
        false,
      ];
    }
    if (r < 85) return [`flushQueue ${q}`, (s) => s.broker.flushQueue(q), false];
    if (r < 86) return ["queueCounts", (s) => s.broker.queueCounts(), false];
    if (r < 87) return [`deadLetters ${q}`, (s) => s.broker.deadLetters(q, 10), false];
    if (r < 89) {
      const n = rng.int(1, 3);
      const from = this.deadIn.size > 0 && rng.chance(0.8) ? rng.pick([...this.deadIn]) : q;
      return [`redrive ${from} ${n}`, (s) => s.broker.redrive(from, { count: n }), "redrive"];
    }
    if (rng.chance(0.1)) return ["flushAll", (s) => s.broker.flushAll(), false];
    if (r < 90) return ["stats", (s) => s.broker.stats(), false];
    if (r < 91) {
      return [
        "jscan",
        async (s) => sortBySeq(s, (await s.broker.jscan(0, { count: 1, busyloop: true })).items),
        false,
      ];
    }
    const ms = rng.pick([1, 500, 1000, 2000, 3000]);
    return [`advance ${ms}`, (s) => s.h.advance(ms), false];
  }

  async step(n: number): Promise<void> {
    const [label, call, kind] = this.draw();
    this.trace.push(`${n}: ${label}`);
    const expected = await outcome(() => call(this.ref));
    const actual = await outcome(() => call(this.other));
    if (kind === "redrive") {
      await this.ref.discover();
      await this.other.discover();
      this.created = Math.min(this.ref.idOf.length, this.other.idOf.length);
    }
    // a duplicate (idempotency key) answers a job already named
    const added = (o: Outcome) => "ok" in o && !(o.ok as { duplicate?: boolean }).duplicate;
    if (kind === "add" && added(expected) && added(actual)) {
      const [e, a] = [
        (expected as { ok: { id: string; seq: number } }).ok,
        (actual as { ok: { id: string; seq: number } }).ok,
      ];
      this.ref.learn(e.id, e.seq, this.addedTo);
      this.other.learn(a.id, a.seq, this.addedTo);
      this.created++;
    }
    assert.deepEqual(
      this.other.normalize(actual),
      this.ref.normalize(expected),
      `seed ${this.seed}, step ${n} differs from the engine; last steps:\n${this.trace.slice(-TRACE).join("\n")}`,
    );
    if (this.journal) {
      const live = this.journal.engine;
      const rebuilt = await this.journal.replica();
      assert.deepEqual(
        durableState(rebuilt, QUEUES, live),
        durableState(live, QUEUES),
        `seed ${this.seed}, step ${n}: the engine rebuilt from the journal differs; last steps:\n${this.trace.slice(-TRACE).join("\n")}`,
      );
    }
  }
}

function sortBySeq(side: Side, items: { seq: number }[]): { seq: number }[] {
  return [...items].sort((x, y) => (side.seqs.get(x.seq) ?? 0) - (side.seqs.get(y.seq) ?? 0));
}

/** The replayed store is checked by its own column below: its totals restart with it. */
for (const store of stores.filter((s) => s !== engineStore && s !== replayedStore)) {
  describe(`${store.name} answers as the engine (randomized)`, () => {
    before(async () => await store.start?.());
    after(async () => await store.stop?.());

    it(`${SEQUENCES} sequences of ${STEPS} operations`, async () => {
      const seed0 = baseSeed();
      for (let i = 0; i < SEQUENCES; i++) {
        const ref = new Side(await openHarness(engineStore));
        const other = new Side(await openHarness(store));
        try {
          const sequence = new Sequence((seed0 + i) >>> 0, ref, other);
          for (let n = 0; n < STEPS; n++) await sequence.step(n);
        } finally {
          await ref.h.close();
          await other.h.close();
        }
      }
    });
  });
}

/**
 * The replayed column: the reference records into a journal and after every
 * step an engine rebuilt from it is compared (the other side is a plain engine).
 */
async function replayedSequences(): Promise<void> {
  const seed0 = baseSeed();
  for (let i = 0; i < SEQUENCES; i++) {
    let journal: JournaledEngine | undefined;
    const ref = new Side(
      await openHarness({
        name: "journaled",
        quietMs: 0,
        open: async (clock) => {
          const opened = await JournaledEngine.open(clock);
          journal = opened;
          return { broker: opened.engine, runDue: () => opened.engine.runDue(), close: () => opened.close() };
        },
      }),
    );
    const other = new Side(await openHarness(engineStore));
    try {
      const sequence = new Sequence((seed0 + i) >>> 0, ref, other, journal);
      for (let n = 0; n < STEPS; n++) await sequence.step(n);
    } finally {
      await ref.h.close();
      await other.h.close();
    }
  }
}

describe("replayed: the engine rebuilt from its journal after every step (randomized)", () => {
  it(`${SEQUENCES} sequences of ${STEPS} operations`, async () => {
    await replayedSequences();
  });
});
