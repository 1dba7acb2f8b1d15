import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { http } from "../helpers/http.js";
import { serverPerSuite } from "../helpers/server.js";

/** The emq HTTP flows of DIALECTS.md section 4 (TaskQ's: test/dialects/taskq-http.test.ts). */

describe("emq routes", () => {
  const suite = serverPerSuite();
  const call = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
    http(suite.server.url, method, path, options);

  describe("emq", () => {
    const enqueue = async (queue: string, body: unknown): Promise<string> => {
      const reply = await call("POST", `/enqueue/${queue}`, { json: body });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(typeof reply.json.id, "string");
      return reply.json.id as string;
    };

    it("enqueue, wait with repeated queues, ack", async () => {
      const a1 = await enqueue("a", { content: { n: 1 } });
      const a2 = await enqueue("a", { content: [2, "two"] });
      const b1 = await enqueue("b", { content: "b-one", retry: 60, expiry: 3600 });
      const info = await suite.resp.call("SHOW", b1);
      assert.match(info, /\$5\r\nretry\r\n:60\r\n/);
      assert.match(info, /\$3\r\nttl\r\n:3[56]\d\d\r\n/);
      const got = await call("POST", "/wait/", { json: { queues: ["a", "b", "a", "b", "c"] } });
      assert.equal(got.status, 200);
      assert.deepEqual(got.json, [
        { id: a1, content: { n: 1 } },
        { id: b1, content: "b-one" },
        { id: a2, content: [2, "two"] },
        null,
        null,
      ]);
      const acked = await call("POST", "/ack/", { json: { ids: [a1, a2, b1] } });
      assert.deepEqual([acked.status, acked.json], [200, { acked: 3 }]);
      assert.deepEqual((await call("POST", "/wait/", { json: { queues: ["a"] } })).json, [null]);
    });

    it("accepts curl --data (form content type) bodies as JSON", async () => {
      const reply = await call("POST", "/enqueue/form", {
        raw: '{"content": {"custom payload": "goes here"}}',
        contentType: "application/x-www-form-urlencoded",
      });
      assert.equal(reply.status, 200, reply.text);
      const got = await call("POST", "/wait/", {
        raw: '{"queues": ["form"]}',
        contentType: "application/x-www-form-urlencoded",
      });
      assert.deepEqual(got.json, [{ id: reply.json.id, content: { "custom payload": "goes here" } }]);
    });

    it("nak puts tasks back for another try; peek and queues list", async () => {
      const id = await enqueue("n", { content: 7 });
      const other = await enqueue("n", { content: 8 });
      assert.deepEqual((await call("GET", "/peek/n?n=5")).json, [
        { id, content: 7 },
        { id: other, content: 8 },
      ]);
      assert.deepEqual((await call("GET", "/peek/n?n=1")).json, [{ id, content: 7 }]);
      await call("POST", "/wait/", { json: { queues: ["n"] } });
      assert.deepEqual((await call("GET", "/peek/n?n=5")).json, [{ id: other, content: 8 }]);
      const nak = await call("POST", "/nak/", { json: { ids: [id] } });
      assert.deepEqual([nak.status, nak.json], [200, { nacked: 1 }]);
      assert.equal((await call("POST", "/wait/", { json: { queues: ["n", "n"] } })).json.length, 2);
      await enqueue("m", { content: null });
      assert.deepEqual((await call("GET", "/queues/")).json, ["m", "n"]);
    });

    it("rejects malformed requests with JSON errors", async () => {
      const bad = await call("POST", "/wait/", { raw: "{nope", contentType: "application/json" });
      assert.deepEqual([bad.status, bad.json.error.code], [400, "BADREQUEST"]);
      const noQueues = await call("POST", "/wait/", { json: { timeout: 5 } });
      assert.deepEqual([noQueues.status, noQueues.json.error.code], [400, "BADREQUEST"]);
      const badId = await call("POST", "/ack/", { json: { ids: ["nope"] } });
      assert.deepEqual([badId.status, badId.json.error.code], [400, "BADID"]);
      const badRetry = await call("POST", "/enqueue/x", { json: { content: 1, retry: -1 } });
      assert.equal(badRetry.status, 400);
    });
  });
});
