import type { Argv } from "./script.js";

/** add-12.lua's ARGV 4..27: the fields of each job of an addMany-12.lua run */
export const ADD_FIELDS = 24;

/** where the body is among a job's fields (add-12.lua's ARGV[6]) */
const BODY = 2;

/** joins a job's other fields in the compact form (ASCII 31, the unit separator) */
const SEPARATOR = "\x1f";

/**
 * addMany-12.lua's ARGV from 4 on, for jobs of ADD_FIELDS fields each.
 *
 * Compact (ARGV[4] = 0): each job is two arguments, its 23 other fields joined by the unit
 * separator, then its body. A plain add's fields are mostly '' and short numbers, and each
 * argument costs ioredis a step in building the command and its string (about 230 µs of
 * docket's CPU for a run of 19 jobs as 456 arguments, 65 µs as 38); the script splits them
 * with one string.match per job.
 *
 * A field that holds the separator (only an okq event id can: groups and schedule names are
 * printable ASCII, the rest numbers or ours), or a Buffer, sends the whole run in the plain
 * form (ARGV[4] = ADD_FIELDS, each job's fields one argument each), so that no job's field can
 * be split wrongly and the run keeps its order.
 */
export function addManyArgv(jobs: readonly Argv[]): Argv[] {
  const compact: Argv = [0];
  for (const job of jobs) {
    let fields = "";
    for (let k = 0; k < ADD_FIELDS; k++) {
      if (k === BODY) continue;
      const field = job[k] ?? "";
      if (typeof field === "object" || (typeof field === "string" && field.includes(SEPARATOR)))
        return [[ADD_FIELDS], ...jobs];
      fields = k === 0 ? String(field) : fields + SEPARATOR + field;
    }
    compact.push(fields, job[BODY]!);
  }
  return [compact];
}
