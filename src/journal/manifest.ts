import { join } from "node:path";
import { crc32 } from "./checksum.js";
import { MANIFEST_FILE, TMP_SUFFIX } from "./files.js";
import { writeFully, type JournalFs } from "./fs.js";

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
  const path = join(dir, MANIFEST_FILE);
  if (!(await fs.readdir(dir)).includes(MANIFEST_FILE)) return undefined;
  const fd = await fs.open(path, "read");
  try {
    const size = await fs.size(fd);
    const buf = Buffer.alloc(Math.min(size, 1024 * 1024));
    const n = await fs.read(fd, buf, 0, buf.length, 0);
    return parseManifest(path, buf.toString("utf8", 0, n));
  } finally {
    await fs.close(fd);
  }
}

/** Replaces the manifest atomically: write a temporary file, fsync, rename, fsync the directory. */
export async function writeManifest(fs: JournalFs, dir: string, manifest: Manifest): Promise<void> {
  const path = join(dir, MANIFEST_FILE);
  const tmp = path + TMP_SUFFIX;
  const fd = await fs.open(tmp, "create");
  try {
    await writeFully(fs, fd, [Buffer.from(formatManifest(manifest))], 0);
    await fs.fdatasync(fd);
  } finally {
    await fs.close(fd);
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dir);
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
