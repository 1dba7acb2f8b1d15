import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SortedList } from "../../src/stores/embedded/engine/sorted-list.js";
import { Rng, baseSeed } from "../helpers/prng.js";

interface Item {
  key: number;
}

/** the reference: a plain array kept sorted by key */
function refInsert(ref: Item[], item: Item): void {
  let i = 0;
  while (i < ref.length && ref[i]!.key < item.key) i++;
  ref.splice(i, 0, item);
}

function check(list: SortedList<Item>, ref: Item[], rng: Rng, label: string): void {
  assert.equal(list.size, ref.length, label);
  assert.deepEqual(
    [...list].map((x) => x.key),
    ref.map((x) => x.key),
    label,
  );
  assert.deepEqual(
    [...list.reversed()].map((x) => x.key),
    ref.map((x) => x.key).reverse(),
    label,
  );
  assert.equal(list.first(), ref[0], label);
  assert.equal(list.last(), ref[ref.length - 1], label);
  // indexOf() (EXPLAIN's position): present keys at random, the ends, and a key that is not there
  const probes =
    ref.length > 0 ? [0, ref.length - 1, ...Array.from({ length: 4 }, () => rng.int(0, ref.length - 1))] : [];
  for (const at of probes) assert.equal(list.indexOf(ref[at]!.key), at, `${label} indexOf(${ref[at]!.key})`);
  assert.equal(list.indexOf(-1e9), -1, `${label} indexOf(absent)`);
  // from(): a few random starting points, present keys and gaps, before and after everything
  const starts = [-1e9, 1e12, ...Array.from({ length: 4 }, () => rng.int(-10, 60_000))];
  if (ref.length > 0) starts.push(ref[rng.int(0, ref.length - 1)]!.key);
  for (const start of starts) {
    const expected = ref.filter((x) => x.key >= start).map((x) => x.key);
    assert.deepEqual(
      [...list.from(start)].map((x) => x.key),
      expected,
      `${label} from(${start})`,
    );
  }
}

describe("SortedList against a sorted array", () => {
  it("starts empty and answers undefined", () => {
    const list = new SortedList<Item>((x) => x.key);
    assert.equal(list.size, 0);
    assert.equal(list.shift(), undefined);
    assert.equal(list.remove(3), undefined);
    assert.equal(list.find(3), undefined);
    assert.equal(list.first(), undefined);
    assert.equal(list.last(), undefined);
    assert.deepEqual([...list.from(0)], []);
    assert.deepEqual([...list.reversed()], []);
  });

  it("appends in order and pops from the head (the queue pattern) across many chunks", () => {
    const list = new SortedList<Item>((x) => x.key);
    for (let i = 0; i < 5000; i++) list.insert({ key: i });
    assert.equal(list.size, 5000);
    for (let i = 0; i < 5000; i++) assert.equal(list.shift()!.key, i);
    assert.equal(list.size, 0);
    assert.equal(list.shift(), undefined);
  });

  it("keeps a descending insertion sorted (every insert at the front, chunk splits)", () => {
    const list = new SortedList<Item>((x) => x.key);
    for (let i = 3000; i > 0; i--) list.insert({ key: i });
    assert.deepEqual(
      [...list].map((x) => x.key),
      Array.from({ length: 3000 }, (_, i) => i + 1),
    );
    assert.equal(list.find(1500)!.key, 1500);
    assert.equal(list.find(0), undefined);
  });

  for (let round = 0; round < 4; round++) {
    const seed = baseSeed() + round;
    it(`randomized insert/remove/shift/find/from/reversed, >2000 items (seed ${seed})`, () => {
      const rng = new Rng(seed);
      const list = new SortedList<Item>((x) => x.key);
      const ref: Item[] = [];
      const used = new Set<number>();
      const label = () => `seed ${seed}`;
      const freshKey = (lo: number, hi: number): number => {
        let key: number;
        do key = rng.int(lo, hi);
        while (used.has(key));
        return key;
      };
      let maxSize = 0;
      for (let step = 0; step < 16_000; step++) {
        // grow past 2000 items, then shrink, then grow again: chunks split and empty
        const phase = Math.floor(step / 4000) % 2 === 0 ? 0.85 : 0.3;
        maxSize = Math.max(maxSize, ref.length);
        const r = rng.next();
        if (r < phase) {
          // mostly appends, some put-backs into the middle, some at the front
          const kind = rng.next();
          const max = ref.length > 0 ? ref[ref.length - 1]!.key : 0;
          const key =
            kind < 0.5 ? max + rng.int(1, 5) : kind < 0.9 ? freshKey(0, max + 10) : freshKey(-100_000, 0);
          if (used.has(key)) continue;
          used.add(key);
          const item = { key };
          list.insert(item);
          refInsert(ref, item);
        } else if (r < phase + 0.12) {
          const got = list.shift();
          const want = ref.shift();
          assert.equal(got, want, label());
          if (want) used.delete(want.key);
        } else {
          // remove: a present key or an absent one
          const present = ref.length > 0 && rng.chance(0.8);
          const key = present ? ref[rng.int(0, ref.length - 1)]!.key : rng.int(-200_000, 200_000);
          const at = ref.findIndex((x) => x.key === key);
          const got = list.remove(key);
          if (at < 0) assert.equal(got, undefined, label());
          else {
            assert.equal(got, ref[at], label());
            ref.splice(at, 1);
            used.delete(key);
          }
        }
        // find: present and absent
        if (ref.length > 0) {
          const item = ref[rng.int(0, ref.length - 1)]!;
          assert.equal(list.find(item.key), item, label());
        }
        const probe = rng.int(-200_000, 200_000);
        assert.equal(
          list.find(probe),
          ref.find((x) => x.key === probe),
          label(),
        );
        if (step % 97 === 0) check(list, ref, rng, `${label()} step ${step}`);
      }
      assert.ok(used.size === ref.length);
      assert.ok(maxSize > 2000, `only reached ${maxSize} items`);
      check(list, ref, rng, label());
      // drain completely
      while (ref.length > 0) assert.equal(list.shift(), ref.shift(), label());
      assert.equal(list.size, 0);
    });
  }

  it("reached more than 2000 items in the randomized run's shape", () => {
    const rng = new Rng(7);
    const list = new SortedList<Item>((x) => x.key);
    const ref: Item[] = [];
    const keys = new Set<number>();
    while (keys.size < 2500) keys.add(rng.int(0, 1_000_000));
    for (const key of keys) {
      const item = { key };
      list.insert(item);
      refInsert(ref, item);
    }
    check(list, ref, rng, "2500 random inserts");
    for (const item of ref.filter((_, i) => i % 3 === 0)) assert.equal(list.remove(item.key), item);
    const kept = ref.filter((_, i) => i % 3 !== 0);
    check(list, kept, rng, "after removing a third");
  });

  it("clear() empties it", () => {
    const list = new SortedList<Item>((x) => x.key);
    for (let i = 0; i < 1500; i++) list.insert({ key: i * 2 });
    list.clear();
    assert.equal(list.size, 0);
    assert.deepEqual([...list], []);
    list.insert({ key: 5 });
    assert.deepEqual(
      [...list].map((x) => x.key),
      [5],
    );
  });
});
