import { nodeFs, type JournalFs } from "../../src/stores/embedded/journal/index.js";

/**
 * The real file system, which can stop dead at the n-th operation that
 * changes the disk: that operation and every later one never complete, as
 * if the process had been killed right there. The directory can then be
 * copied and recovered from. `release()` makes the frozen and all later
 * operations fail, so that the stuck server can be closed.
 */
export class FreezingFs implements JournalFs {
  /** count operations from now on */
  counting = false;
  ops = 0;
  freezeAt = Infinity;
  frozen = false;
  private failing = false;
  private held: Array<(error: Error) => void> = [];

  private gate<T>(run: () => Promise<T>): Promise<T> {
    if (this.failing) return Promise.reject(new Error("EIO: released after a simulated crash"));
    if (this.counting && ++this.ops >= this.freezeAt) this.frozen = true;
    if (this.frozen) return new Promise<T>((_, reject) => this.held.push(reject));
    return run();
  }

  release(): void {
    this.failing = true;
    for (const reject of this.held) reject(new Error("EIO: released after a simulated crash"));
    this.held = [];
  }

  mkdir = (path: string) => this.gate(() => nodeFs.mkdir(path));
  readdir = (path: string) => nodeFs.readdir(path);
  open = (path: string, mode: "append" | "create" | "read") =>
    mode === "read" ? nodeFs.open(path, mode) : this.gate(() => nodeFs.open(path, mode));
  size = (fd: number) => nodeFs.size(fd);
  read = (fd: number, buffer: Buffer, offset: number, length: number, position: number) =>
    nodeFs.read(fd, buffer, offset, length, position);
  writev = (fd: number, buffers: Buffer[], position: number) =>
    this.gate(() => nodeFs.writev(fd, buffers, position));
  fdatasync = (fd: number) => this.gate(() => nodeFs.fdatasync(fd));
  truncate = (fd: number, length: number) => this.gate(() => nodeFs.truncate(fd, length));
  close = (fd: number) => nodeFs.close(fd);
  rename = (from: string, to: string) => this.gate(() => nodeFs.rename(from, to));
  unlink = (path: string) => this.gate(() => nodeFs.unlink(path));
  syncDir = (path: string) => this.gate(() => nodeFs.syncDir(path));
}
