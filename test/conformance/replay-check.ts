import type { JobInfo } from "../../src/core/contract.js";
import type { Engine } from "../../src/stores/embedded/engine/index.js";

/**
 * What an engine rebuilt from the journal must share with the live one, in a
 * form assert.deepEqual can compare: every job, each queue's order, pause
 * states, dead letters, task numbers, the keys that outlive their job and
 * the next seq. Leases are not
 * journaled (docs/persistence.md: a restart queues delivered jobs again), so
 * a delivered job is described as the rebuilt engine has it: queued, at its
 * place; timer fields (requeueAt, awakeAt) and the observation time are left
 * out, they follow the restart's clock.
 */
export function durableState(engine: Engine, queues: readonly string[], asLive?: Engine): unknown {
  const live = asLive ?? engine;
  const all = live.jscan(0, { count: 1, busyloop: true }).items;
  const delivered = new Set(all.filter(isDelivered).map((job) => job.id));
  const jobs = engine
    .jscan(0, { count: 1, busyloop: true })
    .items.sort((x, y) => x.seq - y.seq)
    .map((job) => describe(job, delivered.has(job.id)));
  return {
    jobs,
    queues: queues.map((queue) => ({
      queue,
      // delivered jobs are queued again in the rebuilt engine: compare without them
      order: engine
        .qpeek(queue, 1_000_000)
        .map((job) => job.id)
        .filter((id) => !delivered.has(id)),
      deadLetters: engine.deadLetters(queue, 1_000_000).map((d) => ({ ...d, body: d.body.toString("hex") })),
    })),
    // read-only (a PAUSE … STATE call would make the queue known)
    paused: engine.pausedQueues().sort(),
    taskNumbers: [...engine.taskNumberEntries()].sort(),
    nextSeq: engine.peekNextSeq(),
    results: [...engine.resultEntries()]
      .map((result) => ({ ...result, body: result.body.toString("hex") }))
      .sort((x, y) => (x.id < y.id ? -1 : 1)),
    policies: [...engine.policyEntries()].sort(),
    // a live job's key is in its SHOW fields above; these outlive their job
    orphanKeys: [...engine.orphanKeys()].sort((x, y) => x.seq - y.seq),
  };
}

/**
 * Leased: delivered and not acked (active without a pending delay), or a
 * delayed job or one in backoff that WORKING postponed (with a re-queue
 * time), which a restart also queues at once.
 */
function isDelivered(job: JobInfo): boolean {
  if (job.state === "backoff") return job.requeueAt !== null;
  return job.state === "active" && (job.delayedUntil === null || job.requeueAt !== null);
}

function describe(job: JobInfo, delivered: boolean): Record<string, unknown> {
  const { requeueAt: _r, awakeAt: _a, observedAt: _o, body, ...rest } = job;
  if (!delivered) return { ...rest, body: body.toString("hex") };
  return { ...rest, state: "queued", delayedUntil: null, backoffUntil: null, body: body.toString("hex") };
}
