import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Broker } from "../../broker.js";
import { MAX_SCAN_COUNT } from "../../listing-limits.js";

/** Every queue's name, one QSCAN page at a time, serving the other clients between pages. */
export async function allQueueNames(broker: Broker): Promise<string[]> {
  const names: string[] = [];
  let cursor = 0;
  do {
    const page = await broker.qscan(cursor, { count: MAX_SCAN_COUNT, busyloop: false });
    for (const name of page.items) names.push(name);
    cursor = page.cursor;
    if (cursor !== 0) await yieldToLoop();
  } while (cursor !== 0);
  return names;
}
