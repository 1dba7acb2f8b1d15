import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { assertCliRefuses, spawnServer, type ServerProcess } from "../helpers/process.js";
import { RawClient, array, bulk, int } from "../helpers/raw-client.js";
import { dataDirs } from "../helpers/server.js";

/**
 * The failure settings as `docket serve` flags (src/failure-settings.ts):
 * the built CLI passes them to the store, CONFIG GET shows them, and a bad
 * value stops the start with the rule.
 */

const newDir = dataDirs();

function idOf(reply: string): string {
  const match = /^\+(D-[^\r]{38})\r\n$/.exec(reply);
  assert.ok(match, reply);
  return match[1]!;
}

describe("serve --default-retries, --default-backoff, --dead-letter-cap, --result-ttl", () => {
  let server: ServerProcess;
  let c: RawClient;
  before(async () => {
    server = await spawnServer(newDir(), [
      "--default-retries",
      "1",
      "--default-backoff",
      "fixed:5",
      "--dead-letter-cap",
      "1",
      "--result-ttl",
      "60",
    ]);
    c = await RawClient.connect(server.port);
  });
  after(async () => {
    c.close();
    server.child.kill("SIGTERM");
    await server.exited;
  });

  it("CONFIG GET shows the flags' values", async () => {
    const expected: Array<[string, string]> = [
      ["default-retries", "1"],
      ["default-backoff", "fixed:5"],
      ["dead-letter-cap", "1"],
      ["result-ttl", "60"],
    ];
    for (const [name, value] of expected) {
      assert.equal(await c.call("CONFIG", "GET", name), array(bulk(name), bulk(value)));
    }
  });

  it("the store runs with them: a plain job's budget of one, one dead letter kept, the oldest evicted", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const id = idOf(await c.call("ADDJOB", "q", `job ${i}`, 0));
      ids.push(id);
      for (let failure = 0; failure < 2; failure++) {
        const got = await c.call("GETJOB", "TIMEOUT", 2000, "FROM", "q");
        assert.ok(got.includes(id), got);
        assert.equal(await c.call("NACK", id, "BACKOFF"), int(1));
      }
    }
    const dead = await c.call("DEADLETTERS", "q");
    assert.ok(dead.startsWith(`*1\r\n*4\r\n${bulk(ids[1]!)}`), dead);
    const info = await c.call("INFO", "stats");
    assert.match(info, /total_dead_letters_evicted:1\r\n/);
  });

  it("a bad value stops the start, naming the setting", async () => {
    await assertCliRefuses(
      ["serve", "--port", "0", "--no-http", "--data-dir", newDir(), "--default-backoff", "linear:5"],
      /default-backoff: backoff is fixed:<ms> or exponential/,
    );
    await assertCliRefuses(
      ["serve", "--port", "0", "--no-http", "--data-dir", newDir(), "--result-ttl", "0"],
      /result-ttl must be an integer between 1 and 2147483647, got 0/,
    );
    await assertCliRefuses(
      ["serve", "--port", "0", "--no-http", "--data-dir", newDir(), "--default-retries", "-2"],
      /default-retries must be an integer between -1 and 2147483647, got -2/,
    );
  });

  it("--default-retries -1 (unlimited, the default) can be given", async () => {
    const unlimited = await spawnServer(newDir(), ["--default-retries", "-1"]);
    const client = await RawClient.connect(unlimited.port);
    try {
      assert.equal(
        await client.call("CONFIG", "GET", "default-retries"),
        array(bulk("default-retries"), bulk("-1")),
      );
    } finally {
      client.close();
      unlimited.child.kill("SIGTERM");
      await unlimited.exited;
    }
  });
});
