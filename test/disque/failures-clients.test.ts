import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import createConnection, { type DisqueueClient } from "disqueue-node";
import { createClient, type ThunkDisqueClient } from "thunk-disque";
import { RawClient, array, bulk, int, simple } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";
import { serverOnEachStore } from "../helpers/each-store.js";

/**
 * The "same through a raw Disque client": npm's Disque clients send
 * none of docket's options, yet a failing job is dead-lettered once it
 * spends the budget its queue's policy (QPOLICY) or the server default
 * (CONFIG SET default-retries) gives it. An operator's RESP connection sets
 * the policy and reads the dead letters; the clients only add, take and NACK.
 */

const stores = serverOnEachStore("clients");

for (const store of stores) {
  describe(`plain Disque clients get a retry budget from the queue or the server (${store.name})`, () => {
    let t: TestServer;
    let admin: RawClient;
    let thunk: ThunkDisqueClient;
    let dn: DisqueueClient;

    const dnCall = (method: "addJob" | "getJob" | "nack", options: unknown): Promise<unknown> =>
      new Promise((resolve, reject) =>
        dn[method](options, (error, reply) => (error ? reject(error) : resolve(reply))),
      );

    before(async () => {
      t = await store.start();
      admin = await RawClient.connect(t.port);
      thunk = createClient(t.port, "127.0.0.1", { usePromise: true, maxAttempts: 0 });
      await new Promise<void>((resolve) => thunk.once("connect", resolve));
      dn = createConnection({ port: t.port, host: "127.0.0.1", retryMax: 0 });
      await new Promise<void>((resolve) => dn.on("ready", resolve));
    });
    after(async () => {
      thunk.clientEnd();
      dn.redisClient.end(true);
      admin.close();
      await t.close();
    });

    /** the [id, body, reason] of the queue's dead letters */
    const deadLetters = async (queue: string) => {
      const reply = await admin.call("DEADLETTERS", queue);
      return [...reply.matchAll(/\$40\r\n(D-[^\r]+)\r\n/g)].map((m) => m[1]);
    };

    it("thunk-disque: QPOLICY RETRIES 2, then the job is tried 3 times and is in DEADLETTERS", async () => {
      assert.equal(await admin.call("QPOLICY", "tq", "RETRIES", 2), array(bulk("retries"), int(2)));
      const id = String(await thunk.addjob("tq", "work", 0));
      for (let attempt = 1; attempt <= 3; attempt++) {
        const got = (await thunk.getjob("NOHANG", "WITHCOUNTERS", "FROM", "tq")) as unknown[][];
        assert.ok(got && got.length === 1, `attempt ${attempt} delivered the job`);
        assert.equal(got[0]![1], id);
        assert.equal(got[0]![4], attempt - 1, "nacks so far");
        assert.equal(await thunk.nack(id), 1);
      }
      assert.equal(await thunk.getjob("NOHANG", "FROM", "tq"), null, "nothing left to deliver");
      assert.deepEqual(await deadLetters("tq"), [id]);
      assert.match(await admin.call("DEADLETTER", id), /\$7\r\nretries\r\n:2\r\n/);
      // the queue's QSTAT, as thunk-disque sees it, counts the dead letter
      const qstat = (await thunk.qstat("tq")) as Record<string, unknown>;
      assert.equal(qstat["dead-letters"], 1);
      assert.equal(qstat.backoff, 0);
      assert.equal(qstat.len, 0);

      // redrive: a fresh budget of 2 again
      assert.equal(await admin.call("REDRIVE", "tq"), int(1));
      const redriven = (await thunk.getjob("NOHANG", "FROM", "tq")) as string[][];
      const fresh = redriven[0]![1]!;
      assert.notEqual(fresh, id);
      assert.equal(await thunk.nack(fresh), 1);
      assert.deepEqual(await deadLetters("tq"), []);
    });

    it("disqueue-node: CONFIG SET default-retries 1 gives its jobs a budget of one retry", async () => {
      assert.equal(await admin.call("CONFIG", "SET", "default-retries", "1"), simple("OK"));
      try {
        const id = String(await dnCall("addJob", { queue: "dq", job: "work", timeout: 0 }));
        for (let attempt = 1; attempt <= 2; attempt++) {
          const got = (await dnCall("getJob", { queue: "dq", nohang: true })) as Array<{ jobId: string }>;
          assert.equal(got.length, 1, `attempt ${attempt} delivered the job`);
          assert.equal(got[0]!.jobId, id);
          assert.equal(await dnCall("nack", [id]), 1);
        }
        assert.deepEqual(await dnCall("getJob", { queue: "dq", nohang: true }), []);
        assert.deepEqual(await deadLetters("dq"), [id]);
      } finally {
        await admin.call("CONFIG", "SET", "default-retries", "-1");
      }
      // back to Disque's behaviour: a new job is never dead-lettered
      const id = String(await dnCall("addJob", { queue: "dq2", job: "work", timeout: 0 }));
      for (let attempt = 1; attempt <= 4; attempt++) {
        await dnCall("getJob", { queue: "dq2", nohang: true });
        assert.equal(await dnCall("nack", [id]), 1);
      }
      assert.deepEqual(await deadLetters("dq2"), []);
    });
  });
}
