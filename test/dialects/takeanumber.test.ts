import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { RawClient, array, bulk, error, int, simple } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";

/** takeanumber over a raw socket, typed as a human would in telnet (DIALECTS.md section 1). */

const ID = /^\+(D-[0-9a-f]{8}-[A-Za-z0-9+/]{24}-[0-9a-f]{4})\r\n$/;

function idOf(reply: string): string {
  const match = ID.exec(reply);
  assert.ok(match, `not an ADD id reply: ${JSON.stringify(reply)}`);
  return match[1]!;
}

describe("takeanumber over a raw socket", () => {
  let t: TestServer;
  let c: RawClient;

  before(async () => {
    t = await testServer({}, { manualClock: true });
  });
  after(async () => {
    await t.close();
  });
  beforeEach(async () => {
    c?.close();
    c = await RawClient.connect(t.port);
    assert.equal(await c.call("DEBUG", "FLUSHALL"), simple("OK"));
  });

  async function line(text: string): Promise<string> {
    c.write(`${text}\r\n`);
    return c.reply();
  }

  it("the session of DIALECTS.md, as inline lines: the body is the rest of the line, verbatim", async () => {
    const id = idOf(await line('ADD my_queue 3 {"user_id": 5}'));
    assert.equal(await line("LEN my_queue"), int(1));
    assert.equal(await line("RESERVE my_queue"), simple(`${id} {"user_id": 5}`));
    assert.equal(await line("LEN my_queue"), int(0), "measured: a reserved job is not counted");
    assert.equal(await line("RESERVE my_queue"), error("ERR No items available to reserve."));
    assert.equal(await line(`RETRY my_queue ${id}`), simple("OK"));
    assert.equal(await line("RESERVE my_queue"), simple(`${id} {"user_id": 5}`));
    assert.equal(await line(`DONE my_queue ${id}`), simple("OK"));
    assert.equal(await line("LEN my_queue"), int(0));
    c.write("CLOSE\r\n");
    await c.closed();
    assert.equal(c.pending(), "", "measured: CLOSE sends no reply");
  });

  it("keeps spaces, tabs and quotes of an inline body; joins array arguments with one space", async () => {
    const a = idOf(await line('add q 0   two  spaces\tand "quotes" \r in  \t '));
    const b = idOf(await c.call("ADD", "q", "1", "several", "words", "here"));
    const d = idOf(await c.call("ADD", "q", "1", "one arg with  spaces"));
    assert.equal(
      await c.call("RESERVE", "q"),
      simple(`${a} two  spaces\tand "quotes"   in`),
      "the CR is kept, sent as a space",
    );
    assert.equal(await c.call("RESERVE", "q"), simple(`${b} several words here`));
    assert.equal(await c.call("RESERVE", "q"), simple(`${d} one arg with  spaces`));
  });

  it("RETRY keeps the job's place; a job with no retries left is dead-lettered with an error", async () => {
    const a = idOf(await line("ADD q 1 first"));
    const b = idOf(await line("ADD q 1 second"));
    assert.equal(await line("RESERVE q"), simple(`${a} first`));
    assert.equal(await line(`RETRY q ${a}`), simple("OK"));
    assert.equal(await line("RESERVE q"), simple(`${a} first`), "measured: a retried job is served next");
    assert.equal(await line(`RETRY q ${a}`), error("ERR No retries remaining."));
    assert.equal(await line("LEN q"), int(1), "measured: the exhausted job left the queue");
    assert.equal(await line("RESERVE q"), simple(`${b} second`));
    assert.equal(await line("RESERVE q"), error("ERR No items available to reserve."));
    const at = t.clock!.now();
    assert.equal(
      await line("DEADLETTERS q"),
      array(array(bulk(a), bulk("first"), bulk("retries exhausted"), int(at))),
    );
    assert.equal(await line(`RETRY q ${a}`), error("ERR No retries remaining."), "unknown id");
    const zero = idOf(await line("ADD q 0 never"));
    assert.equal(await line(`RETRY q ${zero}`), error("ERR No retries remaining."), "added with 0");
    assert.equal(await line("LEN q"), int(0));
    assert.equal(await line(`DONE q ${b}`), simple("OK"));
    assert.equal(await line("REDRIVE q 1"), int(1));
    assert.equal(
      await line("DEADLETTERS q"),
      array(array(bulk(zero), bulk("never"), bulk("retries exhausted"), int(at))),
    );
    assert.equal(await line("LEN q"), int(1));
    const reserved = await line("RESERVE q");
    assert.match(reserved, /^\+D-\S+ first\r\n$/);
    assert.notEqual(reserved, simple(`${a} first`), "a redriven job is a fresh job with a new id");
  });

  it("an inline body may hold any byte but LF; RESERVE gives the bytes back", async () => {
    const body = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41, 0x09, 0x22]);
    c.write(Buffer.concat([Buffer.from("ADD bin 0 "), body, Buffer.from("\r\n")]));
    const id = idOf(await c.reply());
    assert.equal(await line("RESERVE bin"), `+${id} ${body.toString("latin1")}\r\n`);
  });

  it("a reserved job that is never finished comes back after docket's default lease", async () => {
    const a = idOf(await line("ADD q 0 work"));
    assert.equal(await line("RESERVE q"), simple(`${a} work`));
    t.clock!.advance(299_999);
    t.server.engine.runDue();
    assert.equal(await line("RESERVE q"), error("ERR No items available to reserve."));
    t.clock!.advance(1);
    t.server.engine.runDue();
    assert.equal(await line("RESERVE q"), simple(`${a} work`));
    // again and again: the original's budget counts RETRY only, so a lease that runs out spends nothing
    t.clock!.advance(300_000);
    t.server.engine.runDue();
    assert.equal(await line("RESERVE q"), simple(`${a} work`));
  });

  it("a lease that runs out leaves the RETRY budget alone", async () => {
    const a = idOf(await line("ADD r 1 work"));
    assert.equal(await line("RESERVE r"), simple(`${a} work`));
    t.clock!.advance(300_000);
    t.server.engine.runDue();
    assert.equal(await line("RESERVE r"), simple(`${a} work`));
    assert.equal(await line(`RETRY r ${a}`), "+OK\r\n");
    assert.equal(await line("RESERVE r"), simple(`${a} work`));
    assert.equal(await line(`RETRY r ${a}`), error("ERR No retries remaining."));
  });

  it("bad input gets the original's errors and the connection keeps working; nothing is lost", async () => {
    const a = idOf(await line("ADD q 2 keep me"));
    assert.equal(await line("ADD q"), error("ERR Missing ADD parameters."));
    assert.equal(await line("ADD q 3"), error("ERR Missing ADD parameters."));
    assert.equal(await line("ADD q 3    "), error("ERR Missing ADD parameters."), "blanks only");
    assert.equal(await c.call("ADD", "q", "3", "  "), error("ERR Missing ADD parameters."));
    assert.equal(await line("ADD q many body"), error("ERR Invalid number of retries."));
    assert.equal(await line("ADD q -1 body"), error("ERR Invalid number of retries."), "docket's choice");
    assert.equal(await line("ADD q 2147483648 body"), error("ERR retries must be at most 2147483647"));
    assert.equal(await line("ADD"), error("ERR wrong number of arguments for 'add' command"));
    assert.equal(await line("LEN"), error("ERR wrong number of arguments for 'len' command"));
    assert.equal(await line("RESERVE"), error("ERR wrong number of arguments for 'reserve' command"));
    assert.equal(await line("DONE q"), error("ERR wrong number of arguments for 'done' command"));
    assert.equal(await line("DONE q nope"), error("ERR No such Id."));
    assert.equal(await line("RETRY q nope"), error("ERR No retries remaining."));
    assert.equal(await line("DONE q D-00000000-AAAAAAAAAAAAAAAAAAAAAAAA-05a1"), error("ERR No such Id."));
    assert.equal(await line(`DONE other ${a}`), error("ERR No such Id."), "the id belongs to q");
    assert.equal(await line("DEADLETTERS q zero"), error("ERR count must be a positive integer"));
    assert.equal(await line("REDRIVE q 0"), error("ERR count must be a positive integer"));
    assert.equal(await line("LEN q"), int(1));
    assert.equal(await line("RESERVE q"), simple(`${a} keep me`));
    assert.equal(await line(`DONE q ${a}`), simple("OK"));
    assert.equal(await line(`DONE q ${a}`), error("ERR No such Id."), "already done");
  });
});
