/** A job as the journal stores it: defined with the changes (src/core/changes.ts). */
export type { StoredJob } from "../../../core/changes.js";
