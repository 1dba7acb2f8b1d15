import type { Job } from "./job.js";

/**
 * What one live job costs beyond its body: its slot in the job table's
 * columns (job-table.ts), its id's place in the hash, the body string's
 * header and its entries in the engine's indexes (sequence list, ready
 * list, timer heap). Measured: about 180 bytes with a 100-byte body, 120
 * of them outside V8's heap (docs/performance.md); an estimate, as Redis's
 * per-object overhead is.
 */
export const JOB_OVERHEAD_BYTES = 200;

/** The bytes a job is counted for against --maxmemory. */
export function jobBytes(job: Job): number {
  return JOB_OVERHEAD_BYTES + job.bodyBytes;
}
