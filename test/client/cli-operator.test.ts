import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT, docket } from "../helpers/cli.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { connect, DocketError, type Client } from "../../src/client/index.js";

const root = REPO_ROOT;
/** a well-formed id no job has */
const NO_SUCH_JOB = "D-00000000-000000000000000000000000-0000";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("CLI operator commands", () => {
  let t: TestServer;
  let jobs: Client;
  let port: string;

  before(async () => {
    t = await testServer();
    port = String(t.port);
    jobs = connect(`127.0.0.1:${t.port}`, { decode: "string" });
  });
  after(async () => {
    jobs.close();
    await t.close();
  });

  it("pause stops fetches by default, in refuses adds; resume ends it; --json", async () => {
    await jobs.add("waiting", "op-pause");
    const out = await docket("pause", "op-pause", "--port", port);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, "op-pause: paused out\n");
    assert.equal(await jobs.pauseState("op-pause"), "out");
    assert.deepEqual(await jobs.fetch(["op-pause"], { nohang: true }), []);

    const inward = await docket("pause", "op-pause", "in", "--json", "--port", port);
    assert.equal(inward.code, 0, inward.stderr);
    assert.deepEqual(JSON.parse(inward.stdout), { queue: "op-pause", pause: "in" });
    await assert.rejects(jobs.add("refused", "op-pause"), (e: DocketError) => e.code === "PAUSED");

    const all = await docket("pause", "op-pause", "ALL", "--port", port);
    assert.equal(all.stdout, "op-pause: paused all\n");
    const resumed = await docket("resume", "op-pause", "--port", port);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.stdout, "op-pause: not paused\n");
    assert.equal((await jobs.fetch(["op-pause"], { nohang: true }))[0]?.data, "waiting");
    const json = await docket("resume", "op-pause", "--json", "--port", port);
    assert.deepEqual(JSON.parse(json.stdout), { queue: "op-pause", pause: "none" });

    const bad = await docket("pause", "op-pause", "sideways", "--port", port);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /in, out or all/);
    assert.equal(await jobs.pauseState("op-pause"), "none");
  });

  it("show prints a job's fields, its attempts and its body (pretty JSON); --json", async () => {
    const job = await jobs
      .retries(3)
      .backoff("fixed:60000")
      .add({ to: "bob", n: [1, 2] }, "op-show");
    const got = await jobs.timeout(2000).get("op-show");
    await jobs.nack(got, { backoff: true, error: "smtp refused\nsecond line" });
    const r = await docket("show", job.id, "--port", port);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^id\\s+${job.id.replace(/[+/]/g, "\\$&")}$`, "m"));
    assert.match(r.stdout, /^queue\s+op-show$/m);
    assert.match(r.stdout, /^state\s+backoff$/m);
    assert.match(r.stdout, /^retries\s+3 \(2 left\)$/m);
    assert.match(r.stdout, /^backoff\s+fixed:60000$/m);
    // a minute from the nack, less the CLI's start-up (seconds on a loaded machine)
    const until = /^backoff until\s+\d{4}-\d\d-\d\dT\S+Z \(in (\d+) s\)$/m.exec(r.stdout);
    assert.ok(until && Number(until[1]) >= 40 && Number(until[1]) <= 60, r.stdout);
    assert.match(r.stdout, /^attempts\s+#1 \d{4}-\S+Z nack: smtp refused\n\s+second line$/m);
    assert.match(r.stdout, /^body\s+\{\n\s+"to": "bob",\n\s+"n": \[\n/m);

    const json = await docket("show", job.id, "--json", "--port", port);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.equal(parsed.id, job.id);
    assert.equal(parsed.state, "backoff");
    assert.equal(parsed.body, '{"to":"bob","n":[1,2]}');
    assert.equal(parsed.retries, 3);
    assert.equal(parsed.retriesLeft, 2);
    assert.equal(parsed.backoff, "fixed:60000");
    assert.deepEqual(
      (parsed.attempts as Array<Record<string, string>>).map((a) => [a.cause, a.error]),
      [["nack", "smtp refused\nsecond line"]],
    );

    const plain = await jobs.add("just text", "op-show");
    const text = await docket("show", plain.id, "--port", port);
    assert.match(text.stdout, /^state\s+queued$/m);
    assert.match(text.stdout, /^retries\s+unlimited$/m);
    assert.match(text.stdout, /^attempts\s+none failed$/m);
    assert.match(text.stdout, /^body\s+just text$/m);
  });

  it("show finds a dead letter too", async () => {
    const job = await jobs.retries(0).add('{"file":"a.csv"}', "op-show-dead");
    await jobs.nack(await jobs.timeout(2000).get("op-show-dead"), { error: "bad csv on line 3" });
    const r = await docket("show", job.id, "--port", port);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^state\s+dead$/m);
    assert.match(r.stdout, /^dead since\s+\d{4}-\S+Z \(\d+ (ms|s) ago\)$/m);
    assert.match(r.stdout, /^reason\s+retries exhausted$/m);
    assert.match(r.stdout, /^attempts\s+#1 \S+ nack: bad csv on line 3$/m);
    assert.match(r.stdout, /^body\s+\{\n\s+"file": "a.csv"\n\s+\}$/m);
    const json = JSON.parse((await docket("show", job.id, "--json", "--port", port)).stdout) as Record<
      string,
      unknown
    >;
    assert.equal(json.state, "dead");
    assert.equal(json.id, job.id);
    assert.equal(json.reason, "retries exhausted");
  });

  it("show: an unknown job exits 2, a malformed id 1", async () => {
    const unknown = await docket("show", NO_SUCH_JOB, "--port", port);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stdout, "");
    assert.equal(unknown.stderr, `docket: no job ${NO_SUCH_JOB}\n`);
    const bad = await docket("show", "nope", "--json", "--port", port);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "docket: BADID Invalid Job ID format.\n");
  });

  it("delete removes jobs whatever their state; unknown ones exit 2; --json", async () => {
    const queued = await jobs.add("a", "op-delete");
    const delivered = await jobs.add("b", "op-delete");
    await jobs.timeout(2000).get("op-delete");
    const r = await docket("delete", queued.id, delivered.id, "--port", port);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "2\n");
    assert.equal(await jobs.show(queued.id), null);
    assert.equal(await jobs.show(delivered.id), null);

    const again = await jobs.add("c", "op-delete");
    const partly = await docket("delete", again.id, NO_SUCH_JOB, "--json", "--port", port);
    assert.equal(partly.code, 2);
    assert.deepEqual(JSON.parse(partly.stdout), { deleted: 1, unknown: 1 });
    assert.equal(partly.stderr, "docket: 1 of the jobs was not known\n");
    const none = await docket("delete", "--port", port);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /missing required argument 'ids'/);
  });

  it("why prints the server's explanation, then the facts; --json is the whole object", async () => {
    const leased = await jobs.add("first", "op-why");
    const waiting = await jobs.add("second", "op-why");
    const got = await jobs.timeout(2000).get("op-why");
    assert.equal(got.id, leased.id);
    const r = await docket("why", leased.id, "--port", port);
    assert.equal(r.code, 0, r.stderr);
    const [sentence, blank, ...facts] = r.stdout.trimEnd().split("\n");
    assert.match(
      sentence!,
      /^leased to client \d+ \(127\.0\.0\.1:\d+\) until \d\d:\d\d:\d\d \(\d+ s\); it has not sent WORKING$/,
    );
    assert.equal(blank, "");
    assert.match(facts.join("\n"), /^cause\s+leased$/m);
    assert.match(facts.join("\n"), /^queue\s+op-why$/m);
    assert.match(facts.join("\n"), /^until\s+\d{4}-\S+Z \(in \d/m);
    assert.match(facts.join("\n"), /^leasedTo\s+client \d+ \(127\.0\.0\.1:\d+\)$/m);
    assert.match(facts.join("\n"), /^lastWorkingAt\s+-$/m);

    const ready = await docket("why", waiting.id, "--port", port);
    assert.match(
      ready.stdout,
      /^ready, position 1 of 1; 1 consumer has fetched from this queue in the last 5 min; /,
    );
    assert.match(
      ready.stdout,
      /^lastFetch\s+\d{4}-\S+Z \(\d+ (ms|s) ago\) by client \d+ \(127\.0\.0\.1:\d+\) on \[op-why\]$/m,
    );

    await docket("pause", "op-why", "--port", port);
    const json = await docket("why", waiting.id, "--json", "--port", port);
    assert.equal(json.code, 0, json.stderr);
    const answer = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.match(
      answer.text as string,
      /^queue paused out since \d\d:\d\d:\d\d by client \d+ \(127\.0\.0\.1:\d+\); position 1 of 1$/,
    );
    assert.equal(answer.cause, "paused");
    assert.equal(answer.id, waiting.id);
    assert.equal(answer.pause, "out");
    assert.match((answer.pausedBy as { addr: string }).addr, /^127\.0\.0\.1:\d+$/);
    assert.equal(typeof answer.pausedSince, "number");
    assert.deepEqual(
      answer,
      await jobs.explain(waiting.id).then((e) => ({ ...e, observedAt: answer.observedAt })),
    );

    const delayed = await jobs.delay(30_000).add("later", "op-why");
    const later = await docket("why", delayed.id, "--port", port);
    const left = /^delayed until \d\d:\d\d:\d\d \((\d+) s\)$/m.exec(later.stdout);
    assert.ok(left && Number(left[1]) >= 10 && Number(left[1]) <= 30, later.stdout);

    const unknown = await docket("why", NO_SUCH_JOB, "--port", port);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stdout, /^no such job: /);
    assert.match(unknown.stdout, /^cause\s+unknown$/m);
    const bad = await docket("why", "nope", "--port", port);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "docket: BADID Invalid Job ID format.\n");
  });

  it("redrive and purge-deadletters --json", async () => {
    for (const body of ["x", "y"]) {
      await jobs.retries(0).add(body, "op-dead");
      await jobs.nack(await jobs.timeout(2000).get("op-dead"), { error: "no" });
    }
    const redriven = await docket("redrive", "op-dead", "--count", "1", "--json", "--port", port);
    assert.equal(redriven.code, 0, redriven.stderr);
    assert.deepEqual(JSON.parse(redriven.stdout), { queue: "op-dead", redriven: 1 });
    const purged = await docket("purge-deadletters", "op-dead", "--all", "--json", "--port", port);
    assert.deepEqual(JSON.parse(purged.stdout), { queue: "op-dead", purged: 1 });
  });

  it("top --once shows each queue's counts, pause and rates", async () => {
    for (const body of ["1", "2", "3", "4"]) await jobs.add(body, "op-top");
    await jobs.timeout(2000).get("op-top"); // in flight
    await jobs.retries(2).backoff("fixed:60000").add("fails", "op-top");
    // the oldest ready ones come first: take until the failing one is in hand
    const failing = (await jobs.fetch(["op-top"], { count: 4, nohang: true })).find(
      (j) => j.data === "fails",
    );
    assert.ok(failing);
    await jobs.nack(failing, { backoff: true, error: "later" }); // backing off
    await jobs.retries(0).add("dies", "op-top-dead");
    await jobs.nack(await jobs.timeout(2000).get("op-top-dead"), { error: "dead" });
    await jobs.pause("op-top-dead", "in");

    const r = await docket("top", "--once", "--interval", "200", "--port", port);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.match(lines[0]!, /^docket top {2}127\.0\.0\.1:\d+ {2}\d{4}-\S+Z {2}\d+ queues$/);
    assert.match(r.stdout, /^queue\s+ready\s+busy\s+backoff\s+dead\s+blocked\s+in\/s\s+out\/s\s+paused$/m);
    // 5 added, 5 taken: 4 still out (busy), 1 backing off
    const row = /^op-top\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)$/m.exec(r.stdout);
    assert.ok(row, r.stdout);
    assert.deepEqual(row.slice(1, 8), ["0", "4", "1", "0", "0", "0", "0"]);
    assert.equal(row[8], "-");
    assert.match(r.stdout, /^op-top-dead\s+0\s+0\s+0\s+1\s+0\s+\S+\s+\S+\s+in$/m);

    const json = await docket("top", "--once", "--json", "--interval", "100", "--port", port);
    assert.equal(json.code, 0, json.stderr);
    const frame = JSON.parse(json.stdout) as { queues: number; shown: Array<Record<string, unknown>> };
    const top = frame.shown.find((q) => q.queue === "op-top");
    assert.deepEqual(
      { ...top, inPerSec: typeof top?.inPerSec, outPerSec: typeof top?.outPerSec },
      {
        queue: "op-top",
        ready: 0,
        busy: 4,
        backoff: 1,
        dead: 0,
        blocked: 0,
        pause: "none",
        inPerSec: "number",
        outPerSec: "number",
      },
    );

    const limited = await docket("top", "--once", "--limit", "1", "--interval", "100", "--port", port);
    assert.match(limited.stdout, /^docket top .* 1 of \d+ queues \(the most jobs\)$/m);
    assert.match(limited.stdout, /^op-top\s/m);
    assert.doesNotMatch(limited.stdout, /^op-top-dead\s/m);
  });

  it("top's rates count the jobs added and delivered between its reads", async () => {
    const pending = docket("top", "--once", "--interval", "2000", "--port", port);
    let done = false;
    void pending.finally(() => (done = true));
    let added = 0;
    while (!done) {
      await jobs.add("more", "op-top-rate");
      added++;
      if (added % 2 === 0) await jobs.fetch(["op-top-rate"], { nohang: true });
      await sleep(50);
    }
    const r = await pending;
    assert.equal(r.code, 0, r.stderr);
    const row = /^op-top-rate\s+\d+\s+\d+\s+0\s+0\s+0\s+(\S+)\s+(\S+)\s+-$/m.exec(r.stdout);
    assert.ok(row, r.stdout);
    // about 20 adds a second, 10 fetches: at least a few of each in 2 s
    assert.ok(Number(row[1]) >= 2 && Number(row[1]) <= added, `in/s ${row[1]}`);
    assert.ok(Number(row[2]) >= 1, `out/s ${row[2]}`);
  });

  it("top without --once draws a frame every interval until SIGINT, then exits 0", async () => {
    await jobs.add("x", "op-top-live");
    const top = spawn(
      process.execPath,
      ["dist/cli/main.js", "top", "--json", "--interval", "150", "--port", port],
      {
        cwd: root,
      },
    );
    let out = "";
    top.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => top.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    while (out.split("\n").length < 4 && Date.now() < deadline) await sleep(50);
    top.kill("SIGINT");
    assert.equal(await exited, 0);
    const frames = out
      .trimEnd()
      .split("\n")
      .map(
        (line) =>
          JSON.parse(line) as { shown: Array<{ queue: string; ready: number; inPerSec: number | null }> },
      );
    assert.ok(frames.length >= 3, out);
    const rows = frames.map((f) => f.shown.find((q) => q.queue === "op-top-live"));
    assert.deepEqual(rows[0], { ...rows[0], ready: 1, inPerSec: null });
    assert.equal(rows[1]?.inPerSec, 0);
  });

  it("top refuses an interval or limit out of range", async () => {
    const fast = await docket("top", "--once", "--interval", "5", "--port", port);
    assert.equal(fast.code, 1);
    assert.match(fast.stderr, /must be 100 to 60000/);
    const many = await docket("top", "--once", "--limit", "0", "--port", port);
    assert.equal(many.code, 1);
    assert.match(many.stderr, /must be 1 to 1000/);
  });
});
