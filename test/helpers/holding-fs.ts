import { nodeFs, type JournalFs } from "../../src/stores/embedded/journal/index.js";

/**
 * The real file system, whose journal writes and fsyncs can be held: while
 * `holding`, each one waits until the test lets it go (`releaseNext`). It
 * has no synchronous writev, so every write takes the writer's
 * asynchronous loop, the one that can be made to wait.
 */
export class HoldingFs implements JournalFs {
  holding = false;
  /** writes and fsyncs that reached the disk */
  done = 0;
  private held: Array<() => void> = [];

  /** operations waiting to be let go */
  get waiting(): number {
    return this.held.length;
  }

  /** Lets the oldest held operation go. */
  releaseNext(): void {
    this.held.shift()?.();
  }

  /** Stops holding, and lets every held operation go. */
  releaseAll(): void {
    this.holding = false;
    while (this.held.length > 0) this.releaseNext();
  }

  private async step<T>(run: () => Promise<T>): Promise<T> {
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
    const value = await run();
    this.done++;
    return value;
  }

  mkdir = (path: string) => nodeFs.mkdir(path);
  readdir = (path: string) => nodeFs.readdir(path);
  open = (path: string, mode: "append" | "create" | "read") => nodeFs.open(path, mode);
  size = (fd: number) => nodeFs.size(fd);
  read = (fd: number, buffer: Buffer, offset: number, length: number, position: number) =>
    nodeFs.read(fd, buffer, offset, length, position);
  writev = (fd: number, buffers: Buffer[], position: number) =>
    this.step(() => nodeFs.writev(fd, buffers, position));
  fdatasync = (fd: number) => this.step(() => nodeFs.fdatasync(fd));
  truncate = (fd: number, length: number) => nodeFs.truncate(fd, length);
  close = (fd: number) => nodeFs.close(fd);
  rename = (from: string, to: string) => nodeFs.rename(from, to);
  unlink = (path: string) => nodeFs.unlink(path);
  syncDir = (path: string) => nodeFs.syncDir(path);
}
