import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { docket } from "../helpers/cli.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { connect, type Client } from "../../src/client/index.js";

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("CLI failure commands", () => {
  let t: TestServer;
  let jobs: Client;
  let port: string;

  before(async () => {
    t = await testServer();
    port = String(t.port);
    jobs = connect(`127.0.0.1:${t.port}`);
  });
  after(async () => {
    jobs.close();
    await t.close();
  });

  /** Dead-letters a job with this body and error (budget 0: its first failure kills it). */
  async function deadLetter(queue: string, body: string, error: string): Promise<string> {
    const job = await jobs.retries(0).add(body, queue);
    const got = await jobs.timeout(2000).get(queue);
    assert.equal(got.id, job.id);
    await jobs.nack(got, { error });
    return job.id;
  }

  it("add takes --retries, --backoff and --run-timeout", async () => {
    const r = await docket(
      "add",
      "clf-add",
      "b",
      "--retries",
      "3",
      "--backoff",
      "fixed:200",
      "--run-timeout",
      "1500",
      "--port",
      port,
    );
    assert.equal(r.code, 0, r.stderr);
    const info = await jobs.show(r.stdout.trim());
    assert.equal(info?.retries, 3);
    assert.deepEqual(info?.backoff, { type: "fixed", delay: 200 });
    assert.equal(info?.runTimeout, 1500);
    const bad = await docket("add", "clf-add", "b", "--backoff", "sometimes", "--port", port);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^docket: ERR backoff is fixed:<ms> or exponential/);
  });

  it("deadletters lists a table or JSON with every attempt", async () => {
    const a = await deadLetter("clf-dead", "first body", "disk full\n    at somewhere");
    const b = await deadLetter("clf-dead", "second body", "timeout talking to the API");
    const r = await docket("deadletters", "clf-dead", "--port", port);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^id\s+dead since\s+tries\s+last error\s+body$/);
    assert.match(
      lines[1]!,
      new RegExp(`^${escaped(a)}\\s+\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+1\\s+disk full\\s+first body$`),
    );
    assert.match(
      lines[2]!,
      new RegExp(`^${escaped(b)}\\s+\\S+\\s+1\\s+timeout talking to the API\\s+second body$`),
    );
    assert.equal(lines.length, 3);

    const one = await docket("deadletters", "clf-dead", "--count", "1", "--json", "--port", port);
    assert.equal(one.code, 0, one.stderr);
    const parsed = JSON.parse(one.stdout) as Array<Record<string, unknown>>;
    assert.equal(parsed.length, 1);
    assert.equal(parsed[0]!.id, a);
    assert.equal(parsed[0]!.body, "first body");
    assert.equal(parsed[0]!.reason, "retries exhausted");
    assert.equal(parsed[0]!.retries, 0);
    assert.deepEqual(
      (parsed[0]!.attempts as Array<Record<string, string>>).map((x) => [x.cause, x.error]),
      [["nack", "disk full\n    at somewhere"]],
    );
    const none = await docket("deadletters", "clf-nothing", "--json", "--port", port);
    assert.equal(none.stdout.trim(), "[]");
    const zero = await docket("deadletters", "clf-dead", "--count", "0", "--port", port);
    assert.equal(zero.code, 1);
  });

  it("redrive and purge-deadletters take ids, --count or --all, and print how many", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await deadLetter("clf-redrive", `job ${i}`, "no"));
    const byId = await docket("redrive", "clf-redrive", ids[2]!, "--port", port);
    assert.equal(byId.code, 0, byId.stderr);
    assert.equal(byId.stdout, "1\n");
    const oldest = await docket("redrive", "clf-redrive", "--count", "1", "--port", port);
    assert.equal(oldest.stdout, "1\n");
    assert.deepEqual(
      (await jobs.peek<string>("clf-redrive", 10)).map((j) => j.data),
      ["job 2", "job 0"],
    );
    const purged = await docket("purge-deadletters", "clf-redrive", ids[1]!, "--port", port);
    assert.equal(purged.stdout, "1\n");
    const rest = await docket("purge-deadletters", "clf-redrive", "--all", "--port", port);
    assert.equal(rest.stdout, "1\n");
    assert.deepEqual(await jobs.deadLetters("clf-redrive"), []);
    const vague = await docket("redrive", "clf-redrive", "--port", port);
    assert.equal(vague.code, 1);
    assert.match(vague.stderr, /say which dead letters/);
    const both = await docket("purge-deadletters", "clf-redrive", "--all", ids[0]!, "--port", port);
    assert.equal(both.code, 1);
  });

  it("policy shows and changes a queue's policy; default resets a setting", async () => {
    const shown = await docket("policy", "clf-policy", "--port", port);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^retries\s+default$/m);
    assert.match(shown.stdout, /^dead-letter-cap\s+default$/m);
    const set = await docket(
      "policy",
      "clf-policy",
      "--retries",
      "5",
      "--backoff",
      "exponential:100:5000:jitter",
      "--run-timeout",
      "30000",
      "--dead-letter-cap",
      "7",
      "--port",
      port,
    );
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^retries\s+5$/m);
    assert.match(set.stdout, /^backoff\s+exponential:100:5000:jitter$/m);
    assert.match(set.stdout, /^run-timeout\s+30000$/m);
    assert.match(set.stdout, /^dead-letter-cap\s+7$/m);
    assert.deepEqual(await jobs.policy("clf-policy"), {
      retries: 5,
      backoff: { type: "exponential", delay: 100, max: 5000, jitter: true },
      runTimeout: 30000,
      deadLetterCap: 7,
    });
    const reset = await docket(
      "policy",
      "clf-policy",
      "--retries",
      "default",
      "--backoff",
      "default",
      "--port",
      port,
    );
    assert.match(reset.stdout, /^retries\s+default$/m);
    assert.match(reset.stdout, /^backoff\s+default$/m);
    assert.match(reset.stdout, /^run-timeout\s+30000$/m);
    const bad = await docket("policy", "clf-policy", "--retries", "many", "--port", port);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a whole number/);
  });

  it("result prints a job's result; exit 2 when none is kept", async () => {
    const job = await jobs.add("compute", "clf-result");
    const got = await jobs.get("clf-result");
    await jobs.ack(got, { result: { answer: 42 } });
    const r = await docket("result", job.id, "--port", port);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '{"answer":42}\n');
    const none = await docket("result", "D-00000000-000000000000000000000000-0000", "--port", port);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no result kept/);
  });
});
