import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TimerHeap } from "../../src/stores/embedded/engine/timer-heap.js";
import { Rng, baseSeed } from "../helpers/prng.js";

describe("TimerHeap against a sorted array", () => {
  it("is empty at first: peekTime Infinity, popDue undefined", () => {
    const heap = new TimerHeap<string>();
    assert.equal(heap.size, 0);
    assert.equal(heap.peekTime(), Infinity);
    assert.equal(heap.popDue(Number.MAX_SAFE_INTEGER), undefined);
  });

  it("pops only what is due, at or before now, earliest first", () => {
    const heap = new TimerHeap<string>();
    heap.push(30, "c");
    heap.push(10, "a");
    heap.push(20, "b");
    assert.equal(heap.peekTime(), 10);
    assert.equal(heap.popDue(9), undefined);
    assert.equal(heap.popDue(10), "a");
    assert.equal(heap.popDue(25), "b");
    assert.equal(heap.popDue(25), undefined);
    assert.equal(heap.size, 1);
    assert.equal(heap.peekTime(), 30);
    heap.clear();
    assert.equal(heap.size, 0);
    assert.equal(heap.peekTime(), Infinity);
  });

  for (let round = 0; round < 3; round++) {
    const seed = baseSeed() + round;
    it(`randomized push/popDue with duplicates, >2000 entries (seed ${seed})`, () => {
      const rng = new Rng(seed);
      const heap = new TimerHeap<number>();
      let ref: { at: number; item: number }[] = [];
      let now = 0;
      let serial = 0;
      let maxSize = 0;
      for (let step = 0; step < 20_000; step++) {
        maxSize = Math.max(maxSize, ref.length);
        const growing = Math.floor(step / 5000) % 2 === 0;
        if (rng.chance(growing ? 0.8 : 0.3)) {
          // times around now, often in the past or equal (duplicates)
          const at = rng.chance(0.2) ? now : now + rng.int(-50, 20_000);
          const item = serial++;
          heap.push(at, item);
          ref.push({ at, item });
        } else {
          now += growing ? rng.int(0, 3) : rng.int(0, 400);
          // everything due, in time order; ties in any order
          const popped: { at: number; item: number }[] = [];
          let item: number | undefined;
          let lastAt = -Infinity;
          while ((item = heap.popDue(now)) !== undefined) {
            const entry = ref.find((e) => e.item === item);
            assert.ok(entry, `seed ${seed}: popped unknown ${item}`);
            assert.ok(entry.at <= now, `seed ${seed}: popped not yet due`);
            assert.ok(entry.at >= lastAt, `seed ${seed}: out of order`);
            lastAt = entry.at;
            popped.push(entry);
          }
          const due = ref.filter((e) => e.at <= now);
          assert.deepEqual(
            popped.map((e) => e.item).sort((a, b) => a - b),
            due.map((e) => e.item).sort((a, b) => a - b),
            `seed ${seed}`,
          );
          ref = ref.filter((e) => e.at > now);
        }
        assert.equal(heap.size, ref.length, `seed ${seed}`);
        assert.equal(
          heap.peekTime(),
          ref.length ? Math.min(...ref.map((e) => e.at)) : Infinity,
          `seed ${seed}`,
        );
      }
      assert.ok(maxSize > 2000, `only reached ${maxSize} entries`);
      // drain
      const sorted = [...ref].sort((a, b) => a.at - b.at);
      for (const entry of sorted) {
        const t = heap.peekTime();
        assert.equal(t, entry.at);
        assert.notEqual(heap.popDue(t), undefined);
      }
      assert.equal(heap.size, 0);
    });
  }

  for (let round = 0; round < 2; round++) {
    const seed = baseSeed() + 100 + round;
    it(`retain() keeps exactly the accepted entries, still in heap order (seed ${seed})`, () => {
      const rng = new Rng(seed);
      const heap = new TimerHeap<number>();
      let ref: { at: number; item: number }[] = [];
      let serial = 0;
      for (let cycle = 0; cycle < 40; cycle++) {
        for (let i = rng.int(0, 200); i > 0; i--) {
          const at = rng.int(0, 10_000);
          heap.push(at, serial);
          ref.push({ at, item: serial++ });
        }
        const mod = rng.int(2, 5);
        const seen: number[] = [];
        heap.retain((item, at) => {
          assert.equal(ref.find((e) => e.item === item)!.at, at, `seed ${seed}: dueAt passed to keep`);
          seen.push(item);
          return item % mod !== 0;
        });
        assert.equal(seen.length, ref.length);
        ref = ref.filter((e) => e.item % mod !== 0);
        assert.equal(heap.size, ref.length);
        assert.equal(heap.peekTime(), ref.length ? Math.min(...ref.map((e) => e.at)) : Infinity);
        // pop a few to check the order survived
        const cut = rng.int(0, 10_000);
        const popped: number[] = [];
        let item: number | undefined;
        let last = -Infinity;
        while ((item = heap.popDue(cut)) !== undefined) {
          const at = ref.find((e) => e.item === item)!.at;
          assert.ok(at >= last && at <= cut, `seed ${seed}: order after retain`);
          last = at;
          popped.push(item);
        }
        assert.deepEqual(
          popped.sort((a, b) => a - b),
          ref.filter((e) => e.at <= cut).map((e) => e.item),
        );
        ref = ref.filter((e) => e.at > cut);
      }
    });
  }

  it("holds 3000 entries and releases them in time order", () => {
    const rng = new Rng(11);
    const heap = new TimerHeap<number>();
    const times = Array.from({ length: 3000 }, () => rng.int(0, 1_000_000));
    times.forEach((t, i) => heap.push(t, i));
    const out: number[] = [];
    let i: number | undefined;
    while ((i = heap.popDue(Infinity)) !== undefined) out.push(times[i]!);
    assert.deepEqual(
      out,
      [...times].sort((a, b) => a - b),
    );
  });

  it("grows and shrinks across pages of 4,096 entries, popping in order, poppedAt telling each due time", () => {
    const rng = new Rng(baseSeed());
    const heap = new TimerHeap<number>();
    const due = new Map<number, number>();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 15_000; i++) {
        const item = round * 100_000 + i;
        const at = rng.int(0, 1_000_000);
        due.set(item, at);
        heap.push(at, item);
      }
      // drop about a third through retain, then pop most of the rest
      heap.retain((item) => item % 3 !== 0);
      for (const item of [...due.keys()]) if (item % 3 === 0) due.delete(item);
      assert.equal(heap.size, due.size);
      let last = -Infinity;
      const keep = round === 2 ? 0 : 2_000;
      while (heap.size > keep) {
        const item = heap.popDue(Infinity)!;
        assert.equal(heap.poppedAt, due.get(item));
        assert.ok(heap.poppedAt >= last);
        last = heap.poppedAt;
        due.delete(item);
      }
    }
    assert.equal(heap.size, 0);
    assert.equal(heap.popDue(Infinity), undefined);
    assert.equal(heap.peekTime(), Infinity);
  });
});
