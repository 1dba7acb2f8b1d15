import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { TurnEndWriter } from "../../src/doors/net/turn-end.js";

class Item {
  flushes = 0;
  constructor(
    private readonly log: string[],
    readonly name: string,
  ) {}
  flush(): void {
    this.flushes++;
    this.log.push(this.name);
  }
}

describe("TurnEndWriter (replies at the end of the event-loop turn)", () => {
  it("flushes every item deferred in a turn once, after the turn's synchronous work, in order", async () => {
    const log: string[] = [];
    const writer = new TurnEndWriter<Item>();
    const a = new Item(log, "a");
    const b = new Item(log, "b");
    writer.defer(a);
    writer.defer(b);
    log.push("rest of the turn");
    assert.deepEqual(log, ["rest of the turn"], "nothing is written synchronously");
    await nextTurn();
    assert.deepEqual(log, ["rest of the turn", "a", "b"]);
    assert.equal(a.flushes, 1);
    assert.equal(b.flushes, 1);
    await nextTurn();
    assert.equal(a.flushes, 1, "a flushed item is not flushed again in a later turn");
  });
});
