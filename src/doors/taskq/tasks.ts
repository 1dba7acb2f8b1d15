import type { Awaitable, Broker, JobOrigin } from "../../core/contract.js";
import { andThen } from "../../util/awaitable.js";

/**
 * TaskQ's three operations, as both its doors (the text protocol and the
 * HTTP routes) run them: one broker call each, so the doors are two views
 * of the same tasks with the same ids and the same lease.
 */

/**
 * Seconds a dequeued task may stay un-acked before it is queued again.
 * TaskQ's README says two to three minutes; docket takes the two.
 */
export const TASKQ_LEASE_SECONDS = 120;

/** A dequeued task: its id within its queue, and its bytes. */
export interface Task {
  id: string;
  body: Buffer;
}

/**
 * Adds a task; resolves with its id: the queue's next task number (1, 2, …).
 * The job's RETRY is the lease, so a task taken by another door (GETJOB)
 * gets the same time to be acked.
 */
export function enqueueTask(
  broker: Broker,
  queue: string,
  body: Buffer,
  origin: JobOrigin,
): Awaitable<string> {
  const added = broker.addJob({ queue, body, retry: TASKQ_LEASE_SECONDS, perQueueNumber: true, origin });
  return andThen(added, (result) => result.clientKey!);
}

/**
 * Takes the queue's oldest task for the lease; null when there is none.
 * A job added by another door has no task number: its Disque job id
 * names it instead (ackTask accepts both).
 */
export function dequeueTask(broker: Broker, queue: string): Awaitable<Task | null> {
  const got = broker.getJobs({
    queues: [queue],
    count: 1,
    nohang: true,
    timeoutMs: 0,
    leaseSeconds: TASKQ_LEASE_SECONDS,
  });
  return andThen(got, (jobs) => {
    const job = jobs?.[0];
    return job ? { id: job.clientKey ?? job.id, body: job.body } : null;
  });
}

/**
 * Acknowledges (deletes) the task `id` of `queue` in one store call.
 * Resolves with the task's id (a number is read as TaskQ's uint64: "007"
 * is task 7), or null when the queue has no such task.
 */
export function ackTask(broker: Broker, queue: string, id: string): Awaitable<string | null> {
  const ref = /^[0-9]{1,15}$/.test(id) ? String(Number(id)) : id;
  return andThen(broker.ackInQueue(queue, ref, "event"), (acked) => (acked === 1 ? ref : null));
}
