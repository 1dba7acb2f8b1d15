import { join } from "node:path";
import { crc32 } from "./checksum.js";
import { MANIFEST_FILE } from "./files.js";
import { readSmallFile, replaceFile, type JournalFs } from "./fs.js";

/**
 * The data directory's record of what it must hold: the snapshot (with its
 * exact size) and the journals after it, each with the number of its bytes
 * known to be on disk (fsynced). Start-up checks the files against it, so
 * a missing, truncated or shortened file is an error, not a smaller state.
 *
 *   docket manifest 1
 *   snapshot snapshot-3.snap 1048576
 *   journal journal-3.log 524288
 *   crc 1a2b3c4d
 *
 * `crc` is the CRC-32 of every line before it. The file is replaced
 * atomically (written as MANIFEST.tmp, fsynced, renamed, directory
 * fsynced) when files are created or compacted away, at start-up and at
 * shutdown. A journal's durable length only grows, so it is recorded
 * lazily: at most once per `intervalMs` after fsyncs moved it, never on
 * the write path.
 */

export interface ManifestEntry {
  name: string;
  /** snapshot: its size; journal: bytes known durable (it may be longer) */
  bytes: number;
}

export interface Manifest {
  snapshot: ManifestEntry | undefined;
  /** oldest first, generations following each other from the snapshot's */
  journals: ManifestEntry[];
}

export class ManifestError extends Error {
  override name = "ManifestError";
}

const MAGIC = "docket manifest 1";

export function formatManifest(manifest: Manifest): string {
  let text = `${MAGIC}\n`;
  if (manifest.snapshot) text += `snapshot ${manifest.snapshot.name} ${manifest.snapshot.bytes}\n`;
  for (const journal of manifest.journals) text += `journal ${journal.name} ${journal.bytes}\n`;
  return `${text}crc ${crc32(Buffer.from(text)).toString(16).padStart(8, "0")}\n`;
}

export function parseManifest(path: string, text: string): Manifest {
  const at = text.lastIndexOf("crc ");
  const body = at >= 0 ? text.slice(0, at) : "";
  const crc = crc32(Buffer.from(body)).toString(16).padStart(8, "0");
  if (at < 0 || text.slice(at) !== `crc ${crc}\n` || !body.startsWith(`${MAGIC}\n`)) {
    throw new ManifestError(`${path} is damaged (bad checksum or format)`);
  }
  const manifest: Manifest = { snapshot: undefined, journals: [] };
  for (const line of body.split("\n").slice(1, -1)) {
    const [kind, name, bytes] = line.split(" ");
    const entry = { name: name ?? "", bytes: Number(bytes) };
    if (kind === "snapshot" && manifest.snapshot === undefined) manifest.snapshot = entry;
    else if (kind === "journal") manifest.journals.push(entry);
    else throw new ManifestError(`${path}: unexpected line "${line}"`);
  }
  return manifest;
}

/** The directory's manifest; undefined when it has none (a new directory, or one an older docket wrote). */
export async function readManifest(fs: JournalFs, dir: string): Promise<Manifest | undefined> {
  const text = await readSmallFile(fs, dir, MANIFEST_FILE);
  return text === undefined ? undefined : parseManifest(join(dir, MANIFEST_FILE), text);
}

/** Replaces the manifest atomically (fs.ts replaceFile). */
export function writeManifest(fs: JournalFs, dir: string, manifest: Manifest): Promise<void> {
  return replaceFile(fs, dir, MANIFEST_FILE, formatManifest(manifest));
}

/** The running server's manifest: changes saved one at a time, durable lengths lazily. */
export class ManifestKeeper {
  private manifest: Manifest;
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly fs: JournalFs,
    private readonly dir: string,
    manifest: Manifest,
    private readonly intervalMs: number,
    private readonly onError: (error: Error) => void,
  ) {
    this.manifest = manifest;
  }

  get current(): Manifest {
    return this.manifest;
  }

  /** Records a new set of files and saves it now. */
  set(manifest: Manifest): Promise<void> {
    this.manifest = manifest;
    return this.save();
  }

  /** A journal's durable length grew: saved within `intervalMs`, off the write path. */
  durable(name: string, bytes: number): void {
    const entry = this.manifest.journals.find((journal) => journal.name === name);
    if (entry === undefined || bytes <= entry.bytes) return;
    entry.bytes = bytes;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.save().catch(this.onError);
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Writes the manifest as it is when the write starts (after any write before it). */
  save(): Promise<void> {
    const run = () => writeManifest(this.fs, this.dir, this.manifest);
    this.writing = this.writing.then(run, run);
    return this.writing;
  }

  /** Stops the lazy save (the caller saves one last time). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
