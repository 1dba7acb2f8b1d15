import type { Job } from "./job.js";

/**
 * What one live job costs beyond its body: the Job object, its id string and
 * its entries in the engine's indexes (id map, sequence list, queue list,
 * timer heap). Measured: about 290 bytes of V8 heap per job with a 1-byte
 * body; an estimate, as Redis's per-object overhead is.
 */
export const JOB_OVERHEAD_BYTES = 300;

/** The bytes a job is counted for against --maxmemory. */
export function jobBytes(job: Job): number {
  return JOB_OVERHEAD_BYTES + job.bodyBytes;
}
