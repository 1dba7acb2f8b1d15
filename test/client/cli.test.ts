import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT, docket } from "../helpers/cli.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { connect, type Client } from "../../src/client/index.js";

const root = REPO_ROOT;
const run = promisify(execFile);

describe("CLI client commands", () => {
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

  it("add prints the id; its options reach the job", async () => {
    const r = await docket(
      "add",
      "cli-q",
      "hello world",
      "--port",
      port,
      "--ttl",
      "60000",
      "--retry",
      "5000",
    );
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^D-[0-9a-f]{8}-.{24}-[0-9a-f]{4}$/);
    const info = await jobs.show(id);
    assert.equal(info?.data, "hello world");
    assert.equal(info?.ttl, 60_000);
    assert.equal(info?.retryAfter, 5000);
    const delayed = await docket("add", "cli-delayed", "later", "--port", port, "--delay", "30000");
    assert.equal((await jobs.show(delayed.stdout.trim()))?.state, "active");
  });

  it("peek lists jobs without taking them; get takes them; ack acknowledges", async () => {
    const a = (await jobs.add("first", "cli-p")).id;
    const b = (await jobs.add("second", "cli-p")).id;
    const peek = await docket("peek", "cli-p", "--port", port);
    assert.equal(peek.code, 0, peek.stderr);
    assert.equal(peek.stdout, `${a}\tcli-p\tfirst\n${b}\tcli-p\tsecond\n`);
    const one = await docket("peek", "cli-p", "1", "--port", port);
    assert.equal(one.stdout, `${a}\tcli-p\tfirst\n`);
    assert.equal(await jobs.len("cli-p"), 2);

    const got = await docket("get", "cli-other", "cli-p", "--count", "5", "--port", port);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, `${a}\tcli-p\tfirst\n${b}\tcli-p\tsecond\n`);
    assert.equal(await jobs.len("cli-p"), 0);

    const ack = await docket("ack", a, b, "--port", port);
    assert.equal(ack.code, 0, ack.stderr);
    assert.equal(ack.stdout, "2\n");
    assert.equal(await jobs.show(a), null);
  });

  it("get times out with exit code 2", async () => {
    const r = await docket("get", "cli-empty", "--timeout", "50", "--port", port);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /no job before the time-out/);
  });

  it("stats prints a table, for one queue or all", async () => {
    await jobs.add("x", "cli-s1");
    await jobs.add("y", "cli-s1");
    await jobs.add("z", "cli-s2");
    const one = await docket("stats", "cli-s1", "--port", port);
    assert.equal(one.code, 0, one.stderr);
    const lines = one.stdout.trimEnd().split("\n");
    assert.match(
      lines[0]!,
      /^queue\s+len\s+blocked\s+in\s+out\s+age\(s\)\s+idle\(s\)\s+pause\s+backoff\s+dead\s+groups\s+held\s+rate$/,
    );
    assert.match(lines[1]!, /^cli-s1\s+2\s+0\s+2\s+0\s+\d+\s+\d+\s+none\s+0\s+0\s+0\s+0\s+-$/);
    assert.equal(lines.length, 2);
    const all = await docket("stats", "--port", port);
    assert.match(all.stdout, /^cli-s2\s+1\s/m);
    assert.match(all.stdout, /^cli-s1\s+2\s/m);
    const unknown = await docket("stats", "cli-nope", "--port", port);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, "docket: no queue named 'cli-nope'\n");
  });

  it("errors print a clear message and exit non-zero", async () => {
    const badId = await docket("ack", "nope", "--port", port);
    assert.equal(badId.code, 1);
    assert.equal(badId.stderr, "docket: BADID Invalid Job ID format.\n");
    const down = await docket("add", "q", "b", "--port", "1");
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^docket: cannot reach any docket server \(127\.0\.0\.1:1\)/);
    const badPort = await docket("add", "q", "b", "--port", "x");
    assert.equal(badPort.code, 1);
    assert.match(badPort.stderr, /not a whole number/);
    const missing = await docket("add", "q", "--port", port);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /missing required argument 'body'/);
  });

  it("--password authenticates", async () => {
    const secured = await testServer({ requirePass: "s3cret" });
    try {
      const ok = await docket("add", "pw", "b", "--port", String(secured.port), "--password", "s3cret");
      assert.equal(ok.code, 0, ok.stderr);
      const wrong = await docket("add", "pw", "b", "--port", String(secured.port), "--password", "bad");
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /^docket: .*invalid password/);
      const none = await docket("add", "pw", "b", "--port", String(secured.port));
      assert.equal(none.code, 1);
      assert.match(none.stderr, /^docket: NOAUTH Authentication required\./);
    } finally {
      await secured.close();
    }
  });
});

describe("examples/ run as written", () => {
  it("README shows the example files verbatim", () => {
    const readme = readFileSync(new URL("README.md", `file://${root}/`), "utf8");
    for (const file of ["examples/producer.ts", "examples/worker.ts"]) {
      const text = readFileSync(new URL(file, `file://${root}/`), "utf8").trimEnd();
      assert.ok(readme.includes("```ts\n" + text + "\n```"), `${file} is in README.md`);
    }
  });

  it("the worker handles what the producer adds, and stops on SIGTERM", async () => {
    const t = await testServer();
    const env = { ...process.env, DOCKET_SERVER: `127.0.0.1:${t.port}` };
    try {
      const worker = spawn(process.execPath, ["--import", "tsx", "examples/worker.ts"], { cwd: root, env });
      let out = "";
      worker.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      worker.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => worker.on("exit", (code) => resolve(code)));
      const producer = await run(process.execPath, ["--import", "tsx", "examples/producer.ts"], {
        cwd: root,
        env,
        timeout: 30_000,
      });
      const id = /^added (D-\S+)$/m.exec(producer.stdout)?.[1];
      assert.ok(id, producer.stdout);
      assert.match(producer.stdout, new RegExp(`^job ${id.replace(/[+/]/g, "\\$&")} (acked|gone)$`, "m"));
      assert.match(producer.stdout, /^result \{"sentAt":"\d{4}-\d\d-\d\dT[^"]+Z"\}$/m);
      assert.match(out, /sending "hi" to bob@example\.com/);
      assert.ok(out.includes(`done ${id}`), out);
      worker.kill("SIGTERM");
      assert.equal(await exited, 0);
      assert.match(out, /worker stopped/);
      assert.equal(t.server.engine.stats().jobs, 0);
    } finally {
      await t.close();
    }
  });
});
