import type { StoredJob } from "../../../core/changes.js";
import type { BodyRange } from "./body-arena.js";
import type { IdText } from "./id-column.js";

/** A job as the journal stores it: defined with the changes (src/core/changes.ts). */
export type { StoredJob };

/**
 * A stored job being replayed at start-up whose id and small body are
 * still bytes in the journal record (journal/reused-job-record.ts): the
 * job table parses the id and copies the body from them, and `id` and
 * `body` are made a string and a Buffer only when read.
 */
export interface ReplayedJob extends StoredJob {
  readonly idText?: IdText | undefined;
  readonly bodyRange?: BodyRange | undefined;
}
