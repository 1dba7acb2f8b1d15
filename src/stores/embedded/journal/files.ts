import { join } from "node:path";

/**
 * File names in the data directory. Generation G is a snapshot of the live
 * jobs taken when journal G was started, and journal G holds every change
 * from then on; a newer generation replaces the older ones once its
 * snapshot is complete.
 *
 *   LOCK               the running server's pid
 *   MANIFEST           which files the directory must hold, and their durable sizes
 *   NODE_ID            this node's id (40 hex digits), kept across restarts
 *   snapshot-G.snap    live jobs and paused queues
 *   journal-G.log      changes after snapshot G was started
 *   *.tmp              a snapshot being written (deleted at start-up)
 */

export const LOCK_FILE = "LOCK";
export const MANIFEST_FILE = "MANIFEST";
export const NODE_ID_FILE = "NODE_ID";
export const TMP_SUFFIX = ".tmp";

export type DataFileKind = "journal" | "snapshot";

export function journalName(generation: number): string {
  return `journal-${generation}.log`;
}

export function snapshotName(generation: number): string {
  return `snapshot-${generation}.snap`;
}

export interface DataFile {
  kind: DataFileKind;
  generation: number;
  name: string;
  path: string;
}

const PATTERN = /^(journal|snapshot)-([1-9][0-9]{0,14})\.(log|snap)$/;

/** The journal and snapshot files in a directory listing, oldest generation first. */
export function dataFiles(dir: string, names: string[]): DataFile[] {
  const out: DataFile[] = [];
  for (const name of names) {
    const match = PATTERN.exec(name);
    if (!match) continue;
    const kind = match[1] as DataFileKind;
    if ((kind === "journal") !== (match[3] === "log")) continue;
    out.push({ kind, generation: Number(match[2]), name, path: join(dir, name) });
  }
  return out.sort((a, b) => a.generation - b.generation || a.kind.localeCompare(b.kind));
}
