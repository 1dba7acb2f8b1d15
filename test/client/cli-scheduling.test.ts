import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { docket } from "../helpers/cli.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { connect, type Client } from "../../src/client/index.js";

/** `docket add … --priority --key --key-ttl --group`, `policy --rate --group-limit`, `schedule set|get|list|del`. */
describe("CLI scheduling commands", () => {
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

  it("add takes --priority, --key, --key-ttl and --group; a duplicate prints the first id and says so", async () => {
    const args = ["--priority", "7", "--key", "k-1", "--key-ttl", "60000", "--group", "acme", "--port", port];
    const r = await docket("add", "cls-add", "body", ...args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const id = r.stdout.trim();
    const info = await jobs.show(id);
    assert.deepEqual([info?.priority, info?.group, info?.key], [7, "acme", "k-1"]);
    assert.ok(Math.abs(info!.keyExpiresAt! - (Date.now() + 60_000)) < 30_000);

    const again = await docket("add", "cls-add", "other body", "--key", "k-1", "--port", port);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), id);
    assert.equal(again.stderr, `docket: duplicate key: nothing added, job ${id} is queued\n`);
    assert.equal(await jobs.len("cls-add"), 1);

    const show = await docket("show", id, "--port", port);
    assert.match(show.stdout, /^priority\s+7$/m);
    assert.match(show.stdout, /^group\s+acme$/m);
    assert.match(show.stdout, /^key\s+k-1 \(expires \d{4}-\S+Z\)$/m);
    const json = JSON.parse((await docket("show", id, "--json", "--port", port)).stdout) as Record<
      string,
      unknown
    >;
    assert.deepEqual([json.priority, json.group, json.key, json.schedule], [7, "acme", "k-1", null]);

    const bad = await docket("add", "cls-add", "b", "--key-ttl", "60000", "--port", port);
    assert.equal(bad.code, 0, "a key TTL without a key is not sent");
    const refused = await docket("add", "cls-add", "b", "--group", "has space", "--port", port);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^docket: ERR GROUP/);
  });

  it("policy takes --rate and --group-limit, shows them, and 'default' clears them", async () => {
    const r = await docket("policy", "cls-pol", "--rate", "100/1s", "--group-limit", "3", "--port", port);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^rate\s+100\/1s$/m);
    assert.match(r.stdout, /^group-limit\s+3$/m);
    assert.deepEqual(await jobs.policy("cls-pol"), {
      rateLimit: { count: 100, periodMs: 1000 },
      groupLimit: 3,
    });
    const cleared = await docket(
      "policy",
      "cls-pol",
      "--rate",
      "default",
      "--group-limit",
      "default",
      "--port",
      port,
    );
    assert.match(cleared.stdout, /^rate\s+default$/m);
    assert.match(cleared.stdout, /^group-limit\s+default$/m);
    const bad = await docket("policy", "cls-pol", "--rate", "fast", "--port", port);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^docket: ERR .*rate/);
    const zero = await docket("policy", "cls-pol", "--group-limit", "0", "--port", port);
    assert.equal(zero.code, 1);
  });

  it("stats shows the groups, the held-back jobs and the rate limit", async () => {
    await jobs.policy("cls-stats", { groupLimit: 1, rateLimit: "50/1m" });
    await jobs.group("a").add("a1", "cls-stats");
    await jobs.group("a").add("a2", "cls-stats");
    assert.equal((await jobs.fetch(["cls-stats"], { count: 2, nohang: true })).length, 1);
    const r = await docket("stats", "cls-stats", "--port", port);
    assert.equal(r.code, 0, r.stderr);
    const [header, row] = r.stdout.trimEnd().split("\n");
    assert.match(header!, /\sgroups\s+held\s+rate$/);
    const stats = (await jobs.stats("cls-stats"))!;
    assert.equal(stats.heldBack, 1);
    assert.match(row!, new RegExp(`\\s${stats.groups}\\s+1\\s+50/1m$`));
  });

  it("schedule set, get, list and del; an unknown schedule exits 2", async () => {
    const set = await docket(
      "schedule",
      "set",
      "nightly",
      "cls-sched",
      '{"report":"daily"}',
      "--cron",
      "0 3 * * *",
      "--tz",
      "Europe/Paris",
      "--priority",
      "2",
      "--ttl",
      "3600000",
      "--port",
      port,
    );
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^name\s+nightly$/m);
    assert.match(set.stdout, /^timing\s+cron 0 3 \* \* \* \(Europe\/Paris\)$/m);
    assert.match(set.stdout, /^next run\s+\d{4}-\S+Z \(in .+\)$/m);
    assert.match(set.stdout, /^last run\s+-$/m);
    assert.match(set.stdout, /^priority\s+2$/m);
    assert.match(set.stdout, /^ttl\s+1h 00m$/m);
    assert.match(set.stdout, /^body\s+\{\n\s+"report": "daily"\n\s+\}$/m);

    const every = await docket(
      "schedule",
      "set",
      "often",
      "cls-sched",
      "x",
      "--every",
      "60000",
      "--json",
      "--port",
      port,
    );
    assert.equal(every.code, 0, every.stderr);
    const json = JSON.parse(every.stdout) as Record<string, unknown>;
    assert.deepEqual(
      [json.name, json.everyMs, json.cron, json.queue, json.body, json.runs, json.lastRunAt],
      ["often", 60_000, null, "cls-sched", "x", 0, null],
    );

    const get = await docket("schedule", "get", "often", "--json", "--port", port);
    assert.deepEqual(JSON.parse(get.stdout), json);
    const list = await docket("schedule", "list", "--port", port);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trimEnd().split("\n");
    assert.match(lines[0]!, /^name\s+timing\s+queue\s+next run\s+runs$/);
    assert.deepEqual(
      lines
        .slice(1)
        .map((line) => line.split(/\s{2,}/)[0])
        .sort(),
      ["nightly", "often"],
    );
    const listed = JSON.parse(
      (await docket("schedule", "list", "--json", "--port", port)).stdout,
    ) as unknown[];
    assert.equal(listed.length, 2);

    const both = await docket(
      "schedule",
      "set",
      "x",
      "q",
      "b",
      "--cron",
      "* * * * *",
      "--every",
      "1000",
      "--port",
      port,
    );
    assert.equal(both.code, 1);
    assert.match(both.stderr, /either --cron or --every/);
    const tooFast = await docket("schedule", "set", "x", "q", "b", "--every", "10", "--port", port);
    assert.equal(tooFast.code, 1);
    assert.match(tooFast.stderr, /^docket: ERR EVERY/);

    const del = await docket("schedule", "del", "often", "--port", port);
    assert.deepEqual([del.code, del.stdout], [0, "1\n"]);
    const gone = await docket("schedule", "del", "often", "--port", port);
    assert.equal(gone.code, 2);
    assert.equal(gone.stderr, "docket: no schedule named 'often'\n");
    const missing = await docket("schedule", "get", "often", "--port", port);
    assert.equal(missing.code, 2);
    await docket("schedule", "del", "nightly", "--port", port);
  });
});
