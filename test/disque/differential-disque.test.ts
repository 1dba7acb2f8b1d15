import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DISQUE_SERVER, disqueAvailable, startDisque, type DisqueProcess } from "../helpers/disque.js";
import { RawClient } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { LATENCY_DOCTOR } from "../../src/doors/resp/commands/ops.js";
import { respCommandTable } from "../../src/doors/resp/table.js";

/**
 * The same commands sent to a real Disque 1.0-rc1 and to docket over raw
 * RESP; replies compared byte for byte after naming job ids by order of
 * appearance, blanking node ids, ports and times. Where docket differs on
 * purpose, the step says so and asserts docket's own reply.
 */

interface Step {
  cmd: string[];
  /** docket's deliberate difference: its reply (normalised) and why */
  docket?: { reply: string; why: string };
}

const ID = /D-[0-9a-f]{8}-[A-Za-z0-9+/]{24}-[0-9a-f]{4}/g;
const TIMES = /(\r\n(?:ttl|ctime|next-requeue-within|next-awake-within|age|idle)\r\n):-?\d+/g;
/** SLOWLOG GET entries: [id, unix time, µs, args] */
const SLOW_ENTRY = /\*4\r\n:\d+\r\n:\d+\r\n:\d+\r\n/g;

/** `$J1`, `$J2`…: the first, second… job id seen on that side, so that a sequence can drive live jobs. */
const JOB_REF = /\$J(\d+)/g;

class Side {
  private ids = new Map<string, string>();
  private seen: string[] = [];
  constructor(
    readonly client: RawClient,
    readonly port: number,
  ) {}

  normalise(reply: string): string {
    return reply
      .replace(ID, (id) => {
        if (!this.ids.has(id)) {
          this.seen.push(id);
          this.ids.set(id, `J${this.ids.size + 1}`.padEnd(24, "_"));
        }
        return `D-nnnnnnnn-${this.ids.get(id)!}-${id.slice(-4)}`;
      })
      .replace(/[0-9a-f]{40}/g, "n".repeat(40))
      .replace(TIMES, "$1:T")
      .replace(SLOW_ENTRY, "*4\r\n:N\r\n:T\r\n:T\r\n")
      .replaceAll(`$${String(this.port).length}\r\n${this.port}\r\n`, "$4\r\nPORT\r\n");
  }

  /** `$Jn` in an argument becomes this side's n-th job id. */
  private resolve(arg: string): string {
    return arg.replace(JOB_REF, (ref, n: string) => {
      const id = this.seen[Number(n) - 1];
      if (id === undefined) throw new Error(`${ref}: no such job seen yet`);
      return id;
    });
  }

  async call(cmd: string[]): Promise<string> {
    return this.normalise(await this.client.call(...cmd.map((arg) => this.resolve(arg))));
  }
}

const w = (line: string): string[] => line.split(" ");
const FAKE = "D-00000000-AAAAAAAAAAAAAAAAAAAAAAAA-05a1";

/** Disque 1.0-rc1's commands (its COMMAND COUNT is 32), bar those whose COMMAND INFO differs on purpose. */
const SAME_INFO = [
  "addjob",
  "getjob",
  "ackjob",
  "fastack",
  "nack",
  "enqueue",
  "dequeue",
  "working",
  "deljob",
  "show",
  "qlen",
  "qpeek",
  "qstat",
  "jscan",
  "qscan",
  "ping",
  "auth",
  "info",
  "command",
  "config",
  "client",
  "cluster",
  "time",
  "shutdown",
  "monitor",
  "slowlog",
  "latency",
  "bgrewriteaof",
  "loadjob",
];

/** a COMMAND INFO entry as Disque and docket encode it */
function infoEntry(name: string, arity: number, flags: string[]): string {
  const flagBytes = flags.map((flag) => `+${flag}\r\n`).join("");
  return `*1\r\n*6\r\n$${name.length}\r\n${name}\r\n:${arity}\r\n*${flags.length}\r\n${flagBytes}:0\r\n:0\r\n:0\r\n`;
}

/** Each command with too few or too many arguments (arity 0 or -1 ones: what Disque answers). */
const ARITY_STEPS: Step[] = [
  "ADDJOB q x",
  "GETJOB",
  "ACKJOB",
  "FASTACK",
  "NACK",
  "ENQUEUE",
  "DEQUEUE",
  "DELJOB",
  "WORKING",
  "WORKING a b",
  "SHOW",
  "SHOW a b",
  "QLEN",
  "QPEEK q",
  "QSTAT",
  "PAUSE q",
  "INFO a b",
  "CONFIG",
  "CLIENT",
  "CLUSTER",
  "DEBUG",
  "AUTH",
  "AUTH a b",
  "TIME x",
  "PING a b",
  "SHUTDOWN x y",
  "SHUTDOWN foo",
  "MONITOR x",
  "SLOWLOG",
  "LATENCY",
  "BGREWRITEAOF x",
  "LOADJOB",
  "LOADJOB a b",
].map((line) => ({ cmd: w(line) }));

const SEQUENCES: Record<string, Step[]> = {
  "ADDJOB, its options and errors": [
    { cmd: w("ADDJOB q body 0") },
    { cmd: w("ADDJOB q body 0 REPLICATE 1 DELAY 0 RETRY 10 TTL 100 MAXLEN 10 ASYNC") },
    { cmd: w("ADDJOB q x 0 RETRY 0") },
    { cmd: w("ADDJOB q x 0 TTL 3600") },
    { cmd: w("ADDJOB q x 0 REPLICATE 0") },
    { cmd: w("ADDJOB q x 0 REPLICATE 2") },
    { cmd: w("ADDJOB q x 0 TTL 0") },
    { cmd: w("ADDJOB q x 0 TTL -1") },
    { cmd: w("ADDJOB q x 0 RETRY -1") },
    { cmd: w("ADDJOB q x 0 DELAY -1") },
    { cmd: w("ADDJOB q x 0 MAXLEN 0") },
    { cmd: w("ADDJOB q x 0 MAXLEN 1") },
    { cmd: w("ADDJOB q x 0 FOO") },
    { cmd: w("ADDJOB q x 0 DELAY 100 TTL 10") },
    { cmd: w("ADDJOB q x abc") },
    { cmd: w("ADDJOB q x") },
    {
      cmd: ["ADDJOB", "", "x", "0"],
      docket: {
        reply: "-ERR invalid queue name: a queue name is 1 to 1024 bytes, without NUL\r\n",
        why: "docs/disque.md: empty queue names are refused on every door",
      },
    },
    { cmd: w("QLEN q") },
    { cmd: w("QLEN nosuch") },
  ],
  "GETJOB, its options and errors": [
    { cmd: w("ADDJOB q3 c 0") },
    { cmd: w("ADDJOB q2 a 0") },
    { cmd: w("ADDJOB q2 b 0") },
    { cmd: w("GETJOB COUNT 3 FROM q3 q2") },
    { cmd: w("GETJOB NOHANG FROM q2") },
    { cmd: w("GETJOB TIMEOUT 10 FROM q2") },
    { cmd: w("GETJOB COUNT 0 FROM q") },
    { cmd: w("GETJOB COUNT abc FROM q") },
    { cmd: w("GETJOB FROM") },
    { cmd: w("GETJOB") },
    { cmd: w("NACK D-bad") },
    { cmd: w(`ACKJOB ${FAKE}`) },
    { cmd: w(`SHOW ${FAKE}`) },
    { cmd: w(`WORKING ${FAKE}`) },
    { cmd: w("QPEEK q2 0") },
    { cmd: w("QSTAT nosuch") },
  ],
  "scans, pause, admin": [
    { cmd: w("ADDJOB q x 0") },
    { cmd: w("QSCAN COUNT 10 BUSYLOOP 0") },
    { cmd: w("QSCAN 0 0") },
    { cmd: w("QSCAN abc") },
    { cmd: w("JSCAN BUSYLOOP STATE queued QUEUE q 0") },
    { cmd: w("JSCAN STATE foo") },
    { cmd: w("JSCAN REPLY x") },
    { cmd: w("PAUSE q in") },
    { cmd: w("ADDJOB q x 0") },
    { cmd: w("PAUSE q none") },
    { cmd: w("PAUSE q state") },
    { cmd: w("CLUSTER MYID") },
    { cmd: w("PING") },
    { cmd: w("FOO bar") },
    {
      cmd: w("HELLO 3"),
      docket: {
        reply: `*3\r\n:1\r\n$40\r\n${"n".repeat(40)}\r\n*4\r\n$40\r\n${"n".repeat(40)}\r\n$0\r\n\r\n$4\r\nPORT\r\n$1\r\n1\r\n`,
        why: "ioredis opens every connection with HELLO 3 and gives up on an arity error",
      },
    },
  ],
  "live jobs: ACKJOB, FASTACK, NACK, ENQUEUE, DEQUEUE, WORKING, DELJOB, SHOW in each state": [
    { cmd: w("ADDJOB lq a 0 RETRY 30") },
    { cmd: w("ADDJOB lq b 0 RETRY 30") },
    { cmd: w("ADDJOB lq c 0 RETRY 30 DELAY 60") },
    { cmd: w("ADDJOB lq d 0 RETRY 30") },
    { cmd: w("SHOW $J1") },
    { cmd: w("SHOW $J3") },
    { cmd: w("QLEN lq") },
    { cmd: w("QSTAT lq") },
    { cmd: w("QPEEK lq 10") },
    { cmd: w("QPEEK lq -1") },
    { cmd: w("GETJOB NOHANG FROM lq") },
    { cmd: w("SHOW $J1") },
    { cmd: w("WORKING $J1") },
    { cmd: w("NACK $J1") },
    { cmd: w("SHOW $J1") },
    { cmd: w("DEQUEUE $J2") },
    { cmd: w("SHOW $J2") },
    { cmd: w("ENQUEUE $J2") },
    { cmd: w("GETJOB NOHANG WITHCOUNTERS FROM lq") },
    { cmd: w("ACKJOB $J1") },
    { cmd: w("ACKJOB $J1") },
    { cmd: w("SHOW $J1") },
    { cmd: w("FASTACK $J2") },
    { cmd: w("NACK $J3") },
    { cmd: w("SHOW $J3") },
    { cmd: w("DELJOB $J3") },
    { cmd: w("SHOW $J3") },
    { cmd: w("WORKING $J4") },
    { cmd: w("SHOW $J4") },
    { cmd: w("QLEN lq") },
    { cmd: w("JSCAN REPLY all") },
    { cmd: w("JSCAN STATE active REPLY id") },
    { cmd: w("QSTAT lq") },
    { cmd: w("DELJOB $J4 $J4") },
  ],
  "GETJOB NOHANG creates the queues it looks at": [
    { cmd: w("GETJOB NOHANG FROM fresh") },
    { cmd: w("QSCAN") },
    { cmd: w("QSTAT fresh") },
    { cmd: w("ADDJOB has x 0") },
    { cmd: w("GETJOB NOHANG FROM has unseen") },
    { cmd: w("QSTAT unseen") },
    { cmd: w("GETJOB NOHANG FROM seen has") },
    { cmd: w("QSTAT seen") },
  ],
  COMMAND: [
    { cmd: ["COMMAND", "INFO", ...SAME_INFO] },
    {
      cmd: w("COMMAND INFO hello"),
      docket: {
        reply: infoEntry("hello", -1, ["readonly", "fast"]),
        why: "ioredis opens every connection with HELLO 3 and gives up on an arity error",
      },
    },
    {
      cmd: w("COMMAND INFO debug"),
      docket: {
        reply: infoEntry("debug", -2, ["admin", "write"]),
        why: "DEBUG FLUSHALL is journaled, so it is refused with -MISCONF while the journal cannot write",
      },
    },
    {
      cmd: w("COMMAND INFO pause"),
      docket: {
        reply: infoEntry("pause", -3, ["write", "fast"]),
        why: "docket journals a queue's pause state, so PAUSE is refused with -MISCONF while the journal cannot write",
      },
    },
    {
      cmd: w("COMMAND INFO quit"),
      docket: {
        reply: infoEntry("quit", 1, ["fast"]),
        why: "QUIT is in docket's command table; Disque handles it before its table",
      },
    },
    { cmd: w("COMMAND INFO nosuch") },
    { cmd: w("COMMAND INFO") },
    {
      cmd: w("COMMAND COUNT"),
      docket: {
        reply: `:${respCommandTable().all().length}\r\n`,
        why: "docket's table also has QUIT, the okq, takeanumber and docket commands",
      },
    },
    { cmd: w("COMMAND COUNT x") },
    { cmd: w("COMMAND foo") },
  ],
  "arity errors": ARITY_STEPS,
  "SLOWLOG, LATENCY, BGREWRITEAOF, LOADJOB, CONFIG GET": [
    { cmd: w("CONFIG GET slowlog*") },
    { cmd: w("CONFIG GET latency*") },
    { cmd: w("CONFIG GET nosuch") },
    { cmd: w("SLOWLOG RESET") },
    { cmd: w("SLOWLOG LEN") },
    { cmd: w("SLOWLOG GET 0") },
    { cmd: w("SLOWLOG GET x") },
    { cmd: w("SLOWLOG foo") },
    { cmd: w("SLOWLOG RESET x") },
    { cmd: w("SLOWLOG GET 1 2") },
    { cmd: w("CONFIG SET slowlog-log-slower-than 0") },
    { cmd: w("PING") },
    { cmd: w("SLOWLOG GET 1") },
    { cmd: w("SLOWLOG GET 2") },
    { cmd: w("CONFIG SET slowlog-log-slower-than 10000") },
    { cmd: w("SLOWLOG RESET") },
    { cmd: w("LATENCY LATEST") },
    { cmd: w("LATENCY HISTORY command") },
    { cmd: w("LATENCY RESET") },
    { cmd: w("LATENCY RESET a b") },
    { cmd: w("LATENCY GRAPH command") },
    { cmd: w("LATENCY GRAPH") },
    { cmd: w("LATENCY LATEST x") },
    { cmd: w("LATENCY foo") },
    {
      cmd: w("LATENCY DOCTOR"),
      docket: {
        reply: `$${Buffer.byteLength(LATENCY_DOCTOR)}\r\n${LATENCY_DOCTOR}\r\n`,
        why: "docket has no latency monitor to enable: its text says so and names what it has instead",
      },
    },
    { cmd: w("LOADJOB x") },
    { cmd: w("BGREWRITEAOF") },
  ],
};

const haveDisque = disqueAvailable();
if (!haveDisque) {
  if (process.env.CI) throw new Error(`Disque not found at ${DISQUE_SERVER} (set DISQUE_SERVER)`);
  console.log(`# skipping the Disque differential test: no Disque at ${DISQUE_SERVER} (set DISQUE_SERVER)`);
}

describe("docket against a real Disque 1.0-rc1", { skip: !haveDisque }, () => {
  let disque: DisqueProcess;
  let docket: TestServer;

  before(async () => {
    disque = await startDisque();
    docket = await testServer();
  });
  after(async () => {
    await disque?.close();
    await docket?.close();
  });

  it("MONITOR shows the same lines, times and client ports aside; docket hides AUTH's password", async () => {
    const MONITORED = [
      ["PING"],
      ["ADDJOB", "mq", 'a b"\n\r\t\x07\x08\x01\xff\\', "0"],
      ["FOO"], // unknown: not shown
      ["QLEN"], // arity error: not shown
      ["QLEN", "mq"],
      ["CONFIG", "GET", "nosuch"],
      ["AUTH", "hunter2"],
      ["PING", "x"],
    ];
    const linesOf = async (port: number): Promise<string[]> => {
      const monitor = await RawClient.connect(port);
      const client = await RawClient.connect(port);
      try {
        assert.equal(await monitor.call("MONITOR"), "+OK\r\n");
        for (const cmd of MONITORED) await client.call(...cmd);
        const lines: string[] = [];
        for (let i = 0; i < 6; i++) {
          lines.push((await monitor.reply()).replace(/^\+\d+\.\d{6} \[127\.0\.0\.1:\d+\] /, "+T [ADDR] "));
        }
        return lines;
      } finally {
        monitor.close();
        client.close();
      }
    };
    const expected = await linesOf(disque.port);
    const actual = await linesOf(docket.port);
    assert.equal(expected[4], '+T [ADDR] "AUTH" "hunter2"\r\n');
    assert.equal(actual[4], '+T [ADDR] "AUTH" "(redacted)"\r\n', "docs/disque.md: MONITOR hides passwords");
    assert.deepEqual(
      actual.filter((_, i) => i !== 4),
      expected.filter((_, i) => i !== 4),
    );
  });

  for (const [name, steps] of Object.entries(SEQUENCES)) {
    it(name, async () => {
      const ref = new Side(await RawClient.connect(disque.port), disque.port);
      const ours = new Side(await RawClient.connect(docket.port), docket.port);
      try {
        await ref.call(w("DEBUG FLUSHALL"));
        await ours.call(w("DEBUG FLUSHALL"));
        for (const step of steps) {
          const expected = await ref.call(step.cmd);
          const actual = await ours.call(step.cmd);
          if (step.docket) {
            assert.notEqual(expected, step.docket.reply, `${step.cmd.join(" ")}: Disque now agrees`);
            assert.equal(actual, step.docket.reply, `${step.cmd.join(" ")} (${step.docket.why})`);
          } else assert.equal(actual, expected, step.cmd.join(" "));
        }
      } finally {
        ref.client.close();
        ours.client.close();
      }
    });
  }
});
