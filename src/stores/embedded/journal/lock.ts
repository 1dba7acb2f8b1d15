import {
  closeSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { fsyncSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { LOCK_FILE } from "./files.js";

/**
 * One server per data directory: a LOCK file holding the owner's pid and
 * boot id, created with O_EXCL. A lock whose process is gone (or is from
 * before a reboot) is stale and taken over.
 */

/** directories this process holds, so a second server in the same process is refused too */
const held = new Set<string>();

export class DataDirInUseError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `data directory ${dir} is in use by docket process ${pid} (lock file ${join(dir, LOCK_FILE)}); ` +
        `stop that server first, or delete the lock file if process ${pid} is not docket`,
    );
    this.name = "DataDirInUseError";
  }
}

function bootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
  } catch {
    return "";
  }
}

/** Whether `pid` is a live process (a zombie is not). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const state = stat[stat.lastIndexOf(")") + 2];
    return state !== "Z" && state !== "X";
  } catch {
    return true;
  }
}

interface LockOwner {
  pid: number;
  boot: string;
}

function parse(text: string): LockOwner | undefined {
  const [pid, boot = ""] = text.split("\n");
  const n = Number(pid);
  return Number.isSafeInteger(n) && n > 0 ? { pid: n, boot: boot.trim() } : undefined;
}

export class DataDirLock {
  /** the pid of the stale lock taken over, if any */
  tookOverFrom: number | undefined;

  private constructor(
    readonly dir: string,
    private readonly key: string,
    private readonly content: string,
  ) {}

  get path(): string {
    return join(this.dir, LOCK_FILE);
  }

  static acquire(dir: string): DataDirLock {
    mkdirSync(dir, { recursive: true });
    const key = realpathSync(dir);
    const path = join(dir, LOCK_FILE);
    const boot = bootId();
    const content = `${process.pid}\n${boot}\n`;
    let tookOverFrom: number | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (held.has(key)) throw new DataDirInUseError(dir, process.pid);
      try {
        const fd = openSync(path, "wx");
        try {
          writeSync(fd, content);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        held.add(key);
        const lock = new DataDirLock(dir, key, content);
        lock.tookOverFrom = tookOverFrom;
        return lock;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      let existing: string;
      try {
        existing = readFileSync(path, "latin1");
      } catch {
        continue; // gone meanwhile: try again
      }
      const owner = parse(existing);
      const stale =
        owner === undefined ||
        (owner.boot !== "" && boot !== "" && owner.boot !== boot) ||
        owner.pid === process.pid ||
        !processAlive(owner.pid);
      if (!stale) throw new DataDirInUseError(dir, owner.pid);
      // Move the stale lock aside atomically; if what was moved is not what
      // was inspected, another server took it over first: put it back.
      const aside = `${path}.stale-${process.pid}`;
      try {
        renameSync(path, aside);
      } catch {
        continue;
      }
      const moved = readFileSync(aside, "latin1");
      if (moved !== existing) {
        try {
          linkSync(aside, path);
        } catch {
          // a third server holds it now; ours will fail on EEXIST
        }
        unlinkSync(aside);
        continue;
      }
      unlinkSync(aside);
      tookOverFrom = owner?.pid;
    }
    throw new Error(`could not take the lock ${path}`);
  }

  release(): void {
    held.delete(this.key);
    try {
      if (readFileSync(this.path, "latin1") === this.content) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
