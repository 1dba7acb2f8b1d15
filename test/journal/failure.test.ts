import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { FaultyFs } from "../helpers/faulty-fs.js";
import { capturingLogger } from "../helpers/logs.js";
import { RawClient, int, simple } from "../helpers/raw-client.js";
import { tempDataDir, testServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/**
 * A full disk or a failing device: writes are refused with -MISCONF over a
 * real socket, reads go on, and the server heals by itself once the file
 * system works again. The failures come from the journal's injectable
 * file-system layer.
 */

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function idOf(reply: string): string {
  const match = /^\+(D-[^\r]{38})\r\n$/.exec(reply);
  assert.ok(match, reply);
  return match[1]!;
}

function persistenceField(infoReply: string, field: string): string | undefined {
  return new RegExp(`\\r\\n${field}:([^\\r]*)\\r\\n`).exec(infoReply)?.[1];
}

for (const fault of [
  { name: "a full disk (write fails with ENOSPC)", set: (fs: FaultyFs) => (fs.failWrites = "ENOSPC") },
  { name: "a failing device (fdatasync fails with EIO)", set: (fs: FaultyFs) => (fs.failSyncs = "EIO") },
]) {
  describe(`journal failure: ${fault.name}`, () => {
    it("writes get -MISCONF, reads keep working, writes come back by themselves", async () => {
      const dir = tempDataDir();
      dirs.push(dir);
      const fs = new FaultyFs();
      const { logger, lines } = capturingLogger();
      const t = await testServer({ dataDir: dir }, { journalFs: fs, logger });
      const c = await RawClient.connect(t.port);
      const before = idOf(await c.call("ADDJOB", "q", "before", 0));

      fault.set(fs);
      const failed = await c.call("ADDJOB", "q", "during", 0);
      const code = fs.failWrites ?? fs.failSyncs!;
      assert.match(failed, new RegExp(`^-MISCONF Errors writing to the journal: ${code}: .*\\r\\n$`));
      // Refused before anything changes while the journal cannot write.
      c.send("ADDJOB", "q", "refused", 0);
      c.send("ACKJOB", before);
      c.send("NACK", before);
      c.send("PAUSE", "q", "in");
      c.send("GETJOB", "NOHANG", "FROM", "empty"); // a write, as Disque flags it: it changes the job
      for (let i = 0; i < 5; i++) assert.match(await c.reply(), /^-MISCONF Errors writing to the journal: /);
      // Reads work.
      assert.equal(await c.call("QLEN", "q"), int(2)); // "during" was applied in memory before its write failed
      assert.match(await c.call("SHOW", before), /^\*30\r\n/);
      assert.match(await c.call("QPEEK", "q", 5), /before/);
      const info = await c.call("INFO", "persistence");
      assert.equal(persistenceField(info, "aof_last_write_status"), "err");
      assert.match(persistenceField(info, "aof_last_write_error") ?? "", new RegExp(code));
      assert.equal(await c.call("PING"), simple("PONG"));
      assert.ok(lines.some((line) => String(line.msg).includes("journal writes fail")));

      // Space returns: the server notices by itself.
      fs.failWrites = undefined;
      fs.failSyncs = undefined;
      await waitFor(
        async () => persistenceField(await c.call("INFO", "persistence"), "aof_last_write_status") === "ok",
        5000,
      );
      const afterId = idOf(await c.call("ADDJOB", "q", "after", 0));
      assert.equal(await c.call("QLEN", "q"), int(3));
      assert.ok(lines.some((line) => String(line.msg).includes("journal writes work again")));
      c.close();
      await t.close();

      // Everything acknowledged (and the change answered with MISCONF, written on retry) is on disk.
      const t2 = await testServer({ dataDir: dir });
      const c2 = await RawClient.connect(t2.port);
      const peek = await c2.call("QPEEK", "q", 10);
      for (const text of ["before", "during", "after"]) assert.match(peek, new RegExp(text));
      assert.doesNotMatch(peek, /refused/);
      assert.match(await c2.call("SHOW", afterId), /^\*30/);
      c2.close();
      await t2.close();
    });
  });
}

describe("journal failure: the snapshot cannot be written", () => {
  it("compaction fails and is logged; the journal goes on and nothing is lost", async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    const fs = new FaultyFs();
    fs.only = /\.snap\.tmp$/;
    fs.failWrites = "ENOSPC";
    const { logger, lines } = capturingLogger();
    const t = await testServer({ dataDir: dir, compactMinBytes: 4096 }, { journalFs: fs, logger });
    const c = await RawClient.connect(t.port);
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const id = idOf(await c.call("ADDJOB", "q", `job ${i} `.padEnd(100, "x"), 0));
      if (i % 2 === 0) assert.equal(await c.call("ACKJOB", id), int(1));
      else ids.push(id);
    }
    await waitFor(() => lines.some((line) => String(line.msg).includes("compaction failed")));
    assert.ok(fs.writeFailures > 0);
    assert.match(await c.call("ADDJOB", "q", "still writable", 0), /^\+D-/);
    c.close();
    await t.close();

    const t2 = await testServer({ dataDir: dir });
    const c2 = await RawClient.connect(t2.port);
    assert.equal(await c2.call("QLEN", "q"), int(51));
    for (const id of ids) assert.match(await c2.call("SHOW", id), /^\*30/);
    c2.close();
    await t2.close();
  });
});
