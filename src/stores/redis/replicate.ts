import type { Redis } from "ioredis";
import { BrokerError } from "../../core/contract.js";
import { dropsOf } from "./connection-drops.js";
import { keySlot } from "./keys.js";
import { decodeAdd } from "./replies.js";
import { num, type Reply } from "./script.js";
import type { QueueStore } from "./store.js";

/**
 * How long past its WAIT timeout a wait-repl job is kept before a timer run
 * deletes it as an orphan: room for a slow server to run RELEASE in time.
 */
const WAIT_REPL_GRACE_MS = 10_000;

/** Disque's NOREPL when WAIT falls short of the replicas asked for */
function replicationTimedOut(): BrokerError {
  return new BrokerError("NOREPL", "Timeout reached before replicating to the requested number of nodes");
}

/**
 * REPLICATE n (docs/redis.md, "REPLICATE levels"): on a connection of its
 * own to the queue's master, the job is added in the wait-repl state (not
 * deliverable), `WAIT n-1` confirms it on the replicas, RELEASE makes it
 * ready, and a second `WAIT n-1` confirms the release before the producer
 * is told. So a job whose producer got its id is ready on n copies, and a
 * wait-repl job anywhere (an orphan of a server killed between the steps)
 * was never acknowledged: the timer run that deletes it at its hold
 * deadline can never lose an acknowledged job, even on a promoted replica.
 * Too few replicas attached: NOREPL at once, nothing added.
 * `args` are add-12.lua's ARGV from 4 up to holdUntil (excluded), `tail` the rest (origin and
 * scheduling options), `extraKeys` its keys after the queue's (an idempotency key); the reply is
 * add's. A duplicate (its key taken) adds nothing, so there is nothing to wait for.
 */
export async function addReplicated(
  store: QueueStore,
  queue: string,
  id: string,
  args: Array<string | Buffer | number>,
  repl: number,
  timeoutMs: number,
  tail: Array<string | number>,
  extraKeys: string[],
): Promise<Reply> {
  const conn: Redis = store.conns.replicationConnection(keySlot(store.keys.queue(queue)[0]!));
  const role = (await conn.call("ROLE")) as unknown[];
  const attached = Array.isArray(role[2]) ? role[2].length : 0;
  if (attached < repl - 1) {
    throw new BrokerError("NOREPL", "Not enough reachable nodes for the requested replication level");
  }
  // WAIT 0 blocks for ever: such a job is held until its TTL at most.
  const holdUntil = timeoutMs > 0 ? store.clock.now() + timeoutMs + WAIT_REPL_GRACE_MS : -1;
  const drops = dropsOf(conn);
  const added = await store.runOn(conn, "add", queue, [...args, holdUntil, ...tail], extraKeys);
  if (decodeAdd(added).duplicate) return added;
  // Known to the timer runs before WAIT, so an orphan is swept by any server.
  await Promise.all([
    decodeAdd(added).created ? store.queues.register(queue) : undefined,
    holdUntil > 0 ? store.timers.note(queue, holdUntil) : undefined,
  ]);
  // each step reads the clock when it runs: RELEASE starts the job's retry timer
  const step = (name: "release" | "retract"): Promise<Reply> => store.runOn(conn, name, queue, [id]);
  // A WAIT after a drop ran on another connection (connection-drops.ts): it confirms nothing.
  const sameConnection = (): boolean => dropsOf(conn) === drops;
  const replicated = async (): Promise<boolean> =>
    (await conn.wait(repl - 1, timeoutMs)) >= repl - 1 && sameConnection();
  if (!(await replicated())) {
    await step("retract");
    throw replicationTimedOut();
  }
  if (num(await step("release")) !== 1) {
    // deleted meanwhile (DELJOB, or swept past its hold deadline): nobody ever had it
    throw replicationTimedOut();
  }
  // The replicas have the job but maybe not its release. Undo it if no consumer had it;
  // a job already delivered is running, so the producer is told it was added (docs/redis.md).
  if (!(await replicated())) {
    if (num(await step("retract")) === 1) throw replicationTimedOut();
    // Not retracted: delivered, so running. Or, after a drop, maybe not on this master at all.
    if (!sameConnection()) throw replicationTimedOut();
  }
  return added;
}
