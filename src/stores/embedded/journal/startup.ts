/** Start-up steps of Journal.open after recovery: the segment to append to, the MANIFEST, the log line. */
import { basename, join } from "node:path";
import type { Logger } from "../../../log.js";
import { journalName } from "./files.js";
import { type JournalFs } from "./fs.js";
import { type Manifest } from "./manifest.js";
import { type RecoveryResult } from "./recovery.js";
import { Segment } from "./write-queue.js";

/** What start-up found, for the log and INFO. */
export interface StartupReport {
  records: number;
  jobs: number;
  expired: number;
  ms: number;
  tornBytes: number;
  skippedBytes: number;
}

/** The journal to append to: the last one recovered, cut after its last valid record; or a new one. */
export async function openSegment(fs: JournalFs, dir: string, recovered: RecoveryResult): Promise<Segment> {
  const last = recovered.journals[recovered.journals.length - 1];
  if (last) {
    const fd = await fs.open(last.path, "append");
    const size = await fs.size(fd);
    const end = last.hasHeader ? last.bytes : 0;
    if (size > end) await fs.truncate(fd, end);
    // What is kept is recorded as durable next: make it so (a killed process's writes may be unsynced).
    await fs.fdatasync(fd);
    return new Segment(last.path, last.generation, fd, end);
  }
  const generation = recovered.snapshot?.generation ?? 1;
  const path = join(dir, journalName(generation));
  const fd = await fs.open(path, "create");
  await fs.syncDir(dir);
  return new Segment(path, generation, fd, 0);
}

/** The files start-up kept, as the MANIFEST will list them; every byte of them made durable first. */
export async function recordFiles(
  fs: JournalFs,
  recovered: RecoveryResult,
  segment: Segment,
): Promise<Manifest> {
  const journals = recovered.journals.map((j) => ({ name: basename(j.path), bytes: j.bytes }));
  for (const journal of recovered.journals.slice(0, -1)) {
    const fd = await fs.open(journal.path, "read");
    try {
      await fs.fdatasync(fd);
    } finally {
      await fs.close(fd);
    }
  }
  const current = basename(segment.path);
  const last = journals[journals.length - 1];
  if (last?.name === current) last.bytes = segment.syncedPos;
  else journals.push({ name: current, bytes: segment.syncedPos });
  const snapshot = recovered.snapshot;
  return { snapshot: snapshot && { name: basename(snapshot.path), bytes: snapshot.bytes }, journals };
}

export function logRecovery(
  log: Logger,
  dir: string,
  recovered: RecoveryResult,
  report: StartupReport,
): void {
  if (recovered.tail) {
    log.warn(
      { file: recovered.tail.path, offset: recovered.tail.offset, bytes: recovered.tail.bytes },
      "cut a torn or damaged record at the end of the journal (a write interrupted by a crash)",
    );
  }
  if (recovered.legacy) {
    log.warn(
      { dir },
      "no MANIFEST in the data directory (written by an older docket): missing or truncated files " +
        "could not be checked this time; one is written now",
    );
  }
  for (const drop of recovered.dropped) {
    log.error(drop, `--repair: ${drop.detail}; started without it`);
  }
  for (const range of recovered.skipped) {
    log.error(
      { file: range.path, offset: range.offset, bytes: range.bytes },
      "--repair: skipped damaged bytes; the records in them are lost",
    );
  }
  if (recovered.removed.length > 0) {
    log.info({ files: recovered.removed }, "removed files left by an interrupted compaction");
  }
  log.info(
    {
      dir,
      jobs: report.jobs,
      expiredOnLoad: report.expired,
      records: report.records,
      snapshot: recovered.snapshot?.path,
      journals: recovered.journals.length,
      ms: report.ms,
    },
    "journal loaded",
  );
}
