import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient, type ThunkDisqueClient } from "thunk-disque";
import {
  JOB_ID,
  NODE_ID,
  SHOW_FIELDS,
  UNKNOWN_ID,
  assertAbout,
  assertCtime,
  assertQueuedShow,
  withinATick,
} from "./disque-replies.js";
import { targets } from "./targets.js";

/**
 * thunk-disque (npm) driven through every Disque call it offers, against
 * docket and against Disque 1.0-rc1 itself (so the expected values are
 * Disque's own answers, checked on every run); where docket still answers
 * otherwise the assertion is loose and says so (see docs/compatibility.md).
 */
for (const target of targets()) {
  describe(`thunk-disque against ${target.name}`, { skip: target.skip }, () => {
    let t: { port: number; close(): Promise<void> };
    let client: ThunkDisqueClient;
    let nodeId: string;

    before(async () => {
      t = await target.start();
      client = createClient(t.port, "127.0.0.1", { usePromise: true, maxAttempts: 0 });
      // thunk-disque sends HELLO as it connects and routes job commands by the node id.
      await new Promise<void>((resolve) => client.once("connect", resolve));
    });
    after(async () => {
      client.clientEnd();
      await t.close();
    });

    it("PING and HELLO: version 1, this node, its port and priority 1", async () => {
      assert.equal(await client.ping(), "PONG");
      const [version, myId, ...nodes] = (await client.hello()) as [number, string, ...string[][]];
      assert.equal(version, 1);
      assert.match(myId, NODE_ID);
      nodeId = myId;
      assert.equal(nodes.length, 1);
      const [id, ip, port, priority] = nodes[0]!;
      assert.deepEqual([id, port, priority], [myId, String(t.port), "1"]);
      // own address: "" on one node (docket: when bound to its default address)
      assert.equal(ip, "");
    });

    it("ADDJOB with each option, and Disque's refusals", async () => {
      assert.match(String(await client.addjob("tq-add", "plain", 0)), JOB_ID);
      assert.match(String(await client.addjob("tq-add", "repl", 0, "REPLICATE", 1)), JOB_ID);
      await refused(
        client.addjob("tq-add", "x", 0, "REPLICATE", 2),
        "NOREPL Not enough reachable nodes for the requested replication level",
      );
      const delayed = String(
        await client.addjob("tq-add", "later", 0, "DELAY", 3600, "RETRY", 10, "TTL", 7200),
      );
      assert.match(String(await client.addjob("tq-add", "ttl", 0, "TTL", 50)), JOB_ID);
      await refused(client.addjob("tq-add", "x", 0, "TTL", 0), "ERR TTL must be a number > 0");
      await refused(
        client.addjob("tq-add", "x", 0, "MAXLEN", 2),
        "MAXLEN Queue is already longer than the specified MAXLEN count",
      );
      assert.match(String(await client.addjob("tq-add", "async", 0, "ASYNC")), JOB_ID);
      const all = ["REPLICATE", 1, "DELAY", 0, "RETRY", 5, "TTL", 60, "MAXLEN", 10, "ASYNC"];
      assert.match(String(await client.addjob("tq-add", "all", 500, ...all)), JOB_ID);
      assert.equal(await client.qlen("tq-add"), 5, "the delayed job is not queued yet");

      const show = (await client.show(delayed)) as Record<string, unknown>;
      assert.deepEqual(Object.keys(show), SHOW_FIELDS);
      assert.equal(show.state, "active");
      assert.deepEqual([withinATick(show.ttl, 7200, -1), show.delay, show.retry], [7200, 3600, 10]);
      // when the delay ends: the job is queued then
      assertAbout(show["next-requeue-within"], 3_600_000);
      assertAbout(show["next-awake-within"], 3_600_000);
    });

    it("QLEN, QPEEK (both ends, 0) and QSTAT", async () => {
      const one = String(await client.addjob("tq-peek", "one", 0));
      const two = String(await client.addjob("tq-peek", "two", 0));
      assert.equal(await client.qlen("tq-peek"), 2);
      assert.equal(await client.qlen("tq-nothing"), 0);
      assert.deepEqual(await client.qpeek("tq-peek", 2), [
        ["tq-peek", one, "one"],
        ["tq-peek", two, "two"],
      ]);
      assert.deepEqual(await client.qpeek("tq-peek", -1), [["tq-peek", two, "two"]]);
      assert.deepEqual(await client.qpeek("tq-peek", 0), []);
      assert.deepEqual(await client.qpeek("tq-nothing", 3), []);
      const { age, idle, ...stat } = (await client.qstat("tq-peek")) as Record<string, unknown>;
      assert.deepEqual(
        { age: withinATick(age, 0, 1), idle: withinATick(idle, 0, 1), ...stat },
        {
          age: 0,
          idle: 0,
          name: "tq-peek",
          len: 2,
          blocked: 0,
          "import-from": [],
          "import-rate": 0,
          "jobs-in": 2,
          "jobs-out": 0,
          pause: "none",
        },
      );
      assert.equal(await client.qstat("tq-nothing"), null);
    });

    it("SHOW as a hash: Disque's 15 fields in order", async () => {
      const before = Date.now();
      const id = String(await client.addjob("tq-show", "body", 0));
      const show = (await client.show(id)) as Record<string, unknown>;
      assert.deepEqual(Object.keys(show), SHOW_FIELDS);
      const { ctime, ["next-requeue-within"]: requeue, ["next-awake-within"]: awake, ...rest } = show;
      assertQueuedShow(rest, { id, queue: "tq-show", ttl: 86400, retry: 300, nodeId });
      assertCtime(ctime, before);
      assertAbout(requeue, 300_000);
      // the next re-queue check, not the TTL (Disque's is 500 ms earlier)
      assertAbout(awake, 300_000);
      assert.equal(await client.show(UNKNOWN_ID), null);
      await refused(client.show("nope"), "BADID Invalid Job ID format.");
    });

    it("GETJOB from several queues, COUNT, WITHCOUNTERS, NOHANG, TIMEOUT and its errors", async () => {
      const a1 = String(await client.addjob("tq-get-a", "a1", 0));
      const a2 = String(await client.addjob("tq-get-a", "a2", 0));
      const b1 = String(await client.addjob("tq-get-b", "b1", 0));
      // Queues are served in the order given, COUNT across them.
      assert.deepEqual(await client.getjob("NOHANG", "COUNT", 2, "FROM", "tq-get-b", "tq-get-a"), [
        ["tq-get-b", b1, "b1"],
        ["tq-get-a", a1, "a1"],
      ]);
      assert.deepEqual(
        await client.getjob("NOHANG", "COUNT", 10, "WITHCOUNTERS", "FROM", "tq-get-a", "tq-get-b"),
        [["tq-get-a", a2, "a2", "nacks", 0, "additional-deliveries", 0]],
      );
      assert.equal(await client.getjob("NOHANG", "FROM", "tq-get-a", "tq-get-b"), null);
      assert.equal(await client.getjob("TIMEOUT", 50, "FROM", "tq-get-empty"), null);
      await refused(client.getjob("COUNT", 0, "FROM", "x"), "ERR COUNT must be a number greater than zero");
      await refused(client.getjob("TIMEOUT", -1, "FROM", "x"), "ERR timeout is negative");
    });

    it("WORKING, NACK, ACKJOB, FASTACK: Disque's counts", async () => {
      const id = String(await client.addjob("tq-ack", "job", 0));
      await client.getjob("NOHANG", "FROM", "tq-ack");
      assert.equal(await client.working(id), 300);
      assert.equal(await client.nack(id), 1);
      const [[, , , , nacks]] = (await client.getjob(
        "NOHANG",
        "WITHCOUNTERS",
        "FROM",
        "tq-ack",
      )) as unknown[][] as [unknown[]];
      assert.equal(nacks, 1);
      assert.equal(((await client.show(id)) as Record<string, unknown>).nacks, 1);
      assert.equal(await client.ackjob(id), 1);
      assert.equal(await client.ackjob(id), 0);
      await refused(client.ackjob("nope"), "BADID Invalid Job ID format.");
      await refused(client.working(UNKNOWN_ID), "NOJOB Job not known in the context of this node.");
      assert.equal(await client.nack(UNKNOWN_ID), 0);
      const fast = String(await client.addjob("tq-ack", "fast", 0));
      assert.equal(await client.fastack(fast, fast), 1);
      assert.equal(await client.qlen("tq-ack"), 0);
    });

    it("DEQUEUE, ENQUEUE, DELJOB: 1 the first time, 0 the second", async () => {
      const id = String(await client.addjob("tq-move", "job", 0));
      assert.equal(await client.dequeue(id), 1);
      assert.equal(await client.dequeue(id), 0);
      assert.equal(await client.qlen("tq-move"), 0);
      assert.equal(await client.enqueue(id), 1);
      assert.equal(await client.enqueue(id), 0);
      assert.equal(await client.qlen("tq-move"), 1);
      assert.equal(await client.deljob(id), 1);
      assert.equal(await client.deljob(id), 0);
      await refused(client.enqueue("D-bad"), "BADID Invalid Job ID format.");
    });

    it("PAUSE: in refuses ADDJOB, out hides the queue, options read left to right", async () => {
      assert.equal(await client.pause("tq-pause", "in"), "in");
      await refused(client.addjob("tq-pause", "x", 0), "PAUSED Queue paused in input, try later");
      assert.equal(await client.pause("tq-pause", "state"), "in");
      assert.equal(await client.pause("tq-pause", "out"), "out");
      const id = String(await client.addjob("tq-pause", "x", 0));
      assert.equal(await client.getjob("NOHANG", "FROM", "tq-pause"), null);
      assert.equal(await client.pause("tq-pause", "none", "in"), "in");
      assert.equal(await client.pause("tq-pause", "all"), "all");
      assert.equal(await client.pause("tq-pause", "none"), "none");
      assert.deepEqual(await client.getjob("NOHANG", "FROM", "tq-pause"), [["tq-pause", id, "x"]]);
      await refused(client.pause("tq-pause", "bogus"), "ERR syntax error");
    });

    it("QSCAN and JSCAN: cursor, COUNT, MINLEN, QUEUE, STATE, REPLY id|all, errors", async () => {
      const id = String(await client.addjob("tq-scan", "job", 0));
      const [cursor, names] = (await client.qscan("COUNT", 100)) as [string, string[]];
      assert.equal(cursor, "0");
      assert.ok(names.includes("tq-scan"));
      assert.deepEqual(await client.qscan(0, "MINLEN", 100), ["0", []]);
      const [end, busy] = (await client.qscan("BUSYLOOP", "MINLEN", 1, "MAXLEN", 1, "COUNT", 1)) as [
        string,
        string[],
      ];
      assert.equal(end, "0");
      assert.deepEqual(busy.sort(), (await queuesOfLength1()).sort());
      assert.deepEqual(await client.jscan(0, "COUNT", 100, "QUEUE", "tq-scan", "REPLY", "id"), ["0", [id]]);
      const [, [job]] = (await client.jscan(0, "QUEUE", "tq-scan", "STATE", "queued", "REPLY", "all")) as [
        string,
        unknown[][],
      ];
      assert.equal(job![0], "id");
      assert.equal(job![1], id);
      assert.equal(job!.length, 30);
      assert.deepEqual(await client.jscan(0, "QUEUE", "tq-scan", "STATE", "acked"), ["0", []]);
      await refused(client.jscan(0, "STATE", "nope"), "ERR Invalid job state name");
      await refused(client.jscan(0, "REPLY", "bogus"), "ERR Invalid REPLY type, try ID or ALL");
    });

    it("INFO as a hash, INFO server, TIME", async () => {
      const info = (await client.info()) as Record<string, string>;
      for (const field of ["disque_version", "run_id", "uptime_in_seconds", "used_memory", "aof_enabled"]) {
        assert.ok(field in info, field);
      }
      assert.equal(info.tcp_port, String(t.port));
      assert.equal(info.connected_clients, "1");
      assert.equal(info.blocked_clients, "0");
      assert.match(info.registered_jobs!, /^\d+$/);
      assert.match(info.registered_queues!, /^\d+$/);
      const server = (await client.info("server")) as Record<string, string>;
      assert.ok("disque_version" in server && !("used_memory" in server));
      assert.equal(server.disque_version, "1.0-rc1");
      assert.match(server.gcc_version!, /^\d+\.\d+\.\d+$/);
      const [seconds, micros] = (await client.time()) as string[];
      assert.ok(Math.abs(Number(seconds) - Date.now() / 1000) < 5);
      assert.match(micros!, /^\d+$/);
    });

    it("AUTH, CLIENT, CLUSTER MYID and LEAVING, CONFIG GET, COMMAND COUNT", async () => {
      await refused(client.auth("x"), "ERR Client sent AUTH, but no password is set");
      assert.equal(await client.client("SETNAME", "worker-1"), "OK");
      assert.equal(await client.client("GETNAME"), "worker-1");
      assert.equal(await client.cluster("MYID"), nodeId);
      assert.equal(await client.cluster("LEAVING"), "no");
      const [name, appendonly] = (await client.config("GET", "appendonly")) as string[];
      assert.equal(name, "appendonly");
      assert.match(appendonly!, /^(yes|no)$/);
      const [, maxmemory] = (await client.config("GET", "maxmemory")) as string[];
      assert.match(maxmemory!, /^\d+$/);
      // Disque has 32 commands; docket adds its own (WAITJOB, the dialects).
      assert.ok(((await client.command("COUNT")) as number) >= 32);
    });

    it("MONITOR, SLOWLOG, LATENCY, BGREWRITEAOF, LOADJOB: Disque's answers", async () => {
      const watcher = createClient(t.port, "127.0.0.1", { usePromise: true, maxAttempts: 0 });
      try {
        await new Promise<void>((resolve) => watcher.once("connect", resolve));
        const lines: string[] = [];
        watcher.on("monitor", (line) => lines.push(String(line)));
        // Its promise settles only when the watcher ends (rejected): thunk-disque hands
        // MONITOR's own +OK to the "monitor" listeners.
        watcher.monitor().catch(() => {});
        const deadline = Date.now() + 5000;
        while (!lines.includes("OK") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        await client.qlen("tq-monitored");
        while (!lines.some((line) => line.endsWith('"qlen" "tq-monitored"')) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.ok(
          lines.some((line) => /^\d+\.\d{6} \[127\.0\.0\.1:\d+\] "qlen" "tq-monitored"$/.test(line)),
          lines.join("\n"),
        );
      } finally {
        watcher.clientEnd();
      }
      assert.equal(await client.slowlog("RESET"), "OK");
      assert.equal(typeof (await client.slowlog("LEN")), "number");
      assert.ok(Array.isArray(await client.slowlog("GET")));
      assert.deepEqual(await client.latency("LATEST"), []);
      assert.equal(await client.latency("RESET"), 0);
      assert.match(String(await client.latency("DOCTOR")), /^I'm sorry, Dave, I can't do that\./);
      await refused(client.loadjob("x"), "ERR LOADJOB is a special command only processed from AOF");
      assert.equal(await client.bgrewriteaof(), "Background append only file rewriting started");
    });

    /** Queues of exactly one job, by QSCAN one page at a time (COUNT 1): the same set BUSYLOOP must give. */
    async function queuesOfLength1(): Promise<string[]> {
      const found: string[] = [];
      let cursor = "0";
      for (let page = 0; page < 1000; page++) {
        const [next, names] = (await client.qscan(cursor, "COUNT", 1, "MINLEN", 1, "MAXLEN", 1)) as [
          string,
          string[],
        ];
        found.push(...names);
        cursor = next;
        if (cursor === "0") return found;
      }
      throw new Error("QSCAN never came back to cursor 0");
    }
  });
}

/** thunk-disque splits an error reply into `name` (Disque's code) and `message` (the rest). */
async function refused(reply: Promise<unknown>, error: string): Promise<void> {
  const space = error.indexOf(" ");
  await assert.rejects(reply, { name: error.slice(0, space), message: error.slice(space + 1) });
}
