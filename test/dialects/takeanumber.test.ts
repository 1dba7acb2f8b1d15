import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { NULL_BULK, RawClient, array, bulk, error, int, simple } from "../helpers/raw-client.js";
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
    assert.equal(await line("LEN my_queue"), int(1), "a reserved job is not done");
    assert.equal(await line("RESERVE my_queue"), NULL_BULK);
    assert.equal(await line(`RETRY my_queue ${id}`), simple("OK"));
    assert.equal(await line("RESERVE my_queue"), simple(`${id} {"user_id": 5}`));
    assert.equal(await line(`DONE my_queue ${id}`), simple("OK"));
    assert.equal(await line("LEN my_queue"), int(0));
    assert.equal(await line("CLOSE"), simple("OK"));
    await c.closed();
  });

  it("keeps spaces, tabs and quotes of an inline body; joins array arguments with one space", async () => {
    const a = idOf(await line('add q 0   two  spaces\tand "quotes"  '));
    const b = idOf(await c.call("ADD", "q", "1", "several", "words", "here"));
    const d = idOf(await c.call("ADD", "q", "1", "one arg with  spaces"));
    assert.equal(await c.call("RESERVE", "q"), simple(`${a} two  spaces\tand "quotes"  `));
    assert.equal(await c.call("RESERVE", "q"), simple(`${b} several words here`));
    assert.equal(await c.call("RESERVE", "q"), simple(`${d} one arg with  spaces`));
  });

  it("RETRY puts the job at the tail; with its budget spent it goes to the dead-letter list", async () => {
    const a = idOf(await line("ADD q 1 first"));
    const b = idOf(await line("ADD q 1 second"));
    assert.equal(await line("RESERVE q"), simple(`${a} first`));
    assert.equal(await line(`RETRY q ${a}`), simple("OK"));
    assert.equal(await line("RESERVE q"), simple(`${b} second`));
    assert.equal(await line("RESERVE q"), simple(`${a} first`));
    assert.equal(await line(`RETRY q ${a}`), simple("OK"));
    assert.equal(await line("LEN q"), int(1));
    assert.equal(await line("RESERVE q"), NULL_BULK);
    const at = t.clock!.now();
    assert.equal(
      await line("DEADLETTERS q"),
      array(array(bulk(a), bulk("first"), bulk("retries exhausted"), int(at))),
    );
    assert.equal(await line("REDRIVE q"), int(1));
    assert.equal(await line("DEADLETTERS q"), array());
    assert.equal(await line("LEN q"), int(2));
    const reserved = await line("RESERVE q");
    assert.match(reserved, /^\+D-\S+ first\r\n$/);
    assert.notEqual(reserved, simple(`${a} first`), "a redriven job is a fresh job with a new id");
  });

  it("a reserved job that is never finished comes back after docket's default lease", async () => {
    const a = idOf(await line("ADD q 0 work"));
    assert.equal(await line("RESERVE q"), simple(`${a} work`));
    t.clock!.advance(299_999);
    t.server.engine.runDue();
    assert.equal(await line("RESERVE q"), NULL_BULK);
    t.clock!.advance(1);
    t.server.engine.runDue();
    assert.equal(await line("RESERVE q"), simple(`${a} work`));
  });

  it("bad input gets a clear error and the connection keeps working; nothing is lost", async () => {
    const a = idOf(await line("ADD q 2 keep me"));
    assert.equal(await line("ADD q"), error("ERR wrong number of arguments for 'add' command"));
    assert.equal(await line("ADD q 3"), error("ERR wrong number of arguments for 'add' command"));
    assert.equal(await line("ADD q many body"), error("ERR retries must be a non negative integer"));
    assert.equal(await line("ADD q -1 body"), error("ERR retries must be a non negative integer"));
    assert.equal(await line("LEN"), error("ERR wrong number of arguments for 'len' command"));
    assert.equal(await line("RESERVE"), error("ERR wrong number of arguments for 'reserve' command"));
    assert.equal(await line("DONE q"), error("ERR wrong number of arguments for 'done' command"));
    assert.equal(await line("DONE q nope"), error("ERR unknown job id"));
    assert.equal(await line("RETRY q nope"), error("ERR unknown job id"));
    assert.equal(await line("DONE q D-00000000-AAAAAAAAAAAAAAAAAAAAAAAA-05a1"), error("ERR unknown job id"));
    assert.equal(await line(`DONE other ${a}`), error("ERR unknown job id"), "the id belongs to q");
    assert.equal(await line("DEADLETTERS q zero"), error("ERR count must be a positive integer"));
    assert.equal(await line("REDRIVE q 0"), error("ERR count must be a positive integer"));
    assert.equal(await line("LEN q"), int(1));
    assert.equal(await line("RESERVE q"), simple(`${a} keep me`));
  });
});
