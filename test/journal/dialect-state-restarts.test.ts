import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { RawClient, NULL_BULK, array, bulk, error, int, simple } from "../helpers/raw-client.js";
import { tempDataDir, testServer } from "../helpers/server.js";

/**
 * The dialects' state survives a restart: okq event ids, takeanumber retry
 * budgets and retry placement, dead letters, redrives and QFLUSH; replayed from
 * the journal, and from a snapshot after a compaction.
 */

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function idOf(reply: string): string {
  const match = /^\+(D-[^\r ]{38})\r\n$/.exec(reply);
  assert.ok(match, reply);
  return match[1]!;
}

/** Builds the state, restarts (optionally compacting first), and checks it. */
async function roundTrip(compact: boolean): Promise<void> {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const first = await testServer({ dataDir });
  const c = await RawClient.connect(first.port);
  assert.equal(await c.call("QLPUSH", "events", "ev-1", "first"), simple("OK"));
  assert.equal(await c.call("QLPUSH", "events", "ev-2", "second"), simple("OK"));
  const a = idOf(await c.call("ADD", "tickets", "1", "job-a"));
  const b = idOf(await c.call("ADD", "tickets", "0", "job-b"));
  idOf(await c.call("ADD", "tickets", "0", "job-c"));
  // a goes back to its place with its one retry spent; b has none left: dead-lettered.
  assert.match(await c.call("RESERVE", "tickets"), new RegExp(`^\\+${a.replace(/[+/]/g, "\\$&")} job-a`));
  assert.equal(await c.call("RETRY", "tickets", a), simple("OK"));
  assert.equal(await c.call("RETRY", "tickets", b), error("ERR No retries remaining."));
  const c2 = idOf(await c.call("ADD", "redriven", "0", "x"));
  await c.call("RESERVE", "redriven");
  await c.call("RETRY", "redriven", c2);
  assert.equal(await c.call("REDRIVE", "redriven"), int(1));
  await c.call("QLPUSH", "flushed", "e", "gone");
  assert.equal(await c.call("QFLUSH", "flushed"), simple("OK"));
  if (compact) await first.server.journal!.compact();
  c.close();
  await first.close();

  const second = await testServer({ dataDir });
  const d = await RawClient.connect(second.port);
  // okq: the event id is still taken, and the events keep their order.
  assert.match(await d.call("QLPUSH", "events", "ev-1", "again"), /^-ERR duplicate event ev-1\r\n$/);
  assert.equal(await d.call("QRPEEK", "events"), array(bulk("ev-1"), bulk("first")));
  // takeanumber: a first (it kept its place) with no retry left, then c.
  assert.equal(await d.call("LEN", "tickets"), int(2));
  assert.match(await d.call("RESERVE", "tickets"), / job-a\r\n$/);
  assert.match(await d.call("RESERVE", "tickets"), / job-c\r\n$/);
  await d.call("RETRY", "tickets", a);
  const dead = await d.call("DEADLETTERS", "tickets");
  assert.ok(dead.startsWith("*2\r\n"), dead);
  assert.ok(dead.includes(bulk(b)) && dead.includes(bulk(a)), dead);
  // the redriven job is live again and its letter is gone
  assert.equal(await d.call("DEADLETTERS", "redriven"), "*0\r\n");
  assert.equal(await d.call("LEN", "redriven"), int(1));
  assert.equal(await d.call("LEN", "flushed"), int(0));
  assert.equal(await d.call("QLPEEK", "flushed"), NULL_BULK);
  d.close();
  await second.close();
}

describe("dialect state across restarts", () => {
  it("is replayed from the journal", async () => {
    await roundTrip(false);
  });
  it("is kept in a snapshot", async () => {
    await roundTrip(true);
  });
});
