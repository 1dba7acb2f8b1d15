import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ManualClock } from "../../src/core/clock.js";
import {
  BrokerError,
  type AddJobRequest,
  type Broker,
  type JobInfo,
  type NackOptions,
} from "../../src/core/contract.js";
import { DEFAULT_FAILURES, parseBackoff } from "../../src/core/failures.js";
import { Engine } from "../../src/stores/embedded/engine/index.js";
import { openRedisBroker, type RedisBroker } from "../../src/stores/redis/index.js";
import { T0 } from "../helpers/broker.js";
import { Rng, baseSeed } from "../helpers/prng.js";
import { startRedis, uniquePrefix, type RedisProcess } from "../helpers/redis.js";

/**
 * Randomized differential test of the failure path: seeded sequences of adds
 * (budgets, backoff policies, run time-outs), fetches, NACKs with every
 * option, takeanumber RETRYs, ACKs with results, dead-letter purges, policy
 * changes and clock moves run on the engine (the reference) and on the Redis
 * store; after each step both must show the same jobs (named by creation
 * order), counts and totals. Backoffs are without jitter (the draws differ).
 * Replay: DOCKET_SEED=<seed> node --import tsx --test test/redis/failures-differential.test.ts
 */

const SEQUENCES = Number(process.env.DOCKET_DIFF_SEQUENCES ?? 8);
const STEPS = Number(process.env.DOCKET_DIFF_STEPS ?? 60);
const QUEUES = ["a", "b"];
const BACKOFFS = [undefined, "fixed:150", "exponential:100:400"];
const DEFAULTS = { ...DEFAULT_FAILURES, backoff: parseBackoff("exponential:50:200"), deadLetterCap: 2 };

interface Side {
  broker: Broker;
  clock: ManualClock;
  ids: string[];
  /** awaited; what it returns (the engine's clock reading) is not used */
  runDue(): unknown;
}

/** A job as compared: times relative to the clock, ids by creation order. */
function view(info: JobInfo | null, now: number): unknown {
  if (info === null) return null;
  return {
    state: info.state,
    nacks: info.nacks,
    additionalDeliveries: info.additionalDeliveries,
    budget: [info.retryBudget, info.retryBudgetLeft],
    backoff: info.backoff,
    runTimeoutMs: info.runTimeoutMs,
    backoffUntil: info.backoffUntil === null ? null : info.backoffUntil - now,
    attempts: info.attempts?.map((a) => [a.at - T0, a.cause, a.error]),
  };
}

async function outcome(call: () => unknown): Promise<unknown> {
  try {
    return { ok: await call() };
  } catch (err) {
    if (err instanceof BrokerError) return { err: err.code };
    throw err;
  }
}

/** Everything compared after a step. */
async function snapshot(side: Side): Promise<unknown> {
  const { broker, clock } = side;
  const jobs = [];
  for (const id of side.ids) jobs.push(view(await broker.show(id), clock.now()));
  const name = (id: string): string => `J${side.ids.indexOf(id) + 1}`;
  const queues = [];
  for (const queue of QUEUES) {
    const stat = await broker.qstat(queue);
    const dead = await broker.deadLetters(queue, 100);
    queues.push({
      len: await broker.qlen(queue),
      backingOff: stat?.backingOff ?? null,
      deadLetters: dead.map((d) => [name(d.id), d.retryBudget, d.attempts.length, d.at - T0]),
    });
  }
  const s = await broker.stats();
  const totals = [s.retried, s.deadLettered, s.timedOut, s.deadLettersEvicted, s.results, s.resultBytes];
  const results = [];
  for (const id of side.ids) results.push((await broker.result(id))?.body.toString() ?? null);
  return { jobs, queues, totals, byState: s.jobsByState, results };
}

describe("the failure path: Redis answers as the engine (randomized)", () => {
  let redis: RedisProcess;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  it(`${SEQUENCES} sequences of ${STEPS} failure operations`, async () => {
    const seed0 = baseSeed();
    for (let sequence = 0; sequence < SEQUENCES; sequence++) {
      const seed = (seed0 + sequence) >>> 0;
      const rng = new Rng(seed);
      const engineClock = new ManualClock(T0);
      const engine = new Engine({ clock: engineClock });
      const redisClock = new ManualClock(T0);
      const broker: RedisBroker = await openRedisBroker({
        urls: [redis.url],
        clock: redisClock,
        prefix: uniquePrefix("fdiff"),
      });
      const sides: Side[] = [
        { broker: engine, clock: engineClock, ids: [], runDue: () => engine.runDue() },
        { broker, clock: redisClock, ids: [], runDue: () => broker.runDue() },
      ];
      for (const side of sides) side.broker.configureFailures(DEFAULTS);
      const trace: string[] = [];
      // jobs the engine delivered lately: NACKs and ACKs mostly aim at them, as a Worker's do
      const recent: number[] = [];
      try {
        for (let step = 0; step < STEPS; step++) {
          const [label, run] = pickStep(rng, sides[0]!.ids.length, recent);
          trace.push(`${step}: ${label}`);
          const answers = [];
          for (const side of sides) answers.push(await outcome(() => run(side)));
          const states = [];
          for (const side of sides) states.push(await snapshot(side));
          const context = `seed ${seed}, steps:\n${trace.slice(-12).join("\n")}`;
          assert.deepEqual(answers[1], answers[0], context);
          // a job failed or acked is no longer the Worker's
          const target = /^(nack|ack|retryJob|enqueue) J(\d+)/.exec(label);
          if (target) recent.splice(0, recent.length, ...recent.filter((i) => i !== Number(target[2]) - 1));
          if (label.startsWith("take")) {
            const taken = (answers[0] as { ok?: Array<[number]> }).ok ?? [];
            recent.push(...taken.map(([index]) => index));
            recent.splice(0, Math.max(0, recent.length - 4));
          }
          assert.deepEqual(states[1], states[0], context);
        }
      } finally {
        await broker.close();
      }
    }
  });
});

type Step = [string, (side: Side) => Promise<unknown>];

function pickStep(rng: Rng, known: number, recent: number[]): Step {
  const queue = rng.pick(QUEUES);
  const r = rng.int(0, 99);
  if (r < 15 || known === 0) {
    const req: AddJobRequest = { queue, body: Buffer.from(`b${known}`), retry: rng.pick([0, 5, 10, 10]) };
    if (rng.chance(0.6)) req.retryBudget = rng.int(0, 2);
    const backoff = rng.pick(BACKOFFS);
    if (backoff !== undefined) req.backoff = parseBackoff(backoff);
    if (rng.chance(0.3)) req.runTimeoutMs = 1000;
    return [
      `add ${JSON.stringify({ ...req, body: undefined })}`,
      async (side) => {
        const { id } = await side.broker.addJob(req);
        side.ids.push(id);
        return "added";
      },
    ];
  }
  const pick = recent.length > 0 && rng.chance(0.75) ? rng.pick(recent) : rng.int(0, known - 1);
  const nth = (side: Side): string => side.ids[pick]!;
  if (r < 42) {
    const count = rng.int(1, 2);
    return [
      `take ${queue} ${count}`,
      async (side) => {
        const got = await side.broker.getJobs({ queues: [queue], count, nohang: true, timeoutMs: 0 });
        return got?.map((d) => [side.ids.indexOf(d.id), d.nacks, d.retryBudgetLeft, d.runTimeoutMs]);
      },
    ];
  }
  if (r < 62) {
    const options: NackOptions = {};
    if (rng.chance(0.15)) options.delayMs = rng.pick([0, 150, 1000]);
    if (rng.chance(0.6)) options.backoff = true;
    if (rng.chance(0.4)) options.error = rng.pick(["", "boom", "é".repeat(600)]);
    if (rng.chance(0.2)) options.timedOut = true;
    if (rng.chance(0.2)) options.retries = rng.int(0, 3);
    if (rng.chance(0.2)) options.placement = "back";
    return [
      `nack J${pick + 1} ${JSON.stringify(options)}`,
      async (side) => side.broker.nack([nth(side)], options),
    ];
  }
  if (r < 68) return [`retryJob J${pick + 1}`, async (side) => side.broker.retryJob(queue, nth(side))];
  if (r < 73) {
    const result = rng.chance(0.5) ? Buffer.from(`r${pick}`) : undefined;
    return [`ack J${pick + 1} ${result}`, async (side) => side.broker.ackJobs([nth(side)], result)];
  }
  if (r < 78) {
    const which = rng.chance(0.5) ? { count: rng.int(1, 2) } : undefined;
    return [
      `redrive ${queue} ${which ? which.count : `J${pick + 1}`}`,
      async (side) => {
        const n = await side.broker.redrive(queue, which ?? { ids: [nth(side)] });
        // the new jobs, named in seq order (both stores give them seqs oldest letter first)
        const all = (await side.broker.jscan(0, { count: 1, busyloop: true })).items;
        for (const job of all.sort((x, y) => x.seq - y.seq))
          if (!side.ids.includes(job.id)) side.ids.push(job.id);
        return n;
      },
    ];
  }
  if (r < 80) return [`enqueue J${pick + 1}`, async (side) => side.broker.enqueue([nth(side)])];
  if (r < 82) {
    return [`purge ${queue} 1`, async (side) => side.broker.purgeDeadLetters(queue, { count: 1 })];
  }
  if (r < 85) {
    return [
      `purge ids J${pick + 1}`,
      async (side) => side.broker.purgeDeadLetters(queue, { ids: [nth(side)] }),
    ];
  }
  if (r < 88) {
    const cap = rng.pick([undefined, 0, 1, 3]);
    const budget = rng.pick([undefined, 1]);
    const policy = {
      ...(cap !== undefined && { deadLetterCap: cap }),
      ...(budget !== undefined && { retryBudget: budget }),
    };
    return [
      `policy ${queue} ${JSON.stringify(policy)}`,
      async (side) => side.broker.setQueuePolicy(queue, policy),
    ];
  }
  const ms = rng.pick([50, 100, 150, 200, 400, 1000, 5000]);
  return [
    `advance ${ms}`,
    async (side) => {
      side.clock.advance(ms);
      await side.runDue();
      return ms;
    },
  ];
}
