import { performance } from "node:perf_hooks";
import { RespConn, type Reply } from "./clients.js";
import { QUEUE, type Running } from "./systems.js";
import { bodyTime, makeBody, percentile, type Outcome } from "./workloads.js";

/**
 * (f) failing jobs, docket only: producers and consumers together as in
 * (c), but every third job fails twice (NACK … BACKOFF, the job's own
 * `fixed:<backoffMs>` policy) before it succeeds. Measures the jobs
 * completed per second and the add-to-fetch latency of the healthy jobs:
 * what retries in backoff cost the jobs that do not fail.
 */

export interface FailingOutcome extends Outcome {
  /** NACKs sent: twice per failing job */
  nacks: number;
}

/** job `seq` fails twice before it succeeds */
export const failsTwice = (seq: number): boolean => seq % 3 === 0;

function seqOf(body: string): number {
  const from = body.indexOf(":") + 1;
  return Number(body.slice(from, body.indexOf(":", from)));
}

const errorOf = (e: Error | null, r: Reply): Error | null => e ?? (r instanceof Error ? r : null);

export async function failing(
  sys: Running,
  n: number,
  producers: number,
  consumers: number,
  backoffMs = 10,
): Promise<FailingOutcome> {
  const ps = await Promise.all(Array.from({ length: producers }, () => RespConn.connect(sys.port)));
  const cs = await Promise.all(Array.from({ length: consumers }, () => RespConn.connect(sys.port)));
  const healthy = new Float64Array(n - Math.ceil(n / 3));
  let measured = 0;
  let nacks = 0;
  try {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      let issued = 0;
      let acked = 0;
      let finished = false;
      const fail = (err: Error): void => {
        if (finished) return;
        finished = true;
        reject(err);
      };
      const produce = (c: RespConn): void => {
        if (finished || issued >= n) return;
        const seq = issued++;
        c.send(["ADDJOB", QUEUE, makeBody(seq), "0", "BACKOFF", `fixed:${backoffMs}`], (e, r) => {
          const err = errorOf(e, r);
          if (err) return fail(err);
          produce(c);
        });
      };
      const consume = (c: RespConn): void => {
        if (finished) return;
        c.send(["GETJOB", "TIMEOUT", "1000", "WITHCOUNTERS", "FROM", QUEUE], (e, r) => {
          const err = errorOf(e, r);
          if (err) return fail(err);
          const job = Array.isArray(r) ? (r[0] as Reply[] | undefined) : undefined;
          if (!job) return consume(c);
          const id = job[1] as string;
          const body = job[2] as string;
          const seq = seqOf(body);
          const jobNacks = Number(job[4]);
          if (failsTwice(seq) && jobNacks < 2) {
            nacks++;
            c.send(["NACK", id, "BACKOFF", "ERROR", `attempt ${jobNacks + 1} failed`], (e2, r2) => {
              const err2 = errorOf(e2, r2);
              if (err2) fail(err2);
            });
          } else {
            if (!failsTwice(seq)) healthy[measured++] = performance.now() - bodyTime(body);
            c.send(["ACKJOB", id], (e2, r2) => {
              const err2 = errorOf(e2, r2);
              if (err2) return fail(err2);
              if (++acked === n && !finished) {
                finished = true;
                resolve();
              }
            });
          }
          consume(c);
        });
      };
      if (n === 0) return resolve();
      for (const c of cs) consume(c);
      for (const c of ps) produce(c);
    });
    const seconds = (performance.now() - t0) / 1000;
    const sorted = healthy.subarray(0, measured).sort();
    return { jobsPerSec: n / seconds, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), nacks };
  } finally {
    for (const c of [...ps, ...cs]) c.close();
  }
}
