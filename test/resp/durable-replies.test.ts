import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { HoldingFs } from "../helpers/holding-fs.js";
import { RawClient, int, simple } from "../helpers/raw-client.js";
import { testServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/**
 * A write's reply leaves only once the journal has written its change (and
 * synced it under `always`): the promise every acknowledged job rests on.
 * The replies are held by their connections and released together by the
 * write gate (doors/resp/durable.ts), not by a Promise each; here the
 * journal's writes are held on a real server, over real sockets.
 */

const ID_REPLY = /^\+D-[^\r]{38}\r\n/;

function idOf(reply: string): string {
  assert.match(reply, ID_REPLY);
  return reply.slice(1, -2);
}

/** Every journal file's bytes, as latin1 text. */
function journalText(dir: string): string {
  return readdirSync(dir)
    .filter((name) => name.includes("journal"))
    .map((name) => readFileSync(join(dir, name)).toString("latin1"))
    .join("");
}

/** Lets held writes and fsyncs go one at a time until `client` has received something. */
async function releaseUntilReply(fs: HoldingFs, client: RawClient): Promise<void> {
  await waitFor(async () => {
    if (client.pending() !== "") return true;
    fs.releaseNext();
    await new Promise((resolve) => setTimeout(resolve, 5));
    return client.pending() !== "";
  });
}

describe("durable replies", () => {
  for (const fsync of ["no", "always"] as const) {
    it(`fsync ${fsync}: ADDJOB and ACKJOB answer only after their journal write; later replies wait behind them`, async () => {
      const fs = new HoldingFs();
      const t = await testServer({ fsync }, { journalFs: fs });
      const connect = () => RawClient.connect(t.port);
      const [a, b, watcher] = await Promise.all([connect(), connect(), connect()]);
      try {
        const first = idOf(await a.call("ADDJOB", "q", "first-body", 0));

        fs.holding = true;
        a.send("ADDJOB", "q", "held-one", 0);
        a.send("ADDJOB", "q", "held-two", 0);
        a.send("PING"); // not a write, but behind two that are
        b.send("ACKJOB", first);
        await waitFor(() => fs.waiting > 0);
        // the server goes on serving later turns meanwhile
        assert.equal(await watcher.call("PING"), simple("PONG"));
        await waitFor(async () => (await watcher.call("QLEN", "q")) === int(2)); // every command has run
        assert.equal(a.pending(), "");
        assert.equal(b.pending(), "");

        fs.releaseAll();
        const one = idOf(await a.reply());
        assert.ok(
          journalText(t.dataDir).includes(one),
          "the job's record is in the file when its id arrives",
        );
        idOf(await a.reply());
        assert.equal(await a.reply(), simple("PONG"));
        assert.equal(await b.reply(), int(1));

        // a write made while the previous batch's write is in flight joins the next batch, and waits for it
        fs.holding = true;
        a.send("ADDJOB", "q", "batch-one", 0);
        await waitFor(() => fs.waiting > 0);
        a.send("ADDJOB", "q", "batch-two", 0);
        a.send("PING");
        await waitFor(async () => (await watcher.call("QLEN", "q")) === int(4)); // both adds were made
        assert.equal(a.pending(), "");
        await releaseUntilReply(fs, a);
        const batchOne = idOf(await a.reply());
        assert.ok(journalText(t.dataDir).includes(batchOne));
        fs.releaseAll();
        idOf(await a.reply());
        assert.equal(await a.reply(), simple("PONG"));
      } finally {
        fs.releaseAll();
        for (const c of [a, b, watcher]) c.close();
        await t.close();
      }
    });
  }
});
