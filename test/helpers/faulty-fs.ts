import { nodeFs, type JournalFs } from "../../src/stores/embedded/journal/index.js";

/**
 * The real file system, with switches that make writes or fsyncs fail the
 * way a full disk or a failing device does. This is the journal's
 * injectable file-system layer, not a stand-in for a docket component.
 */
export class FaultyFs implements JournalFs {
  /** errno code writes fail with (e.g. ENOSPC), or undefined */
  failWrites: string | undefined;
  /** errno code fdatasync fails with (e.g. EIO), or undefined */
  failSyncs: string | undefined;
  /** only files whose path matches fail */
  only: RegExp | undefined;
  writeFailures = 0;
  private readonly paths = new Map<number, string>();

  private fault(code: string, syscall: string, path: string): NodeJS.ErrnoException {
    const text: Record<string, string> = { ENOSPC: "no space left on device", EIO: "i/o error" };
    return Object.assign(new Error(`${code}: ${text[code] ?? "failure"}, ${syscall} '${path}'`), {
      code,
      syscall,
      path,
    });
  }

  private applies(fd: number): string | undefined {
    const path = this.paths.get(fd) ?? "?";
    return this.only === undefined || this.only.test(path) ? path : undefined;
  }

  mkdir = (path: string) => nodeFs.mkdir(path);
  readdir = (path: string) => nodeFs.readdir(path);
  open = async (path: string, mode: "append" | "create" | "read") => {
    const fd = await nodeFs.open(path, mode);
    this.paths.set(fd, path);
    return fd;
  };
  size = (fd: number) => nodeFs.size(fd);
  read = (fd: number, buffer: Buffer, offset: number, length: number, position: number) =>
    nodeFs.read(fd, buffer, offset, length, position);
  /** Throws the write fault when one is switched on for this file. */
  private checkWrite(fd: number): void {
    const path = this.applies(fd);
    if (this.failWrites && path !== undefined) {
      this.writeFailures++;
      throw this.fault(this.failWrites, "write", path);
    }
  }

  private checkSync(fd: number): void {
    const path = this.applies(fd);
    if (this.failSyncs && path !== undefined) throw this.fault(this.failSyncs, "fdatasync", path);
  }

  writev = async (fd: number, buffers: Buffer[], position: number) => {
    this.checkWrite(fd);
    return nodeFs.writev(fd, buffers, position);
  };
  fdatasync = async (fd: number) => {
    this.checkSync(fd);
    return nodeFs.fdatasync(fd);
  };
  // The writer's fast path: the same switches, thrown synchronously.
  writevSync = (fd: number, buffers: Buffer[], position: number) => {
    this.checkWrite(fd);
    return nodeFs.writevSync!(fd, buffers, position);
  };
  fdatasyncSync = (fd: number) => {
    this.checkSync(fd);
    nodeFs.fdatasyncSync!(fd);
  };
  truncate = (fd: number, length: number) => nodeFs.truncate(fd, length);
  close = (fd: number) => {
    this.paths.delete(fd);
    return nodeFs.close(fd);
  };
  rename = (from: string, to: string) => nodeFs.rename(from, to);
  unlink = (path: string) => nodeFs.unlink(path);
  syncDir = (path: string) => nodeFs.syncDir(path);
}
