import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BodyRange, PageBodies, SMALL_BODY_BYTES } from "../../src/stores/embedded/engine/body-arena.js";
import { PAGE_SLOTS } from "../../src/stores/embedded/engine/job-page.js";
import { JobTable } from "../../src/stores/embedded/engine/job-table.js";

/**
 * A page's bodies (engine/body-arena.ts): small ones packed in one arena
 * that moves when full or mostly gaps, large ones kept whole. Checked
 * against a Map as the model through random puts and drops, with the
 * arena's bound (four times the live bytes, 8 KiB at least) after each.
 */

/** A small deterministic generator (xorshift32), so a failure replays. */
function random(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % below;
  };
}

function newPage(): PageBodies {
  return new PageBodies(new Uint32Array(PAGE_SLOTS), new Uint32Array(PAGE_SLOTS));
}

function bytesOf(next: (below: number) => number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = next(256);
  return bytes;
}

describe("a page's bodies", () => {
  it("read back every body kept, through random puts and drops, within four times the live bytes", () => {
    for (const seed of [1, 7, 4242]) {
      const next = random(seed);
      const page = newPage();
      const model = new Map<number, Buffer>();
      const range = new BodyRange();
      /** positions holding a body, and the small bodies' bytes: the arena's bound */
      const held: number[] = [];
      let live = 0;
      let sizes = 0;
      let lastArena = 0;
      let step = 0;
      const check = () => {
        step++;
        if (page.arenaBytes !== lastArena) sizes++;
        lastArena = page.arenaBytes;
        assert.ok(
          page.arenaBytes <= Math.max(8 * 1024, 4 * live),
          `seed ${seed} step ${step}: arena ${page.arenaBytes} bytes for ${live} live`,
        );
        if (live === 0) assert.equal(page.arenaBytes, 0, "an arena without live bodies goes");
        if (step % 97 === 0) {
          for (const [at, body] of model) {
            assert.deepEqual(page.read(at), body, `seed ${seed} step ${step} position ${at}`);
            assert.equal(page.length(at), body.length);
          }
        }
      };
      // waves: the page fills to a level, with a few drops, then drains to a few bodies, with a few puts
      for (let wave = 0; wave < 8; wave++) {
        const level = 500 + next(3500);
        while (model.size < level) {
          if (next(10) < 2 && model.size > 0) drop(next(held.length));
          else put();
          check();
        }
        while (model.size > 10) {
          if (next(10) < 1) put();
          else drop(next(held.length));
          check();
        }
      }
      for (const [at, body] of model) assert.deepEqual(page.read(at), body);
      assert.ok(sizes > 20, `the arena changed size ${sizes} times: the walk must grow and shrink it`);

      /** drops the body at `held[index]` */
      function drop(index: number): void {
        const at = held[index]!;
        held[index] = held[held.length - 1]!;
        held.pop();
        const length = model.get(at)!.length;
        if (length <= SMALL_BODY_BYTES) live -= length;
        page.drop(at);
        model.delete(at);
      }

      function put(): void {
        let at = next(PAGE_SLOTS);
        while (model.has(at)) at = (at + 1) % PAGE_SLOTS;
        // mostly small bodies, some empty, some at the edge, a few large
        const pick = next(100);
        const length =
          pick < 5
            ? 0
            : pick < 8
              ? SMALL_BODY_BYTES
              : pick < 10
                ? SMALL_BODY_BYTES + 1 + next(3000)
                : next(60);
        const body = bytesOf(next, length);
        // each source a door or the journal gives: a Buffer, a latin1 string, a range in a bigger buffer
        const form = next(3);
        if (form === 0) page.put(at, body);
        else if (form === 1) page.put(at, body.toString("latin1"));
        else {
          const around = Buffer.concat([bytesOf(next, 7), body, bytesOf(next, 5)]);
          range.point(around, 7, 7 + length);
          page.put(at, range);
          around.fill(0); // the journal reuses its read buffer: the page must have copied
        }
        model.set(at, body);
        held.push(at);
        if (length <= SMALL_BODY_BYTES) live += length;
      }
    }
  });

  it("hands out ranges that stay what they were after the page moves its arena", () => {
    const page = newPage();
    const first = Buffer.from("first body, kept");
    page.put(0, first);
    const range = page.rangeOf(0, new BodyRange());
    const { bytes, from, to } = range;
    // enough more bodies to move the arena several times, then the first goes
    for (let at = 1; at < 2000; at++) page.put(at, Buffer.alloc(40, at));
    page.drop(0);
    for (let at = 1; at < 2000; at += 2) page.drop(at);
    assert.equal(Buffer.from(bytes.subarray(from, to)).toString(), "first body, kept");
    assert.deepEqual(page.read(2), Buffer.alloc(40, 2));
  });

  it("gives a small body as a fresh copy and a large one as its own Buffer", () => {
    const page = newPage();
    const small = Buffer.from("small");
    const large = Buffer.alloc(SMALL_BODY_BYTES + 1, 9);
    page.put(0, small);
    page.put(1, large);
    const copy = page.read(0);
    copy[0] = 0x58;
    assert.equal(page.read(0).toString(), "small", "a caller's change to its copy does not reach the page");
    assert.equal(page.read(1), large);
    const range = page.rangeOf(1, new BodyRange());
    assert.ok(range.owned);
    assert.equal(range.bytes, large);
  });

  it("keeps the job table's bodies apart by slot, until a slot is reused after recycle", () => {
    const table = new JobTable();
    const job = table.create(
      "D-0123abcd-AAAAAAAAAAAAAAAAAAAAAA01-05a1",
      1,
      "q",
      "body one",
      1000,
      60,
      0,
      0,
      1,
    );
    table.link(job.slot);
    assert.equal(job.body.toString(), "body one");
    table.release(job.slot);
    // given up in this command: still readable, as a redrive reads the letter it takes
    assert.equal(table.view(job.slot).body.toString(), "body one");
    table.recycle();
    const next = table.create(
      "D-0123abcd-AAAAAAAAAAAAAAAAAAAAAA02-05a1",
      2,
      "q",
      Buffer.from("two"),
      1000,
      60,
      0,
      0,
      1,
    );
    assert.equal(next.slot, job.slot, "the slot is reused");
    assert.equal(next.body.toString(), "two");
    assert.equal(next.bodyBytes, 3);
  });
});
