import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { MAX_HTTP_LISTING_COUNT } from "../../src/core/listing-limits.js";
import { http } from "../helpers/http.js";
import { spawnServer } from "../helpers/process.js";
import { startRedis, uniquePrefix, type RedisProcess } from "../helpers/redis.js";
import { dataDirs, serverPerSuite, testServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/**
 * emq's measured behaviour (DIALECTS.md section 4), over real HTTP, on both
 * stores: /wait/ answers when every entry can be filled, /nak/ sends a task
 * to the back of its queue, /queues/ lists the queues that hold tasks, and
 * the input checks.
 */

type Call = (method: string, path: string, options?: Parameters<typeof http>[3]) => ReturnType<typeof http>;

/** The emq calls a test makes, on one server. */
function emqClient(call: Call) {
  return {
    enqueue: async (queue: string, body: unknown = {}): Promise<string> => {
      const reply = await call("POST", `/enqueue/${queue}`, { json: body });
      assert.equal(reply.status, 200, reply.text);
      return reply.json.id as string;
    },
    wait: async (body: unknown, signal?: AbortSignal): Promise<unknown> => {
      const reply = await call("POST", "/wait/", { json: body, ...(signal ? { signal } : {}) });
      assert.equal(reply.status, 200, reply.text);
      return reply.json;
    },
    /** the ids of the queue's waiting tasks, oldest first */
    peekIds: async (queue: string): Promise<string[]> => {
      const reply = await call("GET", `/peek/${queue}?n=100`);
      assert.equal(reply.status, 200, reply.text);
      return (reply.json as Array<{ id: string }>).map((task) => task.id);
    },
    queues: async (): Promise<string[]> => (await call("GET", "/queues/")).json as string[],
  };
}

const stores: Array<{ name: string; start(): Promise<TestServer> }> = [];
let redis: RedisProcess | undefined;
// A manual clock: the tests move time for the waits' time-outs and the tasks' expiry.
stores.push({ name: "embedded journal", start: () => testServer({}, { manualClock: true }) });
stores.push({
  name: "Redis store",
  start: async () => {
    redis ??= await startRedis();
    return testServer({ redis: [redis.url], redisPrefix: uniquePrefix("emq") }, { manualClock: true });
  },
});
after(async () => {
  await redis?.stop();
});

for (const store of stores) {
  describe(`emq on the ${store.name}`, () => {
    const suite = serverPerSuite(() => store.start());
    const call: Call = (method, path, options) => http(suite.server.url, method, path, options);
    const emq = emqClient(call);
    const blocked = async () => (await suite.server.server.broker.stats()).blockedClients;

    describe("POST /wait/", () => {
      it("answers as soon as every entry, repeats included, can be filled", async () => {
        let settled = false;
        const pending = emq
          .wait({ queues: ["fa", "fb", "fa"], timeout: 20_000 })
          .finally(() => (settled = true));
        await waitFor(async () => (await blocked()) === 1);
        const a1 = await emq.enqueue("fa", { content: "a1" });
        await waitFor(async () => (await emq.peekIds("fa")).length === 0);
        const b1 = await emq.enqueue("fb", { content: "b1" });
        await waitFor(async () => (await emq.peekIds("fb")).length === 0);
        assert.equal(settled, false, "two of three entries filled: still waiting");
        const a2 = await emq.enqueue("fa", { content: "a2" });
        assert.deepEqual(await pending, [
          { id: a1, content: "a1" },
          { id: b1, content: "b1" },
          { id: a2, content: "a2" },
        ]);
        assert.equal(await blocked(), 0);
      });

      it("with an entry still empty, runs out its timeout and answers null for it (measured)", async () => {
        let settled = false;
        const pending = emq.wait({ queues: ["w2a", "w2b"], timeout: 300 }).finally(() => (settled = true));
        await waitFor(async () => (await blocked()) === 1);
        suite.server.clock!.advance(200);
        const ready = await emq.enqueue("w2a", { content: { n: 1 } });
        await waitFor(async () => (await emq.peekIds("w2a")).length === 0); // taken, and held
        await waitFor(async () => (await blocked()) === 1); // waiting on for w2b
        // The timeout counts from the request, not from the last task's arrival.
        suite.server.clock!.advance(99);
        await emq.peekIds("w2b"); // the embedded store runs what is due
        assert.equal(settled, false, "1 ms is left");
        suite.server.clock!.advance(1);
        await waitFor(async () => {
          await emq.peekIds("w2b");
          return settled;
        });
        assert.deepEqual(await pending, [{ id: ready, content: { n: 1 } }, null]);
        assert.deepEqual(await emq.peekIds("w2a"), [], "the task answered is dispatched");
        assert.equal(await blocked(), 0);
      });

      it("timeout 0 or absent answers at once with what is there", async () => {
        const ready = await emq.enqueue("now-a", { content: 1 });
        assert.deepEqual(await emq.wait({ queues: ["now-a", "now-b"], timeout: 0 }), [
          { id: ready, content: 1 },
          null,
        ]);
        assert.deepEqual(await emq.wait({ queues: ["now-a", "now-b"] }), [null, null]);
        assert.deepEqual(await emq.wait({ queues: [], timeout: 10_000 }), []);
        assert.equal(await blocked(), 0);
      });

      it("a wait woken many times leaves no abort listener behind", async () => {
        const warnings: string[] = [];
        const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
        process.on("warning", onWarning);
        try {
          const entries = Array.from({ length: 15 }, () => "woken");
          const pending = emq.wait({ queues: entries, timeout: 20_000 });
          for (let i = 0; i < entries.length; i++) {
            await waitFor(async () => (await blocked()) === 1);
            await emq.enqueue("woken", { content: i });
            await waitFor(async () => (await emq.peekIds("woken")).length === 0);
          }
          assert.equal(((await pending) as unknown[]).length, entries.length);
          await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
          assert.deepEqual(
            warnings.filter((w) => w.startsWith("MaxListenersExceededWarning")),
            [],
          );
        } finally {
          process.off("warning", onWarning);
        }
      });

      it("a client that goes away gets what the wait took put back untouched, and leaves no waiter", async () => {
        const gone = new AbortController();
        const pending = emq.wait({ queues: ["held", "never"], timeout: 30_000 }, gone.signal);
        pending.catch(() => {}); // the abort rejects it
        await waitFor(async () => (await blocked()) === 1);
        const id = await emq.enqueue("held", { content: "keep me" });
        await waitFor(async () => (await emq.peekIds("held")).length === 0);
        gone.abort();
        await assert.rejects(pending);
        await waitFor(async () => (await emq.peekIds("held")).length === 1);
        assert.deepEqual(await emq.peekIds("held"), [id]);
        await waitFor(async () => (await blocked()) === 0);
        const shown = await suite.resp.call("SHOW", id);
        assert.match(shown, /\$5\r\nnacks\r\n:0\r\n/);
        assert.match(shown, /\$21\r\nadditional-deliveries\r\n:0\r\n/);
        assert.match(shown, /\$5\r\nstate\r\n\$6\r\nqueued\r\n/);
        // No waiter is left behind to swallow the next task of either queue.
        const later = await emq.enqueue("never", { content: "later" });
        assert.deepEqual(await emq.peekIds("never"), [later]);
        assert.deepEqual(await emq.wait({ queues: ["held", "never"] }), [
          { id, content: "keep me" },
          { id: later, content: "later" },
        ]);
      });
    });

    describe("POST /nak/", () => {
      it("sends each task to the back of its queue, again and again (measured: B, A)", async () => {
        const a = await emq.enqueue("nq", { content: "A" });
        const b = await emq.enqueue("nq", { content: "B" });
        assert.deepEqual(await emq.wait({ queues: ["nq"] }), [{ id: a, content: "A" }]);
        const nak = await call("POST", "/nak/", { json: { ids: [a] } });
        assert.deepEqual([nak.status, nak.json], [200, { nacked: 1 }]);
        assert.deepEqual(await emq.peekIds("nq"), [b, a]);
        const c = await emq.enqueue("nq", { content: "C" });
        assert.deepEqual(await emq.peekIds("nq"), [b, a, c], "tasks added later queue behind it");
        assert.deepEqual(await emq.wait({ queues: ["nq", "nq"] }), [
          { id: b, content: "B" },
          { id: a, content: "A" },
        ]);
        assert.deepEqual((await call("POST", "/nak/", { json: { ids: [b, a] } })).json, { nacked: 2 });
        assert.deepEqual(await emq.peekIds("nq"), [c, b, a]);
        const shown = await suite.resp.call("SHOW", a);
        assert.match(shown, /\$5\r\nnacks\r\n:2\r\n/);
      });

      it("is served again after each nak, until its expiry", async () => {
        const id = await emq.enqueue("exp", { content: "x", expiry: 10 });
        for (let round = 0; round < 3; round++) {
          assert.deepEqual(await emq.wait({ queues: ["exp"] }), [{ id, content: "x" }]);
          assert.deepEqual((await call("POST", "/nak/", { json: { ids: [id] } })).json, { nacked: 1 });
        }
        suite.server.clock!.advance(10_000);
        await waitFor(async () => (await emq.peekIds("exp")).length === 0);
        assert.deepEqual(await emq.wait({ queues: ["exp"] }), [null]);
        assert.deepEqual((await call("POST", "/nak/", { json: { ids: [id] } })).json, { nacked: 0 });
      });

      it("spends the budget its queue's QPOLICY gives: the third nak dead-letters the task", async () => {
        const policy = await suite.resp.call("QPOLICY", "budget", "RETRIES", 2);
        assert.equal(policy, "*2\r\n$7\r\nretries\r\n:2\r\n");
        const id = await emq.enqueue("budget", { content: "x" });
        for (let round = 0; round < 3; round++) {
          assert.deepEqual(await emq.wait({ queues: ["budget"] }), [{ id, content: "x" }]);
          assert.deepEqual((await call("POST", "/nak/", { json: { ids: [id] } })).json, { nacked: 1 });
        }
        assert.deepEqual(await emq.peekIds("budget"), []);
        const dead = await call("GET", "/v1/queues/budget/deadletters");
        assert.deepEqual(
          dead.json.deadLetters.map((d: { id: string; reason: string }) => [d.id, d.reason]),
          [[id, "retries exhausted"]],
        );
      });

      it("a queued task is not moved", async () => {
        const a = await emq.enqueue("still", {});
        const b = await emq.enqueue("still", {});
        assert.deepEqual((await call("POST", "/nak/", { json: { ids: [a] } })).json, { nacked: 0 });
        assert.deepEqual(await emq.peekIds("still"), [a, b]);
      });
    });

    describe("GET /queues/", () => {
      it("lists only the queues that hold tasks now", async () => {
        const ghost = emq.wait({ queues: ["ghost"], timeout: 20 });
        await waitFor(async () => (await blocked()) === 1);
        suite.server.clock!.advance(20);
        await waitFor(async () => {
          await emq.peekIds("ghost"); // the embedded store runs what is due
          return (await blocked()) === 0;
        });
        assert.deepEqual(await ghost, [null]);
        await emq.enqueue("full", {});
        const done = await emq.enqueue("emptied", {});
        const busy = await emq.enqueue("busy", {});
        assert.deepEqual(await emq.wait({ queues: ["emptied", "busy"] }), [
          { id: done, content: null },
          { id: busy, content: null },
        ]);
        assert.deepEqual((await call("POST", "/ack/", { json: { ids: [done] } })).json, { acked: 1 });
        // A dispatched task still belongs to its queue until it is acked (as in emq).
        assert.deepEqual(await emq.queues(), ["busy", "full"]);
        await call("POST", "/ack/", { json: { ids: [busy] } });
        assert.deepEqual(await emq.queues(), ["full"]);
      });
    });

    describe("input checks (measured)", () => {
      const badRequest = (reply: Awaited<ReturnType<typeof http>>, what: string) =>
        assert.deepEqual(
          [reply.status, reply.json?.error?.code],
          [400, "BADREQUEST"],
          `${what}: ${reply.text}`,
        );

      it("a field the schema does not know is 400, on every emq body", async () => {
        badRequest(await call("POST", "/wait/", { json: { queues: ["u"], foo: 1 } }), "wait");
        badRequest(await call("POST", "/enqueue/u", { json: { content: 1, foo: 1 } }), "enqueue");
        badRequest(await call("POST", "/ack/", { json: { ids: [], foo: 1 } }), "ack");
        badRequest(await call("POST", "/nak/", { json: { ids: [], foo: 1 } }), "nak");
        assert.deepEqual(await emq.queues(), [], "nothing was enqueued");
      });

      it("a negative timeout is 400", async () => {
        badRequest(await call("POST", "/wait/", { json: { queues: ["u"], timeout: -1 } }), "timeout -1");
      });

      it(`a wait lists at most ${MAX_HTTP_LISTING_COUNT} entries (docket's bound)`, async () => {
        const many = Array.from({ length: MAX_HTTP_LISTING_COUNT + 1 }, () => "u");
        const refused = await call("POST", "/wait/", { json: { queues: many } });
        badRequest(refused, "too many entries");
        assert.match(refused.text, /must NOT have more than 1000 items/);
        const most = (await emq.wait({ queues: many.slice(1) })) as unknown[];
        assert.equal(most.length, MAX_HTTP_LISTING_COUNT);
      });

      it("GET /peek/<queue> with n missing or not a number is 400", async () => {
        await emq.enqueue("pk", { content: 1 });
        for (const query of ["", "?n=", "?n=abc", "?n=NaN", "?n=1.5", "?x=1"]) {
          badRequest(await call("GET", `/peek/pk${query}`), `peek${query}`);
        }
        assert.equal((await call("GET", "/peek/pk?n=1")).json.length, 1);
      });

      it("content is stored as JSON and comes back as the same JSON value", async () => {
        const values: unknown[] = [
          { nested: { list: [1, 2.5, -3e-7, "x", null, true], empty: {} } },
          [],
          "a string",
          "12",
          '{"not": "parsed"}',
          0,
          123456789.125,
          false,
          null,
          "ünïcödé ✓",
        ];
        for (const content of values) await emq.enqueue("content", { content });
        await emq.enqueue("content", {});
        const got = (await emq.wait({ queues: values.map(() => "content").concat("content") })) as Array<{
          content: unknown;
        }>;
        assert.deepEqual(
          got.map((task) => task.content),
          [...values, null],
        );
      });
    });
  });
}

describe("emq on the embedded journal, across restarts", () => {
  const dir = dataDirs();

  it("a nak'ed task keeps its place at the back in a snapshot", async () => {
    const dataDir = dir();
    const first = await testServer({ dataDir });
    const before = emqClient((method, path, options) => http(first.url, method, path, options));
    const a = await before.enqueue("sq", { content: "A" });
    const b = await before.enqueue("sq", { content: "B" });
    await before.wait({ queues: ["sq"] });
    assert.deepEqual((await http(first.url, "POST", "/nak/", { json: { ids: [a] } })).json, { nacked: 1 });
    await first.server.journal!.compact();
    await first.close();
    const second = await testServer({ dataDir });
    try {
      const after = emqClient((method, path, options) => http(second.url, method, path, options));
      assert.deepEqual(await after.peekIds("sq"), [b, a]);
      const c = await after.enqueue("sq", { content: "C" });
      assert.deepEqual(await after.peekIds("sq"), [b, a, c]);
    } finally {
      await second.close();
    }
  });

  it("a nak'ed task keeps its place at the back after kill -9", async () => {
    const dataDir = dir();
    let server = await spawnServer(dataDir, ["--http-port", "0"]);
    let url = `http://127.0.0.1:${server.httpPort}`;
    let emq = emqClient((method, path, options) => http(url, method, path, options));
    try {
      const a = await emq.enqueue("kq", { content: "A" });
      const b = await emq.enqueue("kq", { content: "B" });
      assert.deepEqual(await emq.wait({ queues: ["kq"] }), [{ id: a, content: "A" }]);
      assert.deepEqual((await http(url, "POST", "/nak/", { json: { ids: [a] } })).json, { nacked: 1 });
      server.child.kill("SIGKILL");
      await server.exited;
      server = await spawnServer(dataDir, ["--http-port", "0"]);
      url = `http://127.0.0.1:${server.httpPort}`;
      emq = emqClient((method, path, options) => http(url, method, path, options));
      assert.deepEqual(await emq.peekIds("kq"), [b, a]);
      const c = await emq.enqueue("kq", { content: "C" });
      assert.deepEqual(await emq.peekIds("kq"), [b, a, c]);
    } finally {
      server.child.kill("SIGKILL");
      await server.exited;
    }
  });
});
