import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BrokerError, type PauseOp } from "../../src/core/contract.js";
import { ttlSuffix } from "../../src/core/ids.js";
import { Engine, ManualClock } from "../../src/stores/embedded/engine/index.js";
import { BAD_ID, T0, UNKNOWN_ID, sync } from "./helpers.js";
import { Model, ModelError, type ModelAdd } from "./model.js";
import { Rng, baseSeed } from "../helpers/prng.js";

/**
 * Randomized model test: seeded operation sequences run against the Engine
 * and the reference Model (model.ts), compared after every step. On a
 * mismatch the failure names the seed; replay one sequence with
 *   DOCKET_SEED=<seed> DOCKET_MODEL_SEQUENCES=1 node --import tsx --test test/engine/model.test.ts
 */

const SEQUENCES = Number(process.env.DOCKET_MODEL_SEQUENCES ?? 500);
const STEPS = Number(process.env.DOCKET_MODEL_STEPS ?? 200);
const QUEUES = ["a", "b", "c", ""];
const PAUSE_OPS: PauseOp[] = ["in", "out", "all", "none", "state", "bcast"];

type Outcome = { ok: unknown } | { err: [string, string] };

function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: fn() };
  } catch (err) {
    if (err instanceof BrokerError || err instanceof ModelError) return { err: [err.code, err.message] };
    throw err;
  }
}

class Sequence {
  readonly rng: Rng;
  readonly clock = new ManualClock(T0);
  readonly engine: Engine;
  readonly model = new Model(T0);
  readonly everSeen: string[] = [];
  readonly trace: string[] = [];
  /** error codes the engine answered, to check that the generator reaches them */
  readonly errors = new Map<string, number>();

  constructor(readonly seed: number) {
    this.rng = new Rng(seed);
    const bytes = new Rng(seed ^ 0x5bd1e995);
    this.engine = new Engine({
      clock: this.clock,
      random: (size) => bytes.bytes(size),
    });
    // half the sequences compact the timer heap at almost every push
    if (seed % 2 === 0) (this.engine as unknown as { timerSlack: number }).timerSlack = 2;
  }

  pickId(allowBad: boolean): string {
    const r = this.rng.next();
    const live = this.model.jobs;
    if (r < 0.75 && live.length > 0) return this.rng.pick(live).id;
    if (r < 0.9 && this.everSeen.length > 0) return this.rng.pick(this.everSeen);
    if (r < 0.95 || !allowBad) return UNKNOWN_ID;
    return this.rng.pick([BAD_ID, "", "D-nope"]);
  }

  pickIds(): string[] {
    const n = this.rng.pick([0, 1, 1, 1, 1, 2, 2, 3]);
    return Array.from({ length: n }, () => this.pickId(this.rng.chance(0.15)));
  }

  addRequest(): ModelAdd {
    const rng = this.rng;
    const req: ModelAdd = { queue: rng.pick(QUEUES), body: rng.bytes(rng.int(0, 6)) };
    if (rng.chance(0.85)) req.ttl = rng.pick([1, 2, 5, 10, 30, 60, 120, 600, 3600]);
    const ttl = req.ttl ?? 86_400;
    const r = rng.next();
    if (r < 0.15) req.retry = 0;
    else if (r < 0.75) req.retry = rng.int(1, 40);
    const d = rng.next();
    if (d < 0.3) req.delay = rng.int(1, Math.min(ttl, 120));
    else if (d < 0.34) req.delay = ttl + rng.int(0, 3);
    if (rng.chance(0.12)) req.placement = "front";
    if (rng.chance(0.1)) req.maxlen = rng.int(1, 4);
    if (rng.chance(0.04)) req.replicate = rng.pick([2, 3]);
    if (rng.chance(0.3)) req.priority = rng.pick([0, 1, 5, 1024, 2000, 4_294_967_295]);
    if (rng.chance(0.25)) {
      req.key = rng.pick(["k1", "k2", "k3", "k4"]);
      if (rng.chance(0.6)) req.keyTtl = rng.pick([1, 5, 30, 600]);
    }
    if (rng.chance(0.03)) {
      const bad = rng.int(0, 3);
      if (bad === 0) req.ttl = rng.pick([0, -1]);
      else if (bad === 1) req.retry = -1;
      else if (bad === 2) req.delay = -1;
      else req.replicate = rng.pick([0, 65536]);
    }
    return req;
  }

  /** one random operation on both sides, compared */
  step(): void {
    const rng = this.rng;
    const e = this.engine;
    const m = this.model;
    const r = rng.next();
    let label: string;
    let got: Outcome;
    let want: Outcome;
    if (r < 0.22) {
      const req = this.addRequest();
      label = `add ${JSON.stringify({ ...req, body: req.body.toString("hex") })}`;
      got = outcome(() => sync(e.addJob(req)));
      const id = "ok" in got ? (got.ok as { id: string }).id : "D-00000000-pending-pending-pending--0000";
      want = outcome(() => {
        const job = m.add(req, id);
        return "duplicate" in job
          ? { id: job.id, seq: job.seq, duplicate: true, state: job.state }
          : { id, seq: job.seq };
      });
      if ("ok" in got && "ok" in want && !(got.ok as { duplicate?: boolean }).duplicate) {
        assert.match(id, /^D-[0-9a-f]{8}-[A-Za-z0-9+/]{24}-[0-9a-f]{4}$/);
        const job = m.find(id)!;
        assert.ok(id.endsWith(ttlSuffix(job.ttl, job.retry)), id);
        this.everSeen.push(id);
      }
    } else if (r < 0.37) {
      const queues = Array.from({ length: rng.int(1, 3) }, () => rng.pick(QUEUES));
      const count = rng.int(1, 5);
      label = `getJobs ${JSON.stringify(queues)} count ${count}`;
      got = outcome(() => sync(e.getJobs({ queues, count, nohang: true, timeoutMs: 0 })));
      want = outcome(() => m.getJobs(queues, count));
    } else if (r < 0.42) {
      const ids = this.pickIds();
      label = `ack ${ids}`;
      got = outcome(() => sync(e.ackJobs(ids)));
      want = outcome(() => m.remove(ids, "ack"));
    } else if (r < 0.45) {
      const ids = this.pickIds();
      label = `fastAck ${ids}`;
      got = outcome(() => sync(e.fastAck(ids)));
      want = outcome(() => m.remove(ids, "fastack"));
    } else if (r < 0.48) {
      const ids = this.pickIds();
      label = `deleteJobs ${ids}`;
      got = outcome(() => sync(e.deleteJobs(ids)));
      want = outcome(() => m.remove(ids, "deljob"));
    } else if (r < 0.55) {
      const ids = this.pickIds();
      label = `nack ${ids}`;
      got = outcome(() => sync(e.nack(ids)));
      want = outcome(() => m.putBack(ids, "nack"));
    } else if (r < 0.6) {
      const ids = this.pickIds();
      label = `enqueue ${ids}`;
      got = outcome(() => sync(e.enqueue(ids)));
      want = outcome(() => m.putBack(ids, "enqueue"));
    } else if (r < 0.65) {
      const ids = this.pickIds();
      label = `dequeue ${ids}`;
      got = outcome(() => sync(e.dequeue(ids)));
      want = outcome(() => m.dequeue(ids));
    } else if (r < 0.71) {
      const id = this.pickId(true);
      label = `working ${id}`;
      got = outcome(() => sync(e.working(id)));
      want = outcome(() => m.working(id));
    } else if (r < 0.75) {
      const queue = rng.pick(QUEUES);
      const ops = Array.from({ length: rng.int(1, 3) }, () =>
        rng.chance(0.5) ? rng.pick(PAUSE_OPS) : rng.pick<PauseOp>(["none", "state"]),
      );
      label = `pause ${JSON.stringify(queue)} ${ops}`;
      got = outcome(() => sync(e.pause(queue, ops)));
      want = outcome(() => m.pause(queue, ops));
    } else if (r < 0.9) {
      const k = rng.next();
      const ms =
        k < 0.5
          ? rng.int(0, 2_000)
          : k < 0.8
            ? rng.int(0, 30_000)
            : k < 0.95
              ? rng.int(0, 200_000)
              : rng.int(0, 2_000_000);
      label = `advance ${ms}`;
      this.clock.advance(ms);
      e.runDue();
      m.advanceTo(this.clock.now());
      got = want = { ok: undefined };
    } else if (r < 0.94) {
      const queue = rng.pick(QUEUES);
      const count = rng.int(-6, 6);
      label = `qpeek ${JSON.stringify(queue)} ${count}`;
      got = outcome(() => sync(e.qpeek(queue, count)).map((j) => j.id));
      const ready = m.queued(queue).map((j) => j.id);
      want = { ok: count >= 0 ? ready.slice(0, count) : ready.reverse().slice(0, -count) };
    } else {
      const id = this.pickId(true);
      label = `show ${id}`;
      got = outcome(() => sync(e.show(id)));
      want = outcome(() => {
        if (id.length !== 40 || id[0] !== "D" || id[1] !== "-" || id[10] !== "-" || id[35] !== "-")
          throw new ModelError("BADID", "Invalid Job ID format.");
        const job = m.find(id);
        return job ? m.expectedInfo(job) : null;
      });
    }
    this.trace.push(`[t+${this.clock.now() - T0}ms] ${label}`);
    assert.deepEqual(got, want, `result of ${label}`);
    if ("err" in got) this.errors.set(got.err[0], (this.errors.get(got.err[0]) ?? 0) + 1);
    this.compare();
  }

  /** the whole observable state, engine against model */
  compare(): void {
    const e = this.engine;
    const m = this.model;
    for (const queue of QUEUES) {
      const ready = m.queued(queue);
      assert.equal(sync(e.qlen(queue)), ready.length, `qlen ${JSON.stringify(queue)}`);
      assert.deepEqual(
        sync(e.qpeek(queue, 1000)).map((j) => j.id),
        ready.map((j) => j.id),
        `order of ${JSON.stringify(queue)}`,
      );
      const stat = sync(e.qstat(queue));
      const pause = m.pauseOf(queue);
      if (stat === null) {
        assert.equal(ready.length, 0, `qstat ${JSON.stringify(queue)} null with jobs`);
        assert.equal(pause, "none", `qstat ${JSON.stringify(queue)} null while paused`);
      } else {
        assert.equal(stat.len, ready.length);
        assert.equal(stat.pause, pause, `pause of ${JSON.stringify(queue)}`);
      }
    }
    for (const job of m.jobs) assert.deepEqual(sync(e.show(job.id)), m.expectedInfo(job), `show ${job.id}`);
    for (let i = this.everSeen.length - 1; i >= Math.max(0, this.everSeen.length - 5); i--) {
      const id = this.everSeen[i]!;
      if (!m.find(id)) assert.equal(sync(e.show(id)), null, `show of deleted ${id}`);
    }
    const stats = sync(e.stats());
    const queued = m.jobs.filter((j) => j.state === "queued").length;
    assert.deepEqual(
      { ...stats, queues: 0 },
      {
        jobs: m.jobs.length,
        queues: 0,
        jobsByState: { "wait-repl": 0, active: m.jobs.length - queued, queued, acked: 0, backoff: 0 },
        blockedClients: 0,
        ...m.totals,
        results: 0,
        resultBytes: 0,
      },
      "stats",
    );
  }

  /** at the end: a full JSCAN lists exactly the model's jobs, by seq */
  finish(): void {
    const scan = sync(this.engine.jscan(0, { count: 1, busyloop: true }));
    assert.equal(scan.cursor, 0);
    assert.deepEqual(
      scan.items.map((j) => j.id),
      [...this.model.jobs].sort((a, b) => a.seq - b.seq).map((j) => j.id),
    );
  }
}

describe("engine against the reference model", () => {
  const base = baseSeed();
  it(`${SEQUENCES} random sequences × ${STEPS} steps agree at every step (base seed ${base})`, () => {
    let steps = 0;
    const touched = { expired: 0, requeued: 0, delivered: 0, nacks: 0 };
    const errors = new Map<string, number>();
    for (let i = 0; i < SEQUENCES; i++) {
      const seed = (base + i) >>> 0;
      const seq = new Sequence(seed);
      let step = 0;
      try {
        for (; step < STEPS; step++) seq.step();
        seq.finish();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        throw new Error(
          `engine and model disagree: seed ${seed}, step ${step}\n` +
            `replay: DOCKET_SEED=${seed} DOCKET_MODEL_SEQUENCES=1 node --import tsx --test test/engine/model.test.ts\n` +
            `last operations:\n  ${seq.trace.slice(-12).join("\n  ")}\n${message}`,
          { cause: err },
        );
      }
      steps += step;
      touched.expired += seq.model.totals.expired;
      touched.requeued += seq.model.totals.requeued;
      touched.delivered += seq.model.totals.delivered;
      touched.nacks += seq.model.jobs.reduce((n, j) => n + j.nacks, 0);
      for (const [code, n] of seq.errors) errors.set(code, (errors.get(code) ?? 0) + n);
    }
    assert.equal(steps, SEQUENCES * STEPS);
    // the generator must reach the interesting paths, not just agree on trivia
    if (SEQUENCES >= 50) {
      assert.ok(touched.expired > 100, `expiries: ${touched.expired}`);
      assert.ok(touched.requeued > 100, `re-queues: ${touched.requeued}`);
      assert.ok(touched.delivered > 1000, `deliveries: ${touched.delivered}`);
      assert.ok(touched.nacks > 10, `nacks: ${touched.nacks}`);
      for (const code of ["ERR", "BADID", "NOJOB", "TOOLATE", "NOREPL", "MAXLEN", "PAUSED"])
        assert.ok((errors.get(code) ?? 0) > 0, `no ${code} error reached: ${[...errors]}`);
    }
  });
});
