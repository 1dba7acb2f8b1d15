import { Engine } from "../../src/engine/index.js";
import type { StoreFactory } from "./harness.js";

/** The in-process engine: synchronous, timers run by `runDue()`. */
const engineStore: StoreFactory = {
  name: "engine",
  quietMs: 0,
  open: async (clock) => {
    const engine = new Engine({ clock });
    return { broker: engine, runDue: () => engine.runDue(), close: async () => {} };
  },
};

/** Every store the conformance suite runs against. */
export const stores: StoreFactory[] = [engineStore];
