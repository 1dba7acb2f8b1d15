import type { StoredJob } from "../../../core/changes.js";
import type { IdText } from "./id-column.js";

/** A job as the journal stores it: defined with the changes (src/core/changes.ts). */
export type { StoredJob };

/**
 * A stored job being replayed at start-up whose id is still bytes in the
 * journal record (journal/reused-job-record.ts): the job table parses
 * them, and `id` is made a string only when read.
 */
export interface ReplayedJob extends StoredJob {
  readonly idText?: IdText | undefined;
}
