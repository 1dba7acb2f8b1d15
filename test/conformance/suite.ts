import { after, afterEach, before, describe } from "node:test";
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
 * Test options for a check that cannot run as written on some stores: there
 * it is reported as skipped (by design) or todo (a known divergence, still
 * run), with the reason, never left out silently.
 */
export function except(
  store: StoreFactory,
  reasons: Record<string, { skip: string } | { todo: string }>,
): { skip?: string; todo?: string } {
  return reasons[store.name] ?? {};
}
