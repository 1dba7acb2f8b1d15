import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DataDirInUseError } from "../../src/stores/embedded/journal/index.js";
import { RawClient, simple } from "../helpers/raw-client.js";
import { runCli, spawnServer } from "../helpers/process.js";
import { dataDirs, testServer } from "../helpers/server.js";

/** One server per data directory. */

const newDir = dataDirs();

function bootId(): string {
  return readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ["-e", ""]);
  return result.pid!;
}

describe("data directory lock", () => {
  it("a second server process on the same directory refuses to start", async () => {
    const dir = newDir();
    const first = await spawnServer(dir);
    try {
      assert.equal(readFileSync(join(dir, "LOCK"), "latin1").split("\n")[0], String(first.pid));
      const second = await runCli(["serve", "--port", "0", "--no-http", "--data-dir", dir]);
      assert.equal(second.code, 1);
      assert.match(
        second.stderr,
        new RegExp(`data directory ${dir} is in use by docket process ${first.pid}`),
      );
      const c = await RawClient.connect(first.port);
      assert.equal(await c.call("PING"), simple("PONG"));
      c.close();
    } finally {
      first.child.kill("SIGTERM");
      assert.deepEqual(await first.exited, { code: 0, signal: null });
    }
    assert.equal(existsSync(join(dir, "LOCK")), false, "a clean shutdown removes the lock");
  });

  it("a second server in the same process is refused too", async () => {
    const t = await testServer();
    await assert.rejects(testServer({ dataDir: t.dataDir }), DataDirInUseError);
    const c = await RawClient.connect(t.port);
    assert.match(await c.call("ADDJOB", "q", "x", 0), /^\+D-/);
    c.close();
    await t.close();
  });

  it("a stale lock left by a dead process is taken over", async () => {
    const dir = newDir();
    const pid = deadPid();
    writeFileSync(join(dir, "LOCK"), `${pid}\n${bootId()}\n`);
    const server = await spawnServer(dir);
    try {
      assert.ok(
        server.lines.some(
          (line) => line.includes("took over the stale lock") && line.includes(`"pid":${pid}`),
        ),
        server.lines.join("\n"),
      );
      assert.equal(readFileSync(join(dir, "LOCK"), "latin1").split("\n")[0], String(server.pid));
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });

  it("a live pid locks only if the lock was taken since the last boot", async () => {
    const dir = newDir();
    // This test process is alive: with this boot's id its lock holds ...
    writeFileSync(join(dir, "LOCK"), `${process.pid}\n${bootId()}\n`);
    const refused = await runCli(["serve", "--port", "0", "--no-http", "--data-dir", dir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`in use by docket process ${process.pid}`));
    // ... but a lock written before a reboot is stale whatever its pid.
    writeFileSync(join(dir, "LOCK"), `${process.pid}\nsome-earlier-boot\n`);
    const server = await spawnServer(dir);
    server.child.kill("SIGTERM");
    await server.exited;
  });
});
