import * as fs from "node:fs";
import { join } from "node:path";
import { TMP_SUFFIX } from "./files.js";

/**
 * The file operations the journal uses, behind an interface so that a test
 * can make them fail (a full disk, an I/O error) without a real full disk.
 * Files are plain numeric descriptors; every call is asynchronous, except
 * the two optional synchronous ones the writer's fast path uses (a file
 * system without them is written through the thread pool only).
 */
export interface JournalFs {
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  /** "append": create if missing, read/write; "create": new file, truncated; "read": read only */
  open(path: string, mode: "append" | "create" | "read"): Promise<number>;
  size(fd: number): Promise<number>;
  read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** writes at `position`; may write fewer bytes than asked (the caller loops) */
  writev(fd: number, buffers: Buffer[], position: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  /** writev in the calling thread (the writer's fast path: a write to the page cache takes microseconds) */
  writevSync?(fd: number, buffers: Buffer[], position: number): number;
  /** fdatasync in the calling thread (the fast path under `always`, as Redis syncs its AOF) */
  fdatasyncSync?(fd: number): void;
  truncate(fd: number, length: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** makes renames, creations and deletions in a directory durable */
  syncDir(path: string): Promise<void>;
}

function call<T>(fn: (cb: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    fn((err, value) => (err ? reject(err) : resolve(value as T)));
  });
}

const OPEN_FLAGS = { append: "a+", create: "w+", read: "r" } as const;

/** The real file system (Node's callback API: no FileHandle per file). */
export const nodeFs: JournalFs = {
  mkdir: async (path) => {
    await fs.promises.mkdir(path, { recursive: true });
  },
  readdir: (path) => fs.promises.readdir(path),
  // "a+" would force every write to the end; positional writes need "r+" on an existing file.
  open: async (path, mode) => {
    if (mode === "append") {
      try {
        return await call<number>((cb) => fs.open(path, "r+", cb));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        return call<number>((cb) => fs.open(path, "w+", cb));
      }
    }
    return call<number>((cb) => fs.open(path, OPEN_FLAGS[mode], cb));
  },
  size: async (fd) => (await call<fs.Stats>((cb) => fs.fstat(fd, cb))).size,
  read: (fd, buffer, offset, length, position) =>
    call<number>((cb) => fs.read(fd, buffer, offset, length, position, cb)),
  writev: (fd, buffers, position) => call<number>((cb) => fs.writev(fd, buffers, position, cb)),
  fdatasync: (fd) => call<void>((cb) => fs.fdatasync(fd, cb)),
  writevSync: (fd, buffers, position) => fs.writevSync(fd, buffers, position),
  fdatasyncSync: (fd) => fs.fdatasyncSync(fd),
  truncate: (fd, length) => call<void>((cb) => fs.ftruncate(fd, length, cb)),
  close: (fd) => call<void>((cb) => fs.close(fd, cb)),
  rename: (from, to) => call<void>((cb) => fs.rename(from, to, cb)),
  unlink: (path) => call<void>((cb) => fs.unlink(path, cb)),
  syncDir: async (path) => {
    const fd = await call<number>((cb) => fs.open(path, "r", cb));
    try {
      await call<void>((cb) => fs.fsync(fd, cb));
    } finally {
      await call<void>((cb) => fs.close(fd, cb));
    }
  },
};

/** Writes all of `chunks` at `position`, looping over short writes. */
export async function writeFully(
  fs: JournalFs,
  fd: number,
  chunks: Buffer[],
  position: number,
): Promise<number> {
  let bytes = 0;
  for (const chunk of chunks) bytes += chunk.length;
  let written = 0;
  while (written < bytes) {
    const n = await fs.writev(fd, chunks, position + written);
    if (n <= 0) throw new Error("the file accepted no bytes");
    written += n;
    if (written < bytes) chunks = skipBytes(chunks, n);
  }
  return bytes;
}

/** writeFully in the calling thread; `writevSync` is the file system's. */
export function writeFullySync(
  writevSync: (fd: number, buffers: Buffer[], position: number) => number,
  fd: number,
  chunks: Buffer[],
  position: number,
): number {
  let bytes = 0;
  for (const chunk of chunks) bytes += chunk.length;
  let written = 0;
  while (written < bytes) {
    const n = writevSync(fd, chunks, position + written);
    if (n <= 0) throw new Error("the file accepted no bytes");
    written += n;
    if (written < bytes) chunks = skipBytes(chunks, n);
  }
  return bytes;
}

/** The chunks left after the first `n` bytes. */
function skipBytes(chunks: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < chunks.length && n >= chunks[i]!.length) n -= chunks[i++]!.length;
  const rest = chunks.slice(i);
  if (n > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(n);
  return rest;
}

/** A small file's text (at most `limit` bytes of it); undefined when the directory has no such file. */
export async function readSmallFile(
  fs: JournalFs,
  dir: string,
  name: string,
  limit = 1024 * 1024,
): Promise<string | undefined> {
  if (!(await fs.readdir(dir)).includes(name)) return undefined;
  const fd = await fs.open(join(dir, name), "read");
  try {
    const buf = Buffer.alloc(Math.min(await fs.size(fd), limit));
    const n = await fs.read(fd, buf, 0, buf.length, 0);
    return buf.toString("utf8", 0, n);
  } finally {
    await fs.close(fd);
  }
}

/**
 * Replaces a small file atomically: write `name.tmp`, fsync, rename, fsync
 * the directory. A crash leaves the old file or the new one, never a part
 * (start-up deletes a leftover `.tmp`).
 */
export async function replaceFile(fs: JournalFs, dir: string, name: string, text: string): Promise<void> {
  const path = join(dir, name);
  const tmp = path + TMP_SUFFIX;
  const fd = await fs.open(tmp, "create");
  try {
    await writeFully(fs, fd, [Buffer.from(text)], 0);
    await fs.fdatasync(fd);
  } finally {
    await fs.close(fd);
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dir);
}
