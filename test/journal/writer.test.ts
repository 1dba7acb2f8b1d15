import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { nodeFs, type JournalFs } from "../../src/stores/embedded/journal/fs.js";
import {
  FRAME_HEADER,
  checkFrame,
  decodeRecord,
  writeDelete,
} from "../../src/stores/embedded/journal/record.js";
import { JournalWriter, Segment, type FsyncPolicy } from "../../src/stores/embedded/journal/writer.js";

/** The group-commit writer on a real file, through a file system that counts and can misbehave. */

const dir = mkdtempSync(join(tmpdir(), "docket-writer-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

class TestFs implements JournalFs {
  writes = 0;
  syncs = 0;
  /** at most this many bytes per write call */
  maxWrite = Infinity;
  failNext = 0;
  /** while set, fdatasync waits for it */
  syncGate: Promise<void> | undefined;
  /** while true, each fdatasync waits until the test releases it */
  holdSyncs = false;
  held: Array<() => void> = [];
  syncStarted: (() => void) | undefined;

  mkdir = nodeFs.mkdir;
  readdir = nodeFs.readdir;
  open = nodeFs.open;
  size = nodeFs.size;
  read = nodeFs.read;
  truncate = nodeFs.truncate;
  close = nodeFs.close;
  rename = nodeFs.rename;
  unlink = nodeFs.unlink;
  syncDir = nodeFs.syncDir;
  writev = async (fd: number, buffers: Buffer[], position: number) => {
    this.writes++;
    if (this.failNext > 0) {
      this.failNext--;
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    }
    let room = this.maxWrite;
    const cut: Buffer[] = [];
    for (const buffer of buffers) {
      if (room <= 0) break;
      cut.push(buffer.subarray(0, room));
      room -= buffer.length;
    }
    return nodeFs.writev(fd, cut, position);
  };
  fdatasync = async (fd: number) => {
    this.syncs++;
    this.syncStarted?.();
    if (this.syncGate) await this.syncGate;
    if (this.holdSyncs) await new Promise<void>((resolve) => this.held.push(resolve));
    return nodeFs.fdatasync(fd);
  };
}

async function writerOn(fs: TestFs, policy: FsyncPolicy, options: { retryMs?: number } = {}) {
  const path = join(dir, `journal-${++files}.log`);
  const fd = await fs.open(path, "create");
  const writer = new JournalWriter(
    { fs, policy, retryMs: options.retryMs ?? 10 },
    new Segment(path, 1, fd, 0),
  );
  let n = 0;
  /** commits a small record whose id carries its number */
  const record = () => {
    const id = `D-00000000-${String(n++).padStart(24, "0")}-0001`;
    writer.committed(writeDelete(writer.encoder, writer.offset, id, "ack"));
  };
  /** the record numbers in the file, in file order */
  const numbers = () => {
    const bytes = readFileSync(path);
    const out: number[] = [];
    for (let at = 0; at < bytes.length;) {
      const length = checkFrame(bytes, at, bytes.length, at);
      assert.ok(length > 0, `valid record at ${at}`);
      const record = decodeRecord(bytes, at + FRAME_HEADER, at + FRAME_HEADER + length);
      assert.equal(record.type, 3);
      if (record.type === 3) out.push(Number(record.id.slice(11, 35)));
      at += FRAME_HEADER + length;
    }
    return out;
  };
  return { writer, record, numbers };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    assert.ok(Date.now() < deadline, "condition not reached");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe("journal writer", () => {
  it("group commit: the records of one turn share one write and one fsync", async () => {
    const fs = new TestFs();
    const { writer, record, numbers } = await writerOn(fs, "always");
    for (let i = 0; i < 100; i++) record();
    const durable = writer.whenDurable();
    assert.ok(durable instanceof Promise);
    await durable;
    assert.equal(fs.writes, 1);
    assert.equal(fs.syncs, 1);
    assert.equal(writer.whenDurable(), undefined, "nothing pending");
    assert.deepEqual(numbers(), range(100));
    await writer.close();
  });

  it("records made while an fsync is in flight form the next batch, durable in order", async () => {
    const fs = new TestFs();
    const { writer, record, numbers } = await writerOn(fs, "always");
    let release!: () => void;
    fs.syncGate = new Promise((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => (fs.syncStarted = resolve));
    record();
    const first = writer.whenDurable()!;
    await started;
    fs.syncStarted = undefined;
    record();
    record();
    const second = writer.whenDurable()!;
    const order: string[] = [];
    void first.then(() => order.push("first"));
    void second.then(() => order.push("second"));
    fs.syncGate = undefined;
    release();
    await second;
    assert.deepEqual(order, ["first", "second"]);
    assert.equal(fs.syncs, 2);
    assert.deepEqual(numbers(), range(3));
    await writer.close();
  });

  it("up to three fsyncs overlap; a later one finishing first still releases replies in order", async () => {
    const fs = new TestFs();
    fs.holdSyncs = true;
    const { writer, record, numbers } = await writerOn(fs, "always");
    const done: number[] = [];
    const batches: Array<Promise<void>> = [];
    for (let i = 0; i < 4; i++) {
      record();
      const durable = writer.whenDurable()!;
      batches.push(durable);
      void durable.then(() => done.push(i));
      await until(() => fs.writes === i + 1);
    }
    await until(() => fs.syncs === 3);
    assert.equal(fs.held.length, 3, "the fourth batch waits for a free fsync slot");
    fs.held[2]!(); // the third fsync covers batches 0, 1, 2
    await batches[2];
    assert.deepEqual(done, [0, 1, 2]);
    fs.held[0]!();
    fs.held[1]!();
    await until(() => fs.syncs === 4);
    assert.deepEqual(done, [0, 1, 2], "batch 3 needs an fsync started after its write");
    fs.held[3]!();
    await batches[3];
    assert.deepEqual(done, [0, 1, 2, 3]);
    assert.deepEqual(numbers(), range(4));
    fs.holdSyncs = false;
    await writer.close();
  });

  it("a failed fsync writes the unsynced batches again before anything is durable", async () => {
    const fs = new TestFs();
    const { writer, record, numbers } = await writerOn(fs, "always");
    let failSync = true;
    const realSync = fs.fdatasync;
    fs.fdatasync = async (fd: number) => {
      if (failSync) {
        failSync = false;
        throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
      }
      return realSync(fd);
    };
    record();
    record();
    await assert.rejects(writer.whenDurable()!, /Errors writing to the journal: EIO/);
    const writesAfterFailure = fs.writes;
    await until(() => writer.failure === undefined);
    assert.ok(fs.writes > writesAfterFailure, "written again");
    record();
    await writer.whenDurable();
    assert.deepEqual(numbers(), range(3));
    await writer.close();
  });

  it("short writes are continued where they stopped", async () => {
    const fs = new TestFs();
    fs.maxWrite = 7;
    const { writer, record, numbers } = await writerOn(fs, "always");
    for (let i = 0; i < 20; i++) record();
    await writer.whenDurable();
    assert.ok(fs.writes > 20);
    assert.deepEqual(numbers(), range(20));
    await writer.close();
  });

  it("a failed write rejects the waiting records, is retried at the same place, and recovers", async () => {
    const fs = new TestFs();
    const failures: Error[] = [];
    let recoveries = 0;
    const path = join(dir, `journal-${++files}.log`);
    const fd = await fs.open(path, "create");
    const writer = new JournalWriter(
      {
        fs,
        policy: "always",
        retryMs: 10,
        onFailure: (error) => failures.push(error),
        onRecovery: () => recoveries++,
      },
      new Segment(path, 1, fd, 0),
    );
    fs.failNext = 3;
    writer.committed(writeDelete(writer.encoder, writer.offset, `D-00000000-${"0".repeat(24)}-0001`, "ack"));
    await assert.rejects(
      writer.whenDurable()!,
      /^Error: Errors writing to the journal: ENOSPC: no space left/,
    );
    assert.match(writer.failure?.message ?? "", /ENOSPC/);
    await new Promise<void>((resolve) => {
      const poll = () => (writer.failure === undefined ? resolve() : setTimeout(poll, 5));
      poll();
    });
    assert.equal(failures.length, 1, "told once");
    assert.equal(recoveries, 1);
    writer.committed(
      writeDelete(writer.encoder, writer.offset, `D-00000000-${"1".padStart(24, "0")}-0001`, "ack"),
    );
    await writer.whenDurable();
    const bytes = readFileSync(path);
    assert.equal(checkFrame(bytes, 0, bytes.length, 0) + FRAME_HEADER, bytes.length / 2, "each record once");
    await writer.close();
  });

  it("everysec: records made during the periodic fsync do not wait for the next one", async () => {
    const fs = new TestFs();
    const { writer, record, numbers } = await writerOn(fs, "everysec");
    let release!: () => void;
    fs.syncGate = new Promise((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => (fs.syncStarted = resolve));
    record();
    await writer.whenDurable(); // written, not yet synced
    assert.equal(fs.syncs, 0);
    const keepAlive = setInterval(() => {}, 100); // the writer's own timer does not hold the process
    await started; // the once-a-second fsync is running
    clearInterval(keepAlive);
    record();
    const durable = writer.whenDurable()!;
    const since = performance.now();
    fs.syncGate = undefined;
    release();
    await durable;
    assert.ok(performance.now() - since < 500, `waited ${performance.now() - since} ms`);
    assert.deepEqual(numbers(), range(2));
    await writer.close();
  });
});

/** TestFs with the synchronous calls the writer's fast path uses, counted and able to fail. */
class SyncTestFs extends TestFs {
  syncWrites = 0;
  syncSyncs = 0;
  failNextSyncWrite = 0;
  failNextSyncSync = 0;
  writevSync = (fd: number, buffers: Buffer[], position: number) => {
    this.syncWrites++;
    if (this.failNextSyncWrite > 0) {
      this.failNextSyncWrite--;
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    }
    return nodeFs.writevSync!(fd, buffers, position);
  };
  fdatasyncSync = (fd: number) => {
    this.syncSyncs++;
    if (this.failNextSyncSync > 0) {
      this.failNextSyncSync--;
      throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
    }
    nodeFs.fdatasyncSync!(fd);
  };
}

/** Resolves after the setImmediate callbacks queued so far (the writer's flush among them) have run. */
const nextCheckPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("journal writer, fast path (writes in the flush's turn when the write loop is quiet)", () => {
  for (const policy of ["no", "everysec", "always"] as const) {
    it(`${policy}: a turn's records are written (and synced under always) in that turn, in one call each`, async () => {
      const fs = new SyncTestFs();
      const { writer, record, numbers } = await writerOn(fs, policy);
      for (let i = 0; i < 50; i++) record();
      let durable = false;
      void writer.whenDurable()!.then(() => (durable = true));
      await nextCheckPhase();
      assert.equal(durable, true, "released by the flush itself, with no thread-pool round trip");
      assert.equal(fs.syncWrites, 1);
      assert.equal(fs.writes, 0, "the asynchronous write loop did not run");
      assert.equal(fs.syncSyncs, policy === "always" ? 1 : 0);
      assert.equal(fs.syncs, 0);
      assert.deepEqual(numbers(), range(50));
      await writer.close();
    });
  }

  it("a failed synchronous write rejects the waiting records; the write loop retries it at the same place", async () => {
    const fs = new SyncTestFs();
    const { writer, record, numbers } = await writerOn(fs, "no");
    fs.failNextSyncWrite = 1;
    record();
    record();
    await assert.rejects(writer.whenDurable()!, /Errors writing to the journal: ENOSPC/);
    await until(() => writer.failure === undefined);
    assert.ok(fs.writes >= 1, "retried by the write loop");
    record();
    await writer.whenDurable();
    assert.deepEqual(numbers(), range(3), "each record once, in order");
    await writer.close();
  });

  it("always: a failed synchronous fsync writes the batch again before anything is durable", async () => {
    const fs = new SyncTestFs();
    const { writer, record, numbers } = await writerOn(fs, "always");
    fs.failNextSyncSync = 1;
    record();
    await assert.rejects(writer.whenDurable()!, /Errors writing to the journal: EIO/);
    await until(() => writer.failure === undefined);
    assert.ok(fs.writes >= 1 && fs.syncs >= 1, "written and synced again by the write loop");
    record();
    await writer.whenDurable();
    assert.deepEqual(numbers(), range(2));
    await writer.close();
  });

  it("always: after a failed synchronous fsync, later records go through the write loop and wait for its fsync", async () => {
    const fs = new SyncTestFs();
    const { writer, record, numbers } = await writerOn(fs, "always");
    // the failed fast fsync hands the batch to the write loop, whose own fsync the test holds
    fs.holdSyncs = true;
    fs.failNextSyncSync = 1;
    record();
    const first = writer.whenDurable()!;
    await assert.rejects(first, /EIO/);
    await until(() => fs.held.length === 1);
    record();
    let durable = false;
    void writer.whenDurable()!.then(() => (durable = true));
    await nextCheckPhase();
    assert.equal(durable, false, "not durable before an fsync that started after its write");
    fs.holdSyncs = false;
    for (const release of fs.held) release();
    await until(() => durable);
    assert.deepEqual(numbers(), range(2));
    await writer.close();
  });
});
