import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { RawClient, int, simple } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { jobIdOf as idOf, replyValue as value } from "../helpers/resp-values.js";
import { serverOnEachStore } from "../helpers/each-store.js";

/**
 * EXPLAIN id over RESP (docs/explain.md): [sentence, field, value, …], the
 * fetching and pausing connection named by its CLIENT ID and address, on
 * both stores, against a real server whose clock is the test's.
 */

/** field/value pairs as an object, nested pair arrays too when `nested` names them */
function fields(items: unknown[], nested: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < items.length; i += 2) {
    const key = String(items[i]);
    const v = items[i + 1];
    out[key] = nested.includes(key) && Array.isArray(v) ? fields(v, nested) : v;
  }
  return out;
}

/** EXPLAIN's reply: its sentence and its facts */
function explained(reply: string): { text: string; facts: Record<string, unknown> } {
  const items = value(reply) as unknown[];
  assert.ok(Array.isArray(items), reply);
  return {
    text: String(items[0]),
    facts: fields(items.slice(1), ["leasedTo", "pausedBy", "lastFetch", "consumer"]),
  };
}

const stores = serverOnEachStore("expl", { manualClock: true });

for (const store of stores) {
  describe(`EXPLAIN over RESP on the ${store.name}`, () => {
    let t: TestServer;
    let c: RawClient;
    let worker: RawClient;
    const advance = async (ms: number) => {
      t.clock!.advance(ms);
      await (t.server.broker as unknown as { runDue(): unknown }).runDue();
    };
    /** the worker connection as EXPLAIN names it: its CLIENT ID and address */
    const workerName = async () => {
      const id = value(await worker.call("CLIENT", "ID")) as number;
      return { id: String(id), addr: `127.0.0.1:${worker.socket.localPort}` };
    };

    before(async () => {
      t = await store.start();
      c = await RawClient.connect(t.port);
      worker = await RawClient.connect(t.port);
    });
    after(async () => {
      c.close();
      worker.close();
      await t.close();
    });
    beforeEach(async () => {
      await c.call("DEBUG", "FLUSHALL");
    });

    it("leased: to the connection that ran GETJOB, until its lease runs out, and its WORKING", async () => {
      const id = idOf(await c.call("ADDJOB", "q", "body", 0, "RETRY", 60));
      const got = value(await worker.call("GETJOB", "NOHANG", "FROM", "q")) as unknown[][];
      assert.equal(got[0]![1], id);
      await advance(5000);
      const { text: first, facts } = explained(await c.call("EXPLAIN", id));
      const me = await workerName();
      assert.equal(facts.cause, "leased");
      assert.equal(facts.id, id);
      assert.equal(facts.queue, "q");
      assert.deepEqual(facts.leasedTo, me);
      assert.equal(facts.lastWorkingAt, null);
      assert.equal(facts.until, (facts.leasedAt as number) + 60_000);
      assert.match(
        first,
        new RegExp(
          `^leased to client ${me.id} \\(127\\.0\\.0\\.1:${me.addr.split(":")[1]}\\) until .* \\(55 s\\); it has not sent WORKING$`,
        ),
      );
      assert.equal(await worker.call("WORKING", id), int(60));
      await advance(3000);
      const { text: later } = explained(await c.call("EXPLAIN", id));
      assert.match(later, /it sent WORKING 3 s ago$/);
    });

    it("paused: by the connection that ran PAUSE, since when", async () => {
      const id = idOf(await c.call("ADDJOB", "q", "body", 0));
      await advance(1000);
      const pausedAt = t.clock!.now();
      assert.equal(await worker.call("PAUSE", "q", "out"), simple("out"));
      const { text, facts } = explained(await c.call("EXPLAIN", id));
      const me = await workerName();
      assert.deepEqual(
        [facts.cause, facts.pause, facts.pausedSince, facts.position, facts.ready],
        ["paused", "out", pausedAt, 1, 1],
      );
      assert.deepEqual(facts.pausedBy, me);
      assert.match(text, new RegExp(`^queue paused out since .* by client ${me.id} `));
    });

    it("ready: position of n, and the last fetch (okq QRPOP, takeanumber RESERVE name the connection too)", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push(idOf(await c.call("ADDJOB", "q", `job ${i}`, 0)));
      let { text, facts } = explained(await c.call("EXPLAIN", ids[3]!));
      assert.deepEqual(
        [facts.cause, facts.position, facts.ready, facts.recentFetchers, facts.lastFetch],
        ["ready", 4, 4, 0, null],
      );
      assert.match(text, /nobody has fetched from it since the server started$/);
      await worker.call("GETJOB", "NOHANG", "FROM", "elsewhere", "q");
      await advance(2000);
      ({ text, facts } = explained(await c.call("EXPLAIN", ids[3]!)));
      const me = await workerName();
      assert.deepEqual([facts.position, facts.ready, facts.recentFetchers], [3, 3, 1]);
      assert.deepEqual(facts.lastFetch, {
        at: t.clock!.now() - 2000,
        consumer: me,
        queues: ["elsewhere", "q"],
      });
      assert.match(
        text,
        new RegExp(`the last fetch was from ${me.addr} on queues \\[elsewhere, q\\] 2 s ago$`),
      );
      // okq's QRPOP: the fetch and the lease name the connection as well
      const popped = value(await worker.call("QRPOP", "q")) as unknown[];
      ({ facts } = explained(await c.call("EXPLAIN", String(popped[0]))));
      assert.equal(facts.cause, "leased");
      assert.deepEqual(facts.leasedTo, me);
    });

    it("backoff, dead, done and unknown", async () => {
      const id = idOf(await c.call("ADDJOB", "q", "body", 0, "RETRIES", 1));
      await worker.call("GETJOB", "NOHANG", "FROM", "q");
      await worker.call("NACK", id, "DELAY", 4000, "ERROR", "db down");
      let { text, facts } = explained(await c.call("EXPLAIN", id));
      assert.deepEqual([facts.cause, facts.attempt, facts.error], ["backoff", 1, "db down"]);
      assert.match(text, /^backing off after attempt 1 \(error: db down\); queued again at .* \(4 s\)$/);
      await advance(4000);
      await worker.call("GETJOB", "NOHANG", "FROM", "q");
      await worker.call("NACK", id, "ERROR", "still down");
      ({ text, facts } = explained(await c.call("EXPLAIN", id)));
      assert.deepEqual([facts.cause, facts.attempt, facts.error], ["dead", 2, "still down"]);
      assert.match(text, /^dead since .*; last error: still down$/);

      const done = idOf(await c.call("ADDJOB", "q", "body", 0));
      await worker.call("GETJOB", "NOHANG", "FROM", "q");
      await worker.call("ACKJOB", done, "RESULT", "42");
      ({ facts } = explained(await c.call("EXPLAIN", done)));
      assert.equal(facts.cause, "done");

      await c.call("DELJOB", id);
      const gone = idOf(await c.call("ADDJOB", "q", "body", 0));
      await c.call("DELJOB", gone);
      ({ text, facts } = explained(await c.call("EXPLAIN", gone)));
      assert.deepEqual(facts, { id: gone, cause: "unknown", observedAt: t.clock!.now() });
      assert.match(text, /^no such job/);
    });

    it("refuses a malformed id and a wrong arity", async () => {
      assert.match(await c.call("EXPLAIN", "nope"), /^-BADID /);
      assert.match(await c.call("EXPLAIN"), /^-ERR wrong number of arguments/);
    });
  });
}

describe("EXPLAIN asks for the password", () => {
  it("answers NOAUTH before AUTH, the facts after", async () => {
    const t = await testServer({ requirePass: "s3cret" });
    const c = await RawClient.connect(t.port);
    try {
      assert.match(await c.call("EXPLAIN", "D-00000000-000000000000000000000000-0000"), /^-NOAUTH/);
      assert.equal(await c.call("AUTH", "s3cret"), simple("OK"));
      const id = idOf(await c.call("ADDJOB", "q", "body", 0));
      assert.equal(explained(await c.call("EXPLAIN", id)).facts.cause, "ready");
    } finally {
      c.close();
      await t.close();
    }
  });
});
