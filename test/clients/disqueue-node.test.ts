import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import createConnection, { type DisqueueClient } from "disqueue-node";
import {
  JOB_ID,
  NODE_ID,
  SHOW_FIELDS,
  UNKNOWN_ID,
  assertAbout,
  assertCtime,
  assertQueuedShow,
} from "./disque-replies.js";
import { targets } from "./targets.js";

type MethodName = "addJob" | "getJob" | "ackJob" | "fastAck" | "nack" | "working" | "qlen" | "show";
type AdminName = "qscan" | "hello" | "info" | "enqueue" | "dequeue" | "delJob" | "auth";

/**
 * disqueue-node (npm) driven through every call it offers, against docket
 * and against Disque 1.0-rc1 itself (so the expected values are Disque's own
 * answers, checked on every run); where docket still answers otherwise the assertion is loose and says so
 * (see docs/compatibility.md).
 */
for (const target of targets()) {
  describe(`disqueue-node against ${target.name}`, { skip: target.skip }, () => {
    let t: { port: number; close(): Promise<void> };
    let client: DisqueueClient;

    /** One call of the client, its callback as a promise. */
    function call(method: MethodName | AdminName, options: unknown): Promise<unknown> {
      return new Promise((resolve, reject) =>
        client[method](options, (error, reply) => (error ? reject(error) : resolve(reply))),
      );
    }

    before(async () => {
      t = await target.start();
      client = createConnection({ port: t.port, host: "127.0.0.1", retryMax: 0 });
      // node-redis underneath sends INFO (its ready check) before disqueue-node says it is ready.
      await new Promise<void>((resolve) => client.on("ready", resolve));
    });
    after(async () => {
      client.redisClient.end(true);
      await t.close();
    });

    it("addJob with every option, and the client's own refusal", async () => {
      const options = { replicate: 1, delay: 0, retry: 30, ttl: 60, maxlen: 10, async: true };
      const id = String(await call("addJob", { queue: "dn-add", job: "all", timeout: 0, ...options }));
      assert.match(id, JOB_ID);
      assert.match(String(await call("addJob", { queue: "dn-add", job: "later", delay: 100 })), JOB_ID);
      assert.equal(await call("qlen", "dn-add"), 1);
      await assert.rejects(call("addJob", { job: "x" }), /^Error: Should have a queue$/);
      // A TTL shorter than the retry is accepted, as on Disque.
      assert.match(String(await call("addJob", { queue: "dn-add", job: "x", ttl: 50, retry: 60 })), JOB_ID);
    });

    it("show: Disque's fields, parsed into an object", async () => {
      const before = Date.now();
      const id = String(await call("addJob", { queue: "dn-show", job: "body", retry: 30, ttl: 60 }));
      const show = (await call("show", id)) as Record<string, unknown>;
      assert.deepEqual(Object.keys(show), SHOW_FIELDS);
      const { ctime, ["next-requeue-within"]: requeue, ["next-awake-within"]: awake, ...rest } = show;
      const { nodeId } = (await call("hello", {})) as { nodeId: string };
      assertQueuedShow(rest, { id, queue: "dn-show", ttl: 60, retry: 30, nodeId });
      assertCtime(ctime, before);
      assertAbout(requeue, 30_000);
      // the next re-queue check, not the TTL (Disque's is 500 ms earlier)
      assertAbout(awake, 30_000);
      assert.equal(await call("show", UNKNOWN_ID), null);
      await assert.rejects(call("show", "nope"), { message: "BADID Invalid Job ID format." });
    });

    it("getJob from several queues with counters; nothing is []", async () => {
      const a = String(await call("addJob", { queue: "dn-get-a", job: "a" }));
      const b = String(await call("addJob", { queue: "dn-get-b", job: "b" }));
      assert.deepEqual(
        await call("getJob", { queue: ["dn-get-b", "dn-get-a"], count: 5, withcounters: true, nohang: true }),
        [
          { queue: "dn-get-b", jobId: b, body: "b", nacks: 0, additionalDeliveries: 0 },
          { queue: "dn-get-a", jobId: a, body: "a", nacks: 0, additionalDeliveries: 0 },
        ],
      );
      assert.deepEqual(await call("getJob", { queue: "dn-get-a", nohang: true }), []);
    });

    it("working, nack, ackJob, fastAck: Disque's counts", async () => {
      const id = String(await call("addJob", { queue: "dn-ack", job: "j", retry: 30 }));
      await call("getJob", { queue: "dn-ack", nohang: true });
      assert.equal(await call("working", id), 30);
      assert.equal(await call("nack", [id]), 1);
      assert.deepEqual(await call("getJob", { queue: "dn-ack", withcounters: true, nohang: true }), [
        { queue: "dn-ack", jobId: id, body: "j", nacks: 1, additionalDeliveries: 0 },
      ]);
      assert.equal(await call("ackJob", id), 1);
      assert.equal(await call("ackJob", [id]), 0);
      await assert.rejects(call("working", UNKNOWN_ID), {
        message: "NOJOB Job not known in the context of this node.",
      });
      const fast = String(await call("addJob", { queue: "dn-ack", job: "f" }));
      assert.equal(await call("fastAck", [fast, fast]), 1);
      assert.equal(await call("qlen", "dn-ack"), 0);
    });

    it("dequeue, enqueue, delJob", async () => {
      const id = String(await call("addJob", { queue: "dn-move", job: "j" }));
      assert.equal(await call("dequeue", [id]), 1);
      assert.equal(await call("qlen", "dn-move"), 0);
      assert.equal(await call("enqueue", id), 1);
      assert.equal(await call("qlen", "dn-move"), 1);
      assert.equal(await call("delJob", id), 1);
      assert.equal(await call("delJob", [id]), 0);
    });

    it("qscan: the cursor sent last, with every option", async () => {
      await call("addJob", { queue: "dn-scan", job: "j" });
      const all = (await call("qscan", { count: 100 })) as { cursor: number; queues: string[] };
      assert.equal(all.cursor, 0);
      assert.ok(all.queues.includes("dn-scan"));
      const options = { count: 100, busyloop: true, minlen: 1, maxlen: 1000, importrate: 1 };
      // IMPORTRATE counts jobs imported from other nodes: on one node no queue has any.
      assert.deepEqual(await call("qscan", options), { cursor: 0, queues: [] });
      const { importrate: _, ...local } = options;
      const long = (await call("qscan", local)) as { cursor: number; queues: string[] };
      assert.ok(long.queues.includes("dn-scan"));
    });

    it("hello and info, parsed by the client", async () => {
      const hello = (await call("hello", {})) as { version: number; nodeId: string; nodeIds: string[] };
      assert.equal(hello.version, 1);
      assert.match(hello.nodeId, NODE_ID);
      const [id, ip, port, priority] = hello.nodeIds;
      assert.deepEqual([id, port, priority], [hello.nodeId, String(t.port), "1"]);
      // own address: "" on one node (docket: when bound to its default address)
      assert.equal(ip, "");
      const info = (await call("info", {})) as Record<string, Record<string, string>>;
      for (const section of ["server", "clients", "memory", "jobs", "queues", "persistence", "stats"]) {
        assert.ok(section in info, section);
      }
      assert.equal(info.server!.tcp_port, String(t.port));
      assert.equal(info.clients!.connected_clients, "1");
      assert.match(info.jobs!.registered_jobs!, /^\d+$/);
      assert.match(info.queues!.registered_queues!, /^\d+$/);
      assert.equal(info.server!.disque_version, "1.0-rc1");
      assert.match(info.server!.gcc_version!, /^\d+\.\d+\.\d+$/);
      assert.match(info.cpu!.used_cpu_user!, /^\d+\.\d\d$/);
    });

    it("auth without a password set: Disque's error", async () => {
      await assert.rejects(call("auth", { password: "x" }), {
        message: "ERR Client sent AUTH, but no password is set",
      });
    });
  });
}
