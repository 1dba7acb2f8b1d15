import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RawClient, int } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";

/**
 * Issue 11: every number bounded where RESP parses it, with an error naming
 * the argument (engine/limits.ts), and one queue-name rule for every
 * command that takes a queue (1 to 1024 bytes, no NUL).
 */

const RULE = "-ERR invalid queue name: a queue name is 1 to 1024 bytes, without NUL\r\n";
const MAX = 2 ** 31 - 1;
const FORTY_DIGITS = "1".padEnd(40, "0");

describe("RESP argument limits", () => {
  let t: TestServer;
  let c: RawClient;

  before(async () => {
    t = await testServer({}, { manualClock: true });
    c = await RawClient.connect(t.port);
  });
  after(async () => {
    c.close();
    await t.close();
  });

  it("numbers above their range get an error naming the argument and its limit", async () => {
    const cases: Array<[Array<string | number>, string]> = [
      [["ADDJOB", "q", "x", 0, "TTL", MAX + 1], "ERR TTL must be at most 2147483647"],
      [["ADDJOB", "q", "x", 0, "TTL", 2 ** 32], "ERR TTL must be at most 2147483647"],
      [["ADDJOB", "q", "x", 0, "TTL", 2 ** 53], "ERR TTL must be at most 2147483647"],
      [["ADDJOB", "q", "x", 0, "TTL", FORTY_DIGITS], "ERR TTL must be at most 2147483647"],
      [["ADDJOB", "q", "x", 0, "TTL", `-${FORTY_DIGITS}`], "ERR TTL must be a number > 0"],
      [["ADDJOB", "q", "x", FORTY_DIGITS], "ERR timeout must be at most 2147483647000"],
      [["ADDJOB", "q", "x", 0, "RETRY", MAX + 1], "ERR RETRY must be at most 2147483647"],
      [["ADDJOB", "q", "x", 0, "DELAY", 2 ** 32], "ERR DELAY must be at most 2147483647"],
      [["ADDJOB", "q", "x", 0, "MAXLEN", 2 ** 32], "ERR MAXLEN must be at most 2147483647"],
      [["ADDJOB", "q", "x", 2 ** 53], "ERR timeout must be at most 2147483647000"],
      [["GETJOB", "COUNT", MAX + 1, "FROM", "q"], "ERR COUNT must be at most 2147483647"],
      [["GETJOB", "TIMEOUT", 2 ** 42, "FROM", "q"], "ERR timeout must be at most 2147483647000"],
      [["ADD", "q", 2 ** 32, "body"], "ERR retries must be at most 2147483647"],
      [["QRPOP", "q", "EX", 2 ** 32], "ERR EX must be at most 2147483647"],
      [["QNOTIFY", 2 ** 32], "ERR timeout must be at most 2147483647"],
      [["REDRIVE", "q", 2 ** 32], "ERR count must be at most 2147483647"],
      [["DEADLETTERS", "q", 2 ** 32], "ERR count must be at most 2147483647"],
      [
        ["WAITJOB", "D-00000000-000000000000000000000000-0000", 2 ** 42],
        "ERR timeout must be at most 2147483647000",
      ],
    ];
    for (const [command, expected] of cases) {
      assert.equal(await c.call(...command), `-${expected}\r\n`, command.join(" "));
    }
    assert.equal(await c.call("QLEN", "q"), int(0));
  });

  it("integers are parsed as strictly as Redis's string2ll", async () => {
    for (const text of ["1e3", "0x10", "+5", "007", " 5", "5 ", "NaN", "1.0", "-", ""]) {
      assert.equal(
        await c.call("ADDJOB", "q", "x", 0, "TTL", text),
        "-ERR TTL must be a number > 0\r\n",
        text,
      );
      assert.equal(
        await c.call("ADDJOB", "q", "x", text),
        "-ERR timeout is not an integer or out of range\r\n",
        text,
      );
      assert.equal(await c.call("ADD", "q", text, "x"), "-ERR Invalid number of retries.\r\n", text);
    }
    // The largest values are accepted, and DELAY stays below TTL as Disque wants.
    assert.match(
      await c.call("ADDJOB", "q", "x", MAX * 1000, "TTL", MAX, "RETRY", MAX, "DELAY", MAX - 1),
      /^\+D-/,
    );
    assert.match(await c.call("ADD", "q", MAX, "x"), /^\+D-/);
    assert.equal(await c.call("QLEN", "q"), int(1)); // the delayed one is not queued yet
  });

  it("every command that takes a queue refuses an empty, overlong or NUL-bearing name", async () => {
    const long = "a".repeat(1025);
    const wide = "é".repeat(513); // 1026 bytes of UTF-8 in 513 characters
    for (const bad of ["", long, wide, "a\0b"]) {
      const commands: Array<Array<string | number>> = [
        ["ADDJOB", bad, "x", 0],
        ["GETJOB", "NOHANG", "FROM", "ok", bad],
        ["QLEN", bad],
        ["QPEEK", bad, 1],
        ["QSTAT", bad],
        ["PAUSE", bad, "in"],
        ["QLPUSH", bad, "e", "x"],
        ["QRPUSH", bad, "e", "x"],
        ["QRPOP", bad],
        ["QACK", bad, "e"],
        ["QLPEEK", bad],
        ["QRPEEK", bad],
        ["QREGISTER", bad],
        ["QFLUSH", bad],
        ["QSTATUS", bad],
        ["QINFO", bad],
        ["LEN", bad],
        ["ADD", bad, 1, "x"],
        ["RESERVE", bad],
        ["DONE", bad, "1"],
        ["RETRY", bad, "1"],
        ["DEADLETTERS", bad],
        ["REDRIVE", bad],
      ];
      for (const command of commands)
        assert.equal(await c.call(...command), RULE, `${command[0]} ${bad.length}`);
    }
    // At the limit: 1024 bytes, however many characters.
    assert.match(await c.call("ADDJOB", "a".repeat(1024), "x", 0), /^\+D-/);
    assert.match(await c.call("ADDJOB", "é".repeat(512), "x", 0), /^\+D-/);
    assert.equal(await c.call("QLEN", "é".repeat(512)), int(1));
  });

  it("a 16 MiB queue name is refused", async () => {
    assert.equal(await c.call("ADDJOB", Buffer.alloc(16 * 1024 * 1024, 0x61), "x", 0), RULE);
  });
});
