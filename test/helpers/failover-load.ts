import assert from "node:assert/strict";
import { Redis } from "ioredis";

export interface FailoverRun {
  /** "cluster failover", "sentinel failover": the figures line's name */
  name: string;
  /** docket's RESP port */
  port: number;
  queue: string;
  /** kills the master (SIGKILL) */
  kill(): void;
  /** true once the deployment has promoted a replica */
  promoted(): Promise<boolean>;
  /** how long the promotion and docket's recovery may take, from the kill */
  timeoutMs: number;
  /**
   * How many times replicas have (re)synced with the promoted master so far
   * (its INFO stats `sync_full` + `sync_partial_ok` + `sync_partial_err`).
   * A replica that attaches, or attaches again, after adds flowed again
   * leaves the master short of replicas meanwhile: the deployment's own
   * switch still going on, where REPLICATE 2 answers NOREPL. Without it, no
   * error at all may follow the switch.
   */
  replicaSyncs?: () => Promise<number>;
}

/**
 * Four producers send `ADDJOB … REPLICATE 2` to docket while the master is
 * killed; after the promotion, adds must flow again by themselves. The queue
 * is then drained and every acknowledged add must be there once: no loss, no
 * duplicate, and no error after the switch. Prints the run's figures.
 */
export async function failoverUnderLoad(run: FailoverRun): Promise<void> {
  const acked = new Set<string>();
  let errors = 0;
  let longestWaitMs = 0;
  let recoveredAt = Infinity;
  /** errors of adds that ended after adds flowed again */
  const lateErrors: string[] = [];
  let stopping = false;
  const producer = async (n: number) => {
    const client = new Redis({ port: run.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
    client.on("error", () => {});
    let i = 0;
    while (!stopping) {
      const started = Date.now();
      try {
        const id = (await client.call("ADDJOB", run.queue, `p${n}-${i++}`, 10000, "REPLICATE", 2)) as string;
        acked.add(id);
      } catch (error) {
        errors++;
        if (Date.now() >= recoveredAt) lateErrors.push((error as Error).message);
      }
      longestWaitMs = Math.max(longestWaitMs, Date.now() - started);
    }
    client.disconnect();
  };
  const producers = [0, 1, 2, 3].map(producer);
  await sleep(1500);
  const ackedBeforeKill = acked.size;
  assert.ok(ackedBeforeKill > 0, "no add succeeded before the kill");
  const killedAt = Date.now();
  run.kill();
  // The deployment promotes a replica; docket must find it without being told.
  const deadline = Date.now() + run.timeoutMs;
  while (!(await run.promoted())) {
    assert.ok(Date.now() < deadline, "the deployment did not fail over");
    await sleep(100);
  }
  const promotedAt = Date.now();
  // Adds must succeed again after the switch: wait for a run of successes.
  const ackedAtPromotion = acked.size;
  while (acked.size < ackedAtPromotion + 200) {
    assert.ok(Date.now() < deadline, `docket did not follow the failover (${acked.size} acked)`);
    await sleep(50);
  }
  recoveredAt = Date.now();
  const syncsAtRecovery = await run.replicaSyncs?.();
  await sleep(1000);
  stopping = true;
  await Promise.all(producers);
  const resyncs = syncsAtRecovery === undefined ? 0 : (await run.replicaSyncs!()) - syncsAtRecovery;

  const seen = await drain(run.port, run.queue);
  const seenSet = new Set(seen);
  const lost = [...acked].filter((id) => !seenSet.has(id)).length;
  const duplicates = seen.length - seenSet.size;
  const syncsShown = syncsAtRecovery === undefined ? "not counted" : String(resyncs);
  console.log(
    `${run.name}: adds acked ${acked.size} (${ackedBeforeKill} before the kill), kills 1, ` +
      `errors ${errors} (${lateErrors.length} after adds flowed again, replica syncs then ${syncsShown}), ` +
      `lost ${lost}, duplicates ${duplicates}, longest client wait ${longestWaitMs} ms, ` +
      `promoted after ${promotedAt - killedAt} ms, adds flowing again after ${recoveredAt - killedAt} ms`,
  );
  assert.equal(lost, 0);
  assert.equal(duplicates, 0);
  // No error once adds flow again, unless a replica (re)synced with the promoted master after that
  // (see replicaSyncs): then NOREPL, the truth about those adds' replication, and nothing else.
  const excused = (message: string) => resyncs > 0 && message.startsWith("NOREPL ");
  assert.deepEqual(
    lateErrors.filter((message) => !excused(message)),
    [],
    "errors after adds flowed again",
  );
}

/** Takes and acks every job of the queue; their ids in the order taken. */
async function drain(port: number, queue: string): Promise<string[]> {
  const reader = new Redis({ port, host: "127.0.0.1" });
  const seen: string[] = [];
  try {
    for (;;) {
      const batch = (await reader.call("GETJOB", "NOHANG", "COUNT", 1000, "FROM", queue)) as Array<
        [string, string, string]
      > | null;
      if (!batch || batch.length === 0) return seen;
      for (const [, id] of batch) seen.push(id);
      await reader.call("FASTACK", ...batch.map(([, id]) => id));
    }
  } finally {
    reader.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
