import { after, afterEach, before, describe, it } from "node:test";
import { openHarness, type Harness, type StoreFactory } from "./harness.js";
import { stores } from "./stores.js";

/**
 * Declares the same behaviours once per store: `body` gets `open()`, which
 * opens a fresh broker for the current test (closed after it).
 */
export function forEachStore(body: (open: () => Promise<Harness>, store: StoreFactory) => void): void {
  for (const store of stores) {
    describe(store.name, () => {
      const opened: Harness[] = [];
      before(async () => await store.start?.());
      after(async () => await store.stop?.());
      afterEach(async () => {
        for (const h of opened.splice(0)) await h.close();
      });
      body(async () => {
        const h = await openHarness(store);
        opened.push(h);
        return h;
      }, store);
    });
  }
}

/**
 * `it` for a check that holds on every store but those `reasons` names. On
 * those the check is not declared: each reason is a documented by-design
 * difference (replayed.ts BY_DESIGN, docs/conformance.md) that
 * by-design.test.ts asserts as the behaviour, so nothing is skipped.
 */
export function checkOn(store: StoreFactory, reasons: Record<string, string>): typeof it {
  if (reasons[store.name] === undefined) return it;
  return (() => undefined) as unknown as typeof it;
}
