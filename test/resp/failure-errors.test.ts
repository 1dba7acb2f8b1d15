import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { RawClient, array, bulk, error, int, simple } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";
import { jobIdOf as idOf, replyValue as value } from "../helpers/resp-values.js";
import { serverOnEachStore } from "../helpers/each-store.js";

/**
 * docket's failure extensions over RESP (docs/failures.md): the server's
 * failure settings (CONFIG GET/SET) and every range or syntax error of the
 * new options. failures.test.ts has the replies.
 */

const stores = serverOnEachStore("fail");

for (const store of stores) {
  describe(`failure settings and option errors over RESP on the ${store.name}`, () => {
    let t: TestServer;
    let c: RawClient;
    const add = async (queue: string, ...options: Array<string | number>) =>
      idOf(await c.call("ADDJOB", queue, "body", 0, ...options));
    /** adds a job and takes it: it is active, ready to fail */
    const taken = async (queue: string, ...options: Array<string | number>) => {
      const id = await add(queue, ...options);
      const got = value(await c.call("GETJOB", "NOHANG", "FROM", queue)) as unknown[][];
      assert.equal(got[0]![1], id);
      return id;
    };

    before(async () => {
      t = await store.start();
      c = await RawClient.connect(t.port);
    });
    after(async () => {
      c.close();
      await t.close();
    });
    beforeEach(async () => {
      await c.call("DEBUG", "FLUSHALL");
      assert.equal(await c.call("CONFIG", "SET", "default-retries", "-1"), simple("OK"));
    });

    it("CONFIG SET default-retries gives a plain ADDJOB's job a budget", async () => {
      assert.equal(await c.call("CONFIG", "SET", "default-retries", "1"), simple("OK"));
      assert.equal(
        await c.call("CONFIG", "GET", "default-retries"),
        array(bulk("default-retries"), bulk("1")),
      );
      const id = await taken("q");
      assert.equal(await c.call("NACK", id), int(1));
      await c.call("GETJOB", "NOHANG", "FROM", "q");
      assert.equal(await c.call("NACK", id), int(1));
      assert.equal((value(await c.call("DEADLETTERS", "q")) as unknown[][])[0]![0], id);
    });

    it("CONFIG GET and SET the failure settings, refusing bad values", async () => {
      assert.equal(
        await c.call("CONFIG", "GET", "de*"),
        array(
          bulk("default-retries"),
          bulk("-1"),
          bulk("default-backoff"),
          bulk("exponential:1000:3600000:jitter"),
          bulk("dead-letter-cap"),
          bulk("10000"),
        ),
      );
      assert.equal(await c.call("CONFIG", "SET", "default-backoff", "EXPONENTIAL:5:50"), simple("OK"));
      assert.equal(
        await c.call("CONFIG", "GET", "default-backoff"),
        array(bulk("default-backoff"), bulk("exponential:5:50")),
      );
      assert.equal(await c.call("CONFIG", "SET", "result-ttl", "60"), simple("OK"));
      assert.equal(await c.call("CONFIG", "SET", "dead-letter-cap", "0"), simple("OK"));
      for (const [name, bad] of [
        ["default-retries", "-2"],
        ["default-retries", "2147483648"],
        ["default-retries", "x"],
        ["default-backoff", "linear:5"],
        ["default-backoff", "exponential:10:5"],
        ["dead-letter-cap", "-1"],
        ["result-ttl", "0"],
        ["result-ttl", "2147483648"],
      ] as const) {
        assert.equal(
          await c.call("CONFIG", "SET", name, bad),
          error(`ERR Invalid argument '${bad}' for CONFIG SET '${name}'`),
        );
      }
      await c.call("CONFIG", "SET", "default-backoff", "exponential:1000:3600000:jitter");
      await c.call("CONFIG", "SET", "result-ttl", "3600");
      await c.call("CONFIG", "SET", "dead-letter-cap", "10000");
    });

    it("refuses every out-of-range or malformed option with a clear error", async () => {
      const id = await add("q");
      const cases: Array<[Array<string | number>, string]> = [
        [["ADDJOB", "q", "b", 0, "RETRIES", -1], "ERR RETRIES must be a non negative integer"],
        [["ADDJOB", "q", "b", 0, "RETRIES", "2147483648"], "ERR RETRIES must be at most 2147483647"],
        [["ADDJOB", "q", "b", 0, "RETRIES", "x"], "ERR RETRIES must be a non negative integer"],
        [["ADDJOB", "q", "b", 0, "RUNTIMEOUT", 0], "ERR RUNTIMEOUT must be a positive number of ms"],
        [
          ["ADDJOB", "q", "b", 0, "BACKOFF", "fixed"],
          `ERR backoff is fixed:<ms> or exponential:<ms>[:<max-ms>][:jitter] (e.g. exponential:1000:60000:jitter)`,
        ],
        [
          ["ADDJOB", "q", "b", 0, "BACKOFF", "exponential:10:5"],
          "ERR backoff max-ms must be at least its ms",
        ],
        [["NACK", id, "DELAY", -1], "ERR DELAY must be a non negative number of ms"],
        [["NACK", id, "DELAY", "1e3"], "ERR DELAY must be a non negative number of ms"],
        [["NACK", id, "RETRIES", -1], "ERR RETRIES must be a non negative integer"],
        [["NACK", id, "DELAY", 5, "BACKOFF"], "ERR NACK takes DELAY or BACKOFF, not both"],
        [["NACK", id, "BACKOFF", id], "ERR syntax error"],
        [["NACK", id, "ERROR"], "ERR syntax error"],
        [["ACKJOB", id, "RESULT"], "ERR syntax error"],
        [["ACKJOB", id, "RESULT", "a", "b"], "ERR syntax error"],
        [["QPOLICY", "q", "RETRIES", -1], "ERR RETRIES must be a non negative integer"],
        [["QPOLICY", "q", "DEADLETTER-CAP", -1], "ERR DEADLETTER-CAP must be a non negative integer"],
        [["QPOLICY", "q", "RUNTIMEOUT", 0], "ERR RUNTIMEOUT must be a positive number of ms"],
        [["QPOLICY", "q", "RETRIES"], "ERR syntax error"],
        [["QPOLICY", "q", "COLOUR", "red"], "ERR syntax error"],
        [["REDRIVE", "q", 0], "ERR count must be a positive integer"],
        [["REDRIVE", "q", "IDS"], "ERR syntax error"],
        [["DEADPURGE", "q", 1, 2], "ERR syntax error"],
        [["DEADLETTERS", "q", -1], "ERR count must be a positive integer"],
        [["WAITJOB", id, "soon", "WITHRESULT"], "ERR timeout is not an integer or out of range"],
        [["WAITJOB", id, 1, 2], "ERR syntax error"],
      ];
      for (const [command, message] of cases) {
        assert.equal(await c.call(...command), error(message), command.join(" "));
      }
      // nothing above changed the job or the queue's policy
      assert.equal(await c.call("QPOLICY", "q"), array());
      assert.equal((await c.call("SHOW", id)).slice(0, 5), "*30\r\n");
    });

    it("ACKJOB RESULT is refused above max-job-size", async () => {
      const id = await taken("q");
      await c.call("CONFIG", "SET", "max-job-size", "4");
      try {
        assert.equal(
          await c.call("ACKJOB", id, "RESULT", "12345"),
          error("ERR result too big: 5 bytes, the limit is 4"),
        );
        assert.equal(await c.call("ACKJOB", id, "RESULT", "1234"), int(1));
      } finally {
        await c.call("CONFIG", "SET", "max-job-size", String(16 * 1024 * 1024));
      }
    });
  });
}
