import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DISQUE_SERVER, disqueAvailable, startDisque, type DisqueProcess } from "../helpers/disque.js";
import { RawClient } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";

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

class Side {
  private ids = new Map<string, string>();
  constructor(
    readonly client: RawClient,
    readonly port: number,
  ) {}

  normalise(reply: string): string {
    return reply
      .replace(ID, (id) => {
        if (!this.ids.has(id)) this.ids.set(id, `J${this.ids.size + 1}`.padEnd(24, "_"));
        return `D-nnnnnnnn-${this.ids.get(id)!}-${id.slice(-4)}`;
      })
      .replace(/[0-9a-f]{40}/g, "n".repeat(40))
      .replace(TIMES, "$1:T")
      .replaceAll(`$${String(this.port).length}\r\n${this.port}\r\n`, "$4\r\nPORT\r\n");
  }

  async call(cmd: string[]): Promise<string> {
    return this.normalise(await this.client.call(...cmd));
  }
}

const w = (line: string): string[] => line.split(" ");
const FAKE = "D-00000000-AAAAAAAAAAAAAAAAAAAAAAAA-05a1";

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
