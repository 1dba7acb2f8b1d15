import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { targets } from "../clients/targets.js";
import { RawClient, array, bulk, error, simple } from "../helpers/raw-client.js";
import { dataDirs, testServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/**
 * INFO has Disque 1.0-rc1's sections and fields, in Disque's order; docket's
 * own fields come after Disque's in a section, and docket's own sections
 * after Disque's. Run on Disque too, so the lists below are Disque's own.
 */

const DISQUE_SECTIONS: Array<[string, string[]]> = [
  [
    "Server",
    [
      "disque_version",
      "disque_git_sha1",
      "disque_git_dirty",
      "disque_build_id",
      "os",
      "arch_bits",
      "multiplexing_api",
      "gcc_version",
      "process_id",
      "run_id",
      "tcp_port",
      "uptime_in_seconds",
      "uptime_in_days",
      "hz",
      "executable",
      "config_file",
    ],
  ],
  [
    "Clients",
    ["connected_clients", "client_longest_output_list", "client_biggest_input_buf", "blocked_clients"],
  ],
  [
    "Memory",
    [
      "used_memory",
      "used_memory_human",
      "used_memory_rss",
      "used_memory_peak",
      "used_memory_peak_human",
      "mem_fragmentation_ratio",
      "mem_allocator",
    ],
  ],
  ["Jobs", ["registered_jobs"]],
  ["Queues", ["registered_queues"]],
  [
    "Persistence",
    [
      "loading",
      "aof_enabled",
      "aof_state",
      "aof_rewrite_in_progress",
      "aof_rewrite_scheduled",
      "aof_last_rewrite_time_sec",
      "aof_current_rewrite_time_sec",
      "aof_last_bgrewrite_status",
      "aof_last_write_status",
    ],
  ],
  [
    "Stats",
    [
      "total_connections_received",
      "total_commands_processed",
      "instantaneous_ops_per_sec",
      "total_net_input_bytes",
      "total_net_output_bytes",
      "instantaneous_input_kbps",
      "instantaneous_output_kbps",
      "rejected_connections",
      "latest_fork_usec",
    ],
  ],
  ["CPU", ["used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children"]],
];

/** Persistence fields Disque adds while the AOF is on. */
const AOF_ON_FIELDS = [
  "aof_current_size",
  "aof_base_size",
  "aof_pending_rewrite",
  "aof_buffer_length",
  "aof_rewrite_buffer_length",
  "aof_pending_bio_fsync",
  "aof_delayed_fsync",
];

type Parsed = Array<{ header: string; fields: Array<[string, string]> }>;

/** INFO's bulk reply as sections of `key:value` lines, checking the framing on the way. */
function parseInfo(reply: string): Parsed {
  const match = /^\$(\d+)\r\n/.exec(reply);
  assert.ok(match, reply);
  const body = reply.slice(match[0].length, -2);
  assert.equal(Buffer.byteLength(body), Number(match[1]));
  if (body === "") return [];
  assert.ok(body.endsWith("\r\n"), "the last line ends with CRLF");
  return body
    .slice(0, -2)
    .split("\r\n\r\n")
    .map((section) => {
      const [header, ...lines] = section.split("\r\n");
      assert.match(header!, /^# [A-Za-z]+$/);
      return {
        header: header!.slice(2),
        fields: lines.map((line) => {
          const at = line.indexOf(":");
          assert.ok(at > 0, line);
          return [line.slice(0, at), line.slice(at + 1)] as [string, string];
        }),
      };
    });
}

/** Disque's sections come first, in order; each begins with Disque's fields, in order. */
function assertDisqueLayout(parsed: Parsed, expected: Array<[string, string[]]>): void {
  assert.deepEqual(
    parsed.slice(0, expected.length).map((s) => s.header),
    expected.map(([header]) => header),
  );
  expected.forEach(([header, fields], i) => {
    const names = parsed[i]!.fields.map(([name]) => name);
    assert.deepEqual(names.slice(0, fields.length), fields, header);
    assert.equal(new Set(names).size, names.length, `${header}: no field twice`);
  });
}

function value(parsed: Parsed, name: string): string | undefined {
  for (const section of parsed) for (const [key, v] of section.fields) if (key === name) return v;
  return undefined;
}

for (const target of targets()) {
  describe(`INFO on ${target.name}`, { skip: target.skip }, () => {
    let t: { port: number; close(): Promise<void> };
    let c: RawClient;

    before(async () => {
      t = await target.start();
      c = await RawClient.connect(t.port);
      await c.call("CONFIG", "SET", "appendonly", "no");
    });
    after(async () => {
      c.close();
      await t.close();
    });

    it("INFO and INFO default: Disque's sections and fields, in Disque's order", async () => {
      for (const args of [["INFO"], ["INFO", "default"], ["INFO", "DEFAULT"]]) {
        const parsed = parseInfo(await c.call(...args));
        assertDisqueLayout(parsed, DISQUE_SECTIONS);
        assert.ok(!parsed.some((s) => s.header === "Commandstats"), "Commandstats only with INFO all");
      }
    });

    it("INFO all adds Commandstats: calls, usec, usec_per_call of every command called", async () => {
      await c.call("PING");
      const parsed = parseInfo(await c.call("INFO", "all"));
      assertDisqueLayout(parsed, DISQUE_SECTIONS);
      const stats = parsed.find((s) => s.header === "Commandstats");
      assert.ok(stats, "a Commandstats section");
      const ping = stats.fields.find(([name]) => name === "cmdstat_ping");
      assert.ok(ping, "PING was counted");
      assert.match(ping[1], /^calls=[1-9]\d*,usec=\d+,usec_per_call=\d+\.\d\d$/);
      for (const [name, v] of stats.fields) {
        assert.match(name, /^cmdstat_[a-z]+$/);
        assert.match(v, /^calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d$/);
      }
    });

    it("INFO <section>: that section alone, whatever the case", async () => {
      for (const [header, fields] of DISQUE_SECTIONS) {
        for (const name of [header.toLowerCase(), header.toUpperCase()]) {
          const parsed = parseInfo(await c.call("INFO", name));
          assert.equal(parsed.length, 1, name);
          assertDisqueLayout(parsed, [[header, fields]]);
        }
      }
    });

    it("an unknown section is an empty bulk; two arguments are a syntax error", async () => {
      assert.equal(await c.call("INFO", "nosuch"), "$0\r\n\r\n");
      assert.equal(await c.call("INFO", "everything"), "$0\r\n\r\n");
      assert.equal(await c.call("INFO", "server", "clients"), error("ERR syntax error"));
    });

    it("server values: the Disque version, an unknown git sha as zeros, this port", async () => {
      const parsed = parseInfo(await c.call("INFO", "server"));
      assert.equal(value(parsed, "disque_version"), "1.0-rc1");
      assert.equal(value(parsed, "disque_git_sha1"), "00000000");
      assert.equal(value(parsed, "disque_git_dirty"), "0");
      assert.match(value(parsed, "disque_build_id")!, /^[0-9a-f]{16}$/);
      assert.match(value(parsed, "os")!, /^\S+ \S+ \S+$/);
      assert.equal(value(parsed, "arch_bits"), "64");
      assert.match(value(parsed, "gcc_version")!, /^\d+\.\d+\.\d+$/);
      assert.match(value(parsed, "run_id")!, /^[0-9a-f]{40}$/);
      assert.equal(value(parsed, "tcp_port"), String(t.port));
      assert.equal(value(parsed, "hz"), "10");
      assert.equal(value(parsed, "config_file"), "");
      if (target.name === "docket") assert.match(value(parsed, "docket_version")!, /^\d+\.\d+\.\d+/);
    });

    it("stats and cpu values are numbers in Disque's formats", async () => {
      const parsed = parseInfo(await c.call("INFO"));
      for (const name of ["total_connections_received", "total_commands_processed", "rejected_connections"]) {
        assert.match(value(parsed, name)!, /^\d+$/, name);
      }
      assert.ok(Number(value(parsed, "total_net_input_bytes")) > 0);
      assert.ok(Number(value(parsed, "total_net_output_bytes")) > 0);
      assert.match(value(parsed, "instantaneous_input_kbps")!, /^\d+\.\d\d$/);
      for (const name of [
        "used_cpu_sys",
        "used_cpu_user",
        "used_cpu_sys_children",
        "used_cpu_user_children",
      ]) {
        assert.match(value(parsed, name)!, /^\d+\.\d\d$/, name);
      }
      assert.match(value(parsed, "mem_fragmentation_ratio")!, /^\d+\.\d\d$/);
      assert.match(value(parsed, "used_memory_peak_human")!, /^\d+(\.\d\d)?[BKMG]$/);
    });

    it("CONFIG SET appendonly yes turns the AOF on: aof_enabled 1, aof_state on, and the AOF fields", async () => {
      assert.equal(await c.call("CONFIG", "SET", "appendonly", "yes"), "+OK\r\n");
      try {
        // Disque rewrites its AOF first (aof_state:wait-rewrite); docket's journal is there already.
        let parsed = parseInfo(await c.call("INFO", "persistence"));
        await waitFor(async () => {
          parsed = parseInfo(await c.call("INFO", "persistence"));
          return value(parsed, "aof_state") !== "wait-rewrite";
        });
        const [header, fields] = DISQUE_SECTIONS[5]!;
        assertDisqueLayout(parsed, [[header, [...fields, ...AOF_ON_FIELDS]]]);
        assert.equal(value(parsed, "aof_enabled"), "1");
        assert.equal(value(parsed, "aof_state"), "on");
      } finally {
        assert.equal(await c.call("CONFIG", "SET", "appendonly", "no"), "+OK\r\n");
      }
      const parsed = parseInfo(await c.call("INFO", "persistence"));
      assert.equal(value(parsed, "aof_enabled"), "0");
      assert.equal(value(parsed, "aof_state"), "off");
    });
  });
}

for (const target of targets()) {
  describe(`CONFIG on ${target.name}`, { skip: target.skip }, () => {
    let t: { port: number; close(): Promise<void> };
    let c: RawClient;

    before(async () => {
      t = await target.start();
      c = await RawClient.connect(t.port);
    });
    after(async () => {
      c.close();
      await t.close();
    });

    it("appendonly and appendfsync: get, set in any case, refusals", async () => {
      assert.equal(await c.call("CONFIG", "SET", "appendonly", "no"), simple("OK"));
      assert.equal(await c.call("CONFIG", "GET", "appendonly"), array(bulk("appendonly"), bulk("no")));
      assert.equal(await c.call("CONFIG", "SET", "appendonly", "YES"), simple("OK"));
      assert.equal(await c.call("CONFIG", "GET", "appendonly"), array(bulk("appendonly"), bulk("yes")));
      assert.equal(
        await c.call("CONFIG", "SET", "Appendonly", "maybe"),
        error("ERR Invalid argument 'maybe' for CONFIG SET 'Appendonly'"),
      );
      assert.equal(await c.call("CONFIG", "SET", "appendfsync", "ALWAYS"), simple("OK"));
      assert.equal(await c.call("CONFIG", "GET", "appendfsync"), array(bulk("appendfsync"), bulk("always")));
      assert.equal(
        await c.call("CONFIG", "SET", "appendfsync", "bogus"),
        error("ERR Invalid argument 'bogus' for CONFIG SET 'appendfsync'"),
      );
      assert.equal(await c.call("CONFIG", "SET", "appendonly", "no"), simple("OK"));
    });

    it("maxmemory: set at run time, units, refusals, and the -OOM refusal over it", async () => {
      // docket counts job data and client buffers: 64 KiB of jobs is over a 32 KiB bound
      assert.match(await c.call("ADDJOB", "mem-q", "x".repeat(64 * 1024), "0"), /^\+D-/);
      assert.equal(await c.call("CONFIG", "SET", "maxmemory", "32kb"), simple("OK"));
      try {
        assert.equal(await c.call("CONFIG", "GET", "maxmemory"), array(bulk("maxmemory"), bulk("32768")));
        assert.equal(
          await c.call("ADDJOB", "mem-q", "y", "0"),
          error("OOM command not allowed when used memory > 'maxmemory'."),
        );
      } finally {
        assert.equal(await c.call("CONFIG", "SET", "maxmemory", "0"), simple("OK"));
      }
      assert.equal(
        await c.call("CONFIG", "SET", "maxmemory", "abc"),
        error("ERR Invalid argument 'abc' for CONFIG SET 'maxmemory'"),
      );
      assert.equal(
        await c.call("CONFIG", "SET", "MAXMEMORY", "-5"),
        error("ERR Invalid argument '-5' for CONFIG SET 'MAXMEMORY'"),
      );
      assert.equal(await c.call("CONFIG", "SET", "maxmemory", "1gb"), simple("OK"));
      assert.equal(await c.call("CONFIG", "GET", "maxmemory"), array(bulk("maxmemory"), bulk("1073741824")));
      assert.equal(await c.call("CONFIG", "SET", "maxmemory", "0"), simple("OK"));
    });

    it("CONFIG's errors", async () => {
      assert.equal(await c.call("CONFIG", "GET"), error("ERR Wrong number of arguments for CONFIG GET"));
      assert.equal(
        await c.call("CONFIG", "GET", "appendonly", "x"),
        error("ERR Wrong number of arguments for CONFIG GET"),
      );
      assert.equal(
        await c.call("CONFIG", "SET", "appendonly"),
        error("ERR Wrong number of arguments for CONFIG SET"),
      );
      assert.equal(
        await c.call("CONFIG", "RESETSTAT", "x"),
        error("ERR Wrong number of arguments for CONFIG RESETSTAT"),
      );
      assert.equal(await c.call("CONFIG", "RESETSTAT"), simple("OK"));
      assert.equal(
        await c.call("CONFIG", "REWRITE"),
        error("ERR The server is running without a config file"),
      );
      assert.equal(
        await c.call("CONFIG", "FOO"),
        error("ERR CONFIG subcommand must be one of GET, SET, RESETSTAT, REWRITE"),
      );
      assert.equal(
        await c.call("CONFIG", "SET", "foo", "bar"),
        error("ERR Unsupported CONFIG parameter: foo"),
      );
      assert.equal(await c.call("CONFIG", "GET", "foo"), "*0\r\n");
      assert.equal(await c.call("CONFIG"), error("ERR wrong number of arguments for 'config' command"));
    });
  });
}

describe("CONFIG SET appendonly on docket's journal", () => {
  /** a docket server with the journal fsyncing every write (--fsync always) */
  const dir = dataDirs()();
  let t: TestServer;
  let c: RawClient;
  before(async () => {
    t = await testServer({ fsync: "always", dataDir: dir });
    c = await RawClient.connect(t.port);
  });
  after(async () => {
    c.close();
    await t.close();
  });

  const persistence = async () => parseInfo(await c.call("INFO", "persistence"));
  const fsyncs = async () => Number(value(await persistence(), "total_fsyncs"));

  it("appendonly no: the journal is still written but no longer fsynced; yes: the configured policy again", async () => {
    await c.call("ADDJOB", "aof-q", "first", "0");
    const before = await fsyncs();
    assert.ok(before > 0);
    assert.equal(await c.call("CONFIG", "SET", "appendonly", "no"), simple("OK"));
    const off = await persistence();
    assert.equal(value(off, "fsync_policy"), "no");
    assert.equal(value(off, "aof_enabled"), "0");
    // an fsync the policy change itself asked for (batches written under the old one) may still
    // be running: count from when none is
    for (let i = 0; i < 100 && value(await persistence(), "aof_pending_bio_fsync") !== "0"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const settled = await fsyncs();
    const bytes = Number(value(off, "journal_bytes"));
    for (let i = 0; i < 5; i++) assert.match(await c.call("ADDJOB", "aof-q", `off-${i}`, "0"), /^\+D-/);
    const afterOff = await persistence();
    assert.equal(Number(value(afterOff, "total_fsyncs")), settled, "no fsync while appendonly is no");
    assert.ok(Number(value(afterOff, "journal_bytes")) > bytes, "the journal is still written");
    assert.equal(await c.call("CONFIG", "GET", "appendfsync"), array(bulk("appendfsync"), bulk("always")));

    assert.equal(await c.call("CONFIG", "SET", "appendonly", "yes"), simple("OK"));
    assert.equal(value(await persistence(), "fsync_policy"), "always");
    const on = await fsyncs();
    await c.call("ADDJOB", "aof-q", "on", "0");
    assert.ok((await fsyncs()) > on, "every write is fsynced again");

    assert.equal(await c.call("CONFIG", "SET", "appendfsync", "everysec"), simple("OK"));
    assert.equal(value(await persistence(), "fsync_policy"), "everysec");
    assert.equal(await c.call("CONFIG", "SET", "appendfsync", "always"), simple("OK"));
  });

  it("jobs written while appendonly was no are there after a restart", async () => {
    assert.equal(await c.call("CONFIG", "SET", "appendonly", "no"), simple("OK"));
    const id = (await c.call("ADDJOB", "aof-kept", "kept", "0")).slice(1, -2);
    c.close();
    await t.close();
    t = await testServer({ dataDir: dir });
    c = await RawClient.connect(t.port);
    assert.equal(await c.call("QLEN", "aof-kept"), ":1\r\n");
    assert.match(await c.call("SHOW", id), /queued/);
    assert.equal(await c.call("CONFIG", "GET", "appendonly"), array(bulk("appendonly"), bulk("yes")));
  });
});
