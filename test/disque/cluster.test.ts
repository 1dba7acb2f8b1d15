import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { targets } from "../clients/targets.js";
import { RawClient, array, bulk, error, int, simple, NULL_ARRAY } from "../helpers/raw-client.js";
import { startRedis, uniquePrefix, type RedisProcess } from "../helpers/redis.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/**
 * CLUSTER INFO / NODES / LEAVING and HELLO on one node, byte for byte, on
 * docket and on Disque 1.0-rc1 itself (so every expected reply is checked
 * against Disque on each run); the node id and port are the only variables.
 */

const LEAVING = error("LEAVING This node is leaving the cluster, please connect to a different one");

for (const target of targets()) {
  describe(`CLUSTER and HELLO on ${target.name}`, { skip: target.skip }, () => {
    let t: { port: number; close(): Promise<void> };
    let c: RawClient;
    let id: string;

    before(async () => {
      t = await target.start();
      c = await RawClient.connect(t.port);
      id = (await c.call("CLUSTER", "MYID")).slice(5, 45);
    });
    after(async () => {
      c.close();
      await t.close();
    });

    const hello = (priority: string) =>
      array(int(1), bulk(id), array(bulk(id), bulk(""), bulk(String(t.port)), bulk(priority)));

    it("CLUSTER INFO: one node, none other reachable, no cluster messages", async () => {
      assert.equal(
        await c.call("CLUSTER", "INFO"),
        bulk(
          "cluster_state:ok\r\ncluster_known_nodes:1\r\ncluster_reachable_nodes:0\r\ncluster_size:1\r\n" +
            "cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n",
        ),
      );
    });

    it("CLUSTER NODES: id, own address (empty host), flags, ping/pong, link", async () => {
      assert.equal(await c.call("CLUSTER", "NODES"), bulk(`${id} :${t.port} myself 0 0 connected\n`));
    });

    it("HELLO: this node, its own address empty, priority 1", async () => {
      assert.equal(await c.call("HELLO"), hello("1"));
    });

    it("CLUSTER LEAVING: no, yes, its errors; HELLO priority 100 and NODES flag while leaving", async () => {
      assert.equal(await c.call("CLUSTER", "LEAVING"), simple("no"));
      assert.equal(
        await c.call("CLUSTER", "LEAVING", "maybe"),
        error("ERR Wrong argument for CLUSTER LEAVING. Use 'yes' or 'no'"),
      );
      assert.equal(
        await c.call("CLUSTER", "LEAVING", "yes", "x"),
        error("ERR Wrong CLUSTER subcommand or number of arguments"),
      );
      assert.equal(await c.call("CLUSTER", "LEAVING", "YES"), simple("OK"));
      try {
        assert.equal(await c.call("CLUSTER", "LEAVING"), simple("yes"));
        assert.equal(await c.call("HELLO"), hello("100"));
        assert.equal(
          await c.call("CLUSTER", "NODES"),
          bulk(`${id} :${t.port} myself,leaving 0 0 connected\n`),
        );
      } finally {
        assert.equal(await c.call("CLUSTER", "LEAVING", "no"), simple("OK"));
      }
      assert.equal(await c.call("CLUSTER", "LEAVING"), simple("no"));
      assert.equal(await c.call("HELLO"), hello("1"));
    });

    it("a leaving node answers -LEAVING to a GETJOB that would block, and still gives queued jobs", async () => {
      const job = (await c.call("ADDJOB", "leave-q", "body", "0")).slice(1, -2);
      assert.equal(await c.call("CLUSTER", "LEAVING", "yes"), simple("OK"));
      try {
        assert.equal(
          await c.call("GETJOB", "FROM", "leave-q"),
          array(array(bulk("leave-q"), bulk(job), bulk("body"))),
        );
        assert.equal(await c.call("GETJOB", "FROM", "leave-q"), LEAVING);
        assert.equal(await c.call("GETJOB", "TIMEOUT", "100", "FROM", "leave-q"), LEAVING);
        assert.equal(await c.call("GETJOB", "NOHANG", "FROM", "leave-q"), NULL_ARRAY);
      } finally {
        assert.equal(await c.call("CLUSTER", "LEAVING", "no"), simple("OK"));
      }
      assert.equal(await c.call("ACKJOB", job), int(1));
    });

    it("clients already blocked in GETJOB are woken with -LEAVING", async () => {
      const blocked = await RawClient.connect(t.port);
      try {
        blocked.send("GETJOB", "TIMEOUT", "60000", "FROM", "wake-q");
        // the GETJOB is blocked once INFO counts it
        for (let i = 0; !(await c.call("INFO", "clients")).includes("blocked_clients:1"); i++) {
          assert.ok(i < 100, "the GETJOB never blocked");
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal(await c.call("CLUSTER", "LEAVING", "yes"), simple("OK"));
        assert.equal(await blocked.reply(), LEAVING);
        assert.equal(await c.call("CLUSTER", "LEAVING", "no"), simple("OK"));
        // no longer leaving: GETJOB blocks again and gets the next job
        blocked.send("GETJOB", "TIMEOUT", "60000", "FROM", "wake-q");
        const job = (await c.call("ADDJOB", "wake-q", "later", "0")).slice(1, -2);
        assert.equal(await blocked.reply(), array(array(bulk("wake-q"), bulk(job), bulk("later"))));
      } finally {
        blocked.close();
      }
    });

    it("a leaving node refuses ADDJOB with NOREPL, after checking its arguments", async () => {
      assert.equal(await c.call("CLUSTER", "LEAVING", "yes"), simple("OK"));
      try {
        assert.equal(
          await c.call("ADDJOB", "leave-add", "x", "0", "ASYNC"),
          error(
            "NOREPL Not enough reachable nodes for the requested replication level, since I'm unable to hold a copy of the message for the following reason: I'm leaving the cluster",
          ),
        );
        assert.equal(await c.call("ADDJOB", "leave-add", "x", "0", "FOO"), error("ERR syntax error"));
      } finally {
        assert.equal(await c.call("CLUSTER", "LEAVING", "no"), simple("OK"));
      }
      assert.equal(await c.call("QLEN", "leave-add"), int(0));
    });

    it("CLUSTER errors", async () => {
      assert.equal(
        await c.call("CLUSTER", "FOO"),
        error("ERR Wrong CLUSTER subcommand or number of arguments"),
      );
      assert.equal(await c.call("CLUSTER"), error("ERR wrong number of arguments for 'cluster' command"));
    });
  });
}

describe("HELLO's own address on docket", () => {
  it("a server bound to another address than the default gives it", async () => {
    const t = await testServer({ bind: "localhost" });
    const c = await RawClient.connect(t.port, "localhost");
    try {
      const id = t.server.broker.nodeId;
      assert.equal(
        await c.call("HELLO"),
        array(int(1), bulk(id), array(bulk(id), bulk("localhost"), bulk(String(t.port)), bulk("1"))),
      );
      assert.equal(
        await c.call("CLUSTER", "NODES"),
        bulk(`${id} localhost:${t.port} myself 0 0 connected\n`),
      );
    } finally {
      c.close();
      await t.close();
    }
  });
});

describe("CLUSTER LEAVING on the Redis store: the other servers see it", () => {
  let redis: RedisProcess;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    redis = await startRedis();
    const prefix = uniquePrefix("leaving");
    a = await testServer({ redis: [redis.url], redisPrefix: prefix });
    b = await testServer({ redis: [redis.url], redisPrefix: prefix });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  it("HELLO and CLUSTER NODES on another server give the leaving one priority 100; its blocked GETJOB gets -LEAVING", async () => {
    const onA = await RawClient.connect(a.port);
    const onB = await RawClient.connect(b.port);
    const blocked = await RawClient.connect(a.port);
    const idA = a.server.broker.nodeId;
    const entryOfA = (priority: string) =>
      array(bulk(idA), bulk("127.0.0.1"), bulk(String(a.port)), bulk(priority));
    try {
      assert.ok((await onB.call("HELLO")).includes(entryOfA("1")));
      blocked.send("GETJOB", "FROM", "leave-redis");
      await waitFor(async () => (await onA.call("INFO", "clients")).includes("blocked_clients:1"));
      assert.equal(await onA.call("CLUSTER", "LEAVING", "yes"), simple("OK"));
      assert.equal(await blocked.reply(), LEAVING);
      await waitFor(async () => (await onB.call("HELLO")).includes(entryOfA("100")));
      assert.match(
        await onB.call("CLUSTER", "NODES"),
        new RegExp(`${idA} 127\\.0\\.0\\.1:${a.port} leaving 0 0`),
      );
      assert.equal(await onA.call("GETJOB", "TIMEOUT", "100", "FROM", "leave-redis"), LEAVING);
      assert.equal(await onA.call("CLUSTER", "LEAVING", "no"), simple("OK"));
      await waitFor(async () => (await onB.call("HELLO")).includes(entryOfA("1")));
    } finally {
      onA.close();
      onB.close();
      blocked.close();
    }
  });
});
